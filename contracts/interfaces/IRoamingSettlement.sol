// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IEvidenceLedger} from "./IEvidenceLedger.sol";

/// @title Roaming settlement between electricity suppliers
/// @notice Suppliers deposit collateral in one ERC-20 token and hold internal balances. For a
/// settlement period the host supplier (whose charger delivered the energy) submits a claim against
/// the vehicle's home supplier: an amount, the Merkle root of the charge detail records (CDRs), their
/// count, an evidence root it anchored in the EvidenceLedger, and the hash of the claim package it
/// delivers off-chain. The home supplier accepts the claim, disputes CDRs by Merkle proof (each
/// dispute escrows a bond), or disputes the whole claim; an arbiter rules; anyone can prove on-chain,
/// from the complete leaf set, that a claim asks more than the sum of its CDRs, which cuts it down at
/// once. Claims are netted per pair of suppliers and period. Money leaves only through a two-step
/// withdrawal.
/// @dev The money rules (docs/settlement.md):
/// - A claim is never paid above the sum of its CDR amounts once that sum is proven ({proveClaimSum}).
/// - At submission a claim reserves `min(amount, available)` of the debtor's collateral; reserved
///   collateral serves only that claim, so a final claim is always paid at least its reservation,
///   in full when fully reserved. Seniority is submission order.
/// - `available = balance - locked - debt` (zero if negative), where `locked` is the sum of the
///   reservations of claims not netted yet and `debt` the shortfalls still owed. Withdrawals need
///   a request {WITHDRAWAL_NOTICE} seconds ahead, longer than a period, its claim grace and the
///   challenge window together.
/// - Amounts are capped ({MAX_CLAIM_AMOUNT}, {MAX_PAIR_AMOUNT}) and the token balance the contract
///   may hold is below 2^128, so no arithmetic of netting can overflow: netting never reverts for
///   arithmetic reasons.
/// - Period `p` covers `[p * PERIOD_SECONDS, (p + 1) * PERIOD_SECONDS)`; it takes claims from its
///   start until `CLAIM_GRACE` seconds after its end. A pair is netted once the period is closed and
///   the pair's claims are final; one pair never waits for another. Netting a pair costs the same
///   whatever its number of claims.
/// - Challenge windows run on the contract's clock, which stops while the contract is paused.
/// - Claim ids are `(period << 32) | index`, the index counting the period's claims from 0.
interface IRoamingSettlement {
    /// @notice Life cycle of a claim. Finality is derived (see {isFinal}), not stored; `Netted` is
    /// reported by {claimOf} once the claim's pair is netted. `Rejected` by a ruling upholding its
    /// claim-level dispute: it counts as zero.
    enum ClaimStatus {
        None,
        Pending,
        Accepted,
        Netted,
        Rejected
    }

    /// @notice Life cycle of a dispute. `Upheld`: ruled for the debtor; `Rejected`: ruled for the host.
    enum DisputeStatus {
        None,
        Open,
        Upheld,
        Rejected
    }

    /// @notice What a dispute contests: one CDR leaf ({disputeCdr}) or the whole claim ({disputeClaim}).
    enum DisputeKind {
        Cdr,
        Claim
    }

    /// @notice Durations of the settlement rules, in seconds.
    /// @param challengeWindow How long after submission (on the contract's clock) the debtor may dispute.
    /// @param periodSeconds Length of a settlement period.
    /// @param claimGrace How long after its end a period still takes claims.
    /// @param withdrawalNotice Delay between a withdrawal request and the withdrawal; more than
    /// `periodSeconds + claimGrace + challengeWindow`.
    struct Timing {
        uint40 challengeWindow;
        uint40 periodSeconds;
        uint40 claimGrace;
        uint40 withdrawalNotice;
    }

    /// @notice A claim of `creditor` (host) against `debtor` (home supplier), as {claimOf} reports it
    /// (stored as a `SettlementClaims` record and terms; the period is the high half of the id). What
    /// the contract never reads again (the evidence root, the package hash) is only in
    /// {ClaimSubmitted}, the host's immutable commitment.
    /// @param windowStart Start of the challenge window on the contract's clock: the submission, or
    /// the ruling that rejected a claim-level dispute (which opens a fresh window).
    /// @param openDisputes Disputes of this claim awaiting a ruling.
    /// @param cdrCount Number of CDR leaves under `cdrRoot`, as declared by the host.
    /// @param claimDisputed Whether the debtor disputed the claim as a whole (at most once per claim).
    /// @param onHold Whether that claim-level dispute awaits its ruling.
    /// @param amount Amount owed now: `claimedAmount` less the CDRs ruled in the debtor's favour.
    /// @param claimedAmount Amount as submitted, or the proven CDR sum when that is smaller.
    /// @param reserved Part of the debtor's collateral reserved for this claim (at most `amount`).
    /// @param cdrRoot StandardMerkleTree root over `(cdrDigest, amount)` leaves.
    struct Claim {
        address creditor;
        uint40 windowStart;
        ClaimStatus status;
        uint16 openDisputes;
        uint16 cdrCount;
        bool claimDisputed;
        bool onHold;
        address debtor;
        uint96 amount;
        uint96 claimedAmount;
        uint96 reserved;
        uint32 period;
        bytes32 cdrRoot;
    }

    /// @notice A dispute of one CDR leaf of a claim, or of the whole claim.
    /// @param openedAt Wall-clock time the dispute was opened.
    /// @param amount The disputed leaf's amount (saturated to 96 bits), or for a claim-level dispute
    /// the claim's amount when it was disputed.
    /// @param bond The bond the debtor escrowed when opening it (the dispute fee then in force).
    struct Dispute {
        uint64 claimId;
        DisputeStatus status;
        DisputeKind kind;
        uint40 openedAt;
        uint40 resolvedAt;
        uint128 amount;
        uint128 bond;
        bytes32 cdrDigest;
        bytes32 reason;
        bytes32 bundleDigest;
    }

    /// @notice What one direction of a pair owes in a period: `creditor` claims `amount` from
    /// `debtor`, of which `reserved` is reserved on the debtor's collateral.
    struct Flow {
        uint128 amount;
        uint128 reserved;
    }

    /// @notice State of the claims between two suppliers in one period. One slot.
    /// @param lastWindowStart Latest window start of the pair's claims (contract clock).
    /// @param pending Claims still `Pending` (neither accepted nor rejected).
    /// @param holds Disputes of the pair's claims awaiting a ruling.
    /// @param claims Claims of the pair in the period.
    /// @param nettedAt Time the pair was netted (0 before).
    struct Pair {
        uint40 lastWindowStart;
        uint32 pending;
        uint32 holds;
        uint32 claims;
        uint40 nettedAt;
    }

    /// @notice One CDR as it enters a claim's tree.
    struct Cdr {
        bytes32 digest;
        uint256 amount;
    }

    /// @notice Emitted when `supplier` deposits collateral; `amount` is what actually arrived.
    event Deposited(address indexed supplier, uint256 amount);

    /// @notice Emitted when `account` asks to withdraw `amount` from `readyAt` on.
    event WithdrawalRequested(address indexed account, uint256 amount, uint40 readyAt);

    /// @notice Emitted when `account` withdraws `amount`.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Emitted when a claim is submitted; `reserved` is the collateral reserved for it and
    /// `challengeDeadline` the wall-clock end of its window if the contract is not paused meanwhile.
    event ClaimSubmitted(
        uint256 indexed claimId,
        uint32 indexed period,
        address indexed creditor,
        address debtor,
        uint256 amount,
        bytes32 cdrRoot,
        uint32 cdrCount,
        bytes32 evidenceRoot,
        bytes32 packageHash,
        uint40 challengeDeadline,
        uint256 reserved
    );

    /// @notice Emitted when the debtor accepts a claim (its on-chain proof of receipt).
    event ClaimAccepted(uint256 indexed claimId, address indexed debtor, uint40 acceptedAt);

    /// @notice Emitted when the debtor disputes one CDR of a claim by Merkle proof.
    event CdrDisputed(
        uint256 indexed disputeId, uint256 indexed claimId, bytes32 indexed cdrDigest, uint256 amount, bytes32 reason
    );

    /// @notice Emitted when the debtor disputes a whole claim; `amount` is the claim's amount then.
    event ClaimDisputed(
        uint256 indexed disputeId, uint256 indexed claimId, address indexed debtor, uint256 amount, bytes32 reason
    );

    /// @notice Emitted when a claim is cut down to the proven sum of its CDRs.
    event ClaimSumProven(uint256 indexed claimId, address indexed prover, uint256 claimed, uint256 sum, uint256 amount);

    /// @notice Emitted when an arbiter rules on a claim-level dispute; `released` is the amount the
    /// claim lost (all of it when upheld, 0 otherwise). Not upheld, the claim is pending again with a
    /// fresh challenge window.
    event ClaimDisputeResolved(
        uint256 indexed disputeId,
        uint256 indexed claimId,
        address indexed arbiter,
        bool upheld,
        bytes32 bundleDigest,
        uint256 released
    );

    /// @notice Emitted when an arbiter rules on a CDR dispute; `reduction` is what the claim lost.
    event DisputeResolved(
        uint256 indexed disputeId,
        uint256 indexed claimId,
        address indexed arbiter,
        bool upheld,
        bytes32 bundleDigest,
        uint256 reduction
    );

    /// @notice Emitted at a ruling: the winner gets the bond back (`refunded`) and `charged` of the
    /// fee from the loser (the bond itself when the debtor lost).
    event DisputeFeeCharged(
        uint256 indexed disputeId, address indexed payer, address indexed payee, uint256 charged, uint256 fee
    );

    /// @notice Emitted when the claims between `creditor` and `debtor` in `period` are netted:
    /// `owed` was due net, `paid` was moved, `shortfall` is still owed.
    event PairNetted(
        uint32 indexed period, address indexed creditor, address indexed debtor, uint256 owed, uint256 paid, uint256 shortfall
    );

    /// @notice Emitted when `amount` of a shortfall moves from the debtor to the creditor.
    event ShortfallRecovered(uint32 indexed period, address indexed debtor, address indexed creditor, uint256 amount);

    /// @notice Emitted when the admin changes the dispute fee.
    event DisputeFeeSet(uint256 previousFee, uint256 newFee);

    /// @notice Thrown when an amount is zero.
    error SettlementZeroAmount();

    /// @notice Thrown when `account` asks for more than its available balance.
    error SettlementInsufficientAvailable(address account, uint256 requested, uint256 available);

    /// @notice Thrown when a deposit would bring the contract's token balance to 2^128 or more.
    error SettlementDepositTooLarge(uint256 balance);

    /// @notice Thrown when a withdrawal exceeds the `requested` amount still open.
    error SettlementWithdrawalNotRequested(address account, uint256 amount, uint256 requested);

    /// @notice Thrown when a withdrawal comes before the request's notice ran out at `readyAt`.
    error SettlementWithdrawalNotReady(address account, uint40 readyAt);

    /// @notice Thrown when a claim's counterparty does not hold the registry's supplier role.
    error SettlementNotSupplier(address account);

    /// @notice Thrown when a supplier claims against itself.
    error SettlementSelfClaim(address supplier);

    /// @notice Thrown when a claim has a zero CDR root, zero CDRs, a zero evidence root or a zero
    /// package hash.
    error SettlementInvalidClaim(bytes32 cdrRoot, uint32 cdrCount, bytes32 evidenceRoot, bytes32 packageHash);

    /// @notice Thrown when a claim declares more CDRs than {MAX_CDRS_PER_CLAIM}.
    error SettlementTooManyCdrs(uint256 count, uint256 max);

    /// @notice Thrown when a claim's amount exceeds {MAX_CLAIM_AMOUNT}.
    error SettlementAmountTooLarge(uint256 amount, uint256 max);

    /// @notice Thrown when a claim would bring what `creditor` claims from `debtor` in `period` above
    /// {MAX_PAIR_AMOUNT}.
    error SettlementPairCapExceeded(uint32 period, address creditor, address debtor);

    /// @notice Thrown when the host already claimed this CDR root (a batch is claimed once).
    error SettlementDuplicateClaim(bytes32 cdrRoot);

    /// @notice Thrown when a claim names a period that starts at `startsAt`, in the future.
    error SettlementPeriodNotStarted(uint32 period, uint256 startsAt);

    /// @notice Thrown when a claim comes after its period closed to claims at `closedAt`.
    error SettlementPeriodClosed(uint32 period, uint256 closedAt);

    /// @notice Thrown when a pair is netted before its period closed to claims at `closesAt`.
    error SettlementPeriodOpen(uint32 period, uint256 closesAt);

    /// @notice Thrown when a pair of a period was netted already.
    error SettlementPairNetted(uint32 period, address a, address b);

    /// @notice Thrown when a pair has no claims in the period.
    error SettlementEmptyPair(uint32 period, address a, address b);

    /// @notice Thrown when a pair's claims are not all final.
    error SettlementPairNotFinal(uint32 period, address a, address b);

    /// @notice Thrown when a claim id does not exist.
    error SettlementUnknownClaim(uint256 claimId);

    /// @notice Thrown when someone other than the claim's debtor accepts or disputes it.
    error SettlementNotDebtor(uint256 claimId, address caller);

    /// @notice Thrown when a claim is accepted twice, disputed after acceptance, or netted.
    error SettlementClaimNotPending(uint256 claimId, ClaimStatus status);

    /// @notice Thrown when the debtor accepts a claim whose claim-level dispute awaits a ruling.
    error SettlementClaimOnHold(uint256 claimId);

    /// @notice Thrown when the debtor disputes a whole claim a second time.
    error SettlementClaimAlreadyDisputed(uint256 claimId);

    /// @notice Thrown when a dispute comes after the challenge window closed at `deadline` (contract clock).
    error SettlementChallengeWindowClosed(uint256 claimId, uint40 deadline);

    /// @notice Thrown when a Merkle proof does not prove `(cdrDigest, amount)` under the claim's root.
    error SettlementInvalidProof(uint256 claimId, bytes32 cdrDigest);

    /// @notice Thrown when the leaves given to {proveClaimSum} are not the claim's complete tree.
    error SettlementIncompleteLeafSet(uint256 claimId);

    /// @notice Thrown when the proven sum is not below what the claim asks: nothing to cut.
    error SettlementSumNotBelowClaim(uint256 claimId, uint256 sum, uint256 claimed);

    /// @notice Thrown when the same CDR leaf of a claim is disputed twice.
    error SettlementAlreadyDisputed(uint256 claimId, bytes32 cdrDigest);

    /// @notice Thrown when a dispute id does not exist.
    error SettlementUnknownDispute(uint256 disputeId);

    /// @notice Thrown when a dispute was already ruled on.
    error SettlementDisputeClosed(uint256 disputeId);

    /// @notice Thrown when a ruling function meets a dispute of the other kind.
    error SettlementWrongDisputeKind(uint256 disputeId, DisputeKind kind);

    /// @notice Thrown when the arbiter is the creditor or the debtor of the disputed claim.
    error SettlementArbiterIsParty(uint256 disputeId, address arbiter);

    /// @notice Thrown when a ruling names no evidence bundle.
    error SettlementInvalidBundle(uint256 disputeId);

    /// @notice Thrown when a batch holds more than `max` items (or none).
    error SettlementBatchTooLarge(uint256 size, uint256 max);

    /// @notice Thrown when there is nothing to recover.
    error SettlementNothingToRecover(uint32 period, address debtor, address creditor);

    /// @notice Thrown when the constructor gets a zero address or inconsistent durations.
    error SettlementInvalidConfig();

    /// @notice Role of accounts that may pause and unpause the writes.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Most CDRs a claim may declare (bounds {proveClaimSum} to one transaction).
    function MAX_CDRS_PER_CLAIM() external view returns (uint256);

    /// @notice Largest amount of one claim, `2^96 - 1`.
    function MAX_CLAIM_AMOUNT() external view returns (uint256);

    /// @notice Largest total one supplier may claim from another in one period, `2^100 - 1`.
    function MAX_PAIR_AMOUNT() external view returns (uint256);

    /// @notice Most items of one batch ({acceptClaims}, {disputeCdrs}).
    function MAX_BATCH() external view returns (uint256);

    /// @notice Challenge window, seconds of the contract's clock.
    function CHALLENGE_WINDOW() external view returns (uint40);

    /// @notice Length of a settlement period, seconds.
    function PERIOD_SECONDS() external view returns (uint40);

    /// @notice How long after its end a period takes claims, seconds.
    function CLAIM_GRACE() external view returns (uint40);

    /// @notice Notice of a withdrawal, seconds.
    function WITHDRAWAL_NOTICE() external view returns (uint40);

    /// @notice Deposits `amount` of the settlement token as collateral of the caller.
    /// @dev Caller must hold SUPPLIER_ROLE. Credits what arrived; {SettlementDepositTooLarge} when the
    /// contract's token balance would reach 2^128.
    function deposit(uint256 amount) external;

    /// @notice Asks to withdraw up to `amount` once {WITHDRAWAL_NOTICE} seconds have passed; replaces
    /// an earlier request (0 cancels). Until then the amount stays collateral: new claims reserve it.
    function requestWithdrawal(uint256 amount) external;

    /// @notice Sends `amount` of the caller's available balance to the caller, within a request whose
    /// notice ran out. Works while paused and for accounts whose supplier role was revoked.
    function withdraw(uint256 amount) external;

    /// @notice Submits a claim of the caller (host supplier) against `debtor` for `period`, reserving
    /// `min(amount, availableOf(debtor))` of the debtor's collateral for it.
    /// @dev Caller and debtor must hold SUPPLIER_ROLE; the period must have started and not be closed.
    function submitClaim(
        uint32 period,
        address debtor,
        uint256 amount,
        bytes32 cdrRoot,
        uint32 cdrCount,
        bytes32 evidenceRoot,
        bytes32 packageHash
    ) external returns (uint256 claimId);

    /// @notice Accepts a pending claim: the debtor's proof of receipt; waives further disputes.
    /// @dev Caller must be the claim's debtor (whether or not it still holds SUPPLIER_ROLE).
    function acceptClaim(uint256 claimId) external;

    /// @notice Accepts up to {MAX_BATCH} claims.
    function acceptClaims(uint256[] calldata claimIds) external;

    /// @notice Disputes one CDR of a pending claim within its window, escrowing the dispute fee in
    /// force as a bond from the caller's available balance.
    function disputeCdr(
        uint256 claimId,
        bytes32 cdrDigest,
        uint256 amount,
        bytes32[] calldata proof,
        bytes32 reason
    ) external returns (uint256 disputeId);

    /// @notice Disputes up to {MAX_BATCH} CDRs of one claim at once, proven together by one
    /// StandardMerkleTree multiproof (`cdrs` in the multiproof's leaf order), each with its reason;
    /// one dispute (and one bond) per CDR, ids consecutive. Reverts with {SettlementBatchTooLarge}
    /// for an empty or oversize batch or when `reasons` does not match `cdrs` in length.
    /// @return firstId The id of the first new dispute.
    function disputeCdrs(
        uint256 claimId,
        Cdr[] calldata cdrs,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        bytes32[] calldata reasons
    ) external returns (uint256 firstId);

    /// @notice Disputes a whole pending claim within its window (package missing or not matching),
    /// escrowing a bond; the claim is on hold until the ruling. Once per claim.
    function disputeClaim(uint256 claimId, bytes32 reason) external returns (uint256 disputeId);

    /// @notice Proves the sum of a claim's CDRs from its complete leaf set, in the order of a
    /// StandardMerkleTree multiproof of all leaves (no proof hashes needed); anyone may call it before
    /// the claim's pair is netted. A claim asking more is cut to the sum at once, less what upheld
    /// CDR disputes took already, and the excess reservation is released.
    function proveClaimSum(uint256 claimId, Cdr[] calldata cdrs) external;

    /// @notice Rules on an open CDR dispute. Upheld: the claim loses the CDR's amount; the debtor's
    /// bond comes back and the host pays the fee from its available balance (capped there). Not
    /// upheld: the bond goes to the host.
    function resolveDispute(uint256 disputeId, bool upheld, bytes32 bundleDigest) external;

    /// @notice Rules on an open claim-level dispute. Upheld: the claim is `Rejected` and counts as
    /// zero. Not upheld: the claim is pending again with a fresh challenge window (the debtor sees
    /// the package only now). Bond and fee as in {resolveDispute}.
    function resolveClaimDispute(uint256 disputeId, bool upheld, bytes32 bundleDigest) external;

    /// @notice Nets the claims between `a` and `b` in `period`, once: the pair's period must be closed
    /// and its claims final. The net debtor pays what it owes from the collateral reserved for the
    /// pair's claims and its available balance; the rest is its shortfall towards the creditor.
    /// @dev Caller must hold SUPPLIER_ROLE. Constant cost in the number of claims.
    function netPair(uint32 period, address a, address b) external;

    /// @notice Moves up to the shortfall `debtor` owes `creditor` for `period` from the part of the
    /// debtor's balance that no claim reserves. Caller must hold SUPPLIER_ROLE.
    function recoverShortfall(uint32 period, address debtor, address creditor) external returns (uint256 amount);

    /// @notice Pauses every write except {withdraw}; the contract's clock stops. {PAUSER_ROLE} only.
    function pause() external;

    /// @notice Lifts the pause; the clock runs on. {PAUSER_ROLE} only.
    function unpause() external;

    /// @notice Sets the bond of disputes opened from now on. Default admin only; at most 2^128 - 1.
    function setDisputeFee(uint256 fee) external;

    /// @notice The settlement token.
    function TOKEN() external view returns (IERC20);

    /// @notice The ledger in which hosts anchor the evidence of their claims.
    function EVIDENCE() external view returns (IEvidenceLedger);

    /// @notice Current dispute fee.
    function disputeFee() external view returns (uint256);

    /// @notice Internal balance of `account`.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Part of `account`'s balance reserved for claims against it.
    function lockedOf(address account) external view returns (uint256);

    /// @notice Sum of the shortfalls `account` still owes.
    function debtOf(address account) external view returns (uint256);

    /// @notice `balance - locked - debt`, or zero: what `account` may withdraw or escrow as a bond.
    function availableOf(address account) external view returns (uint256);

    /// @notice The open withdrawal request of `account`.
    function withdrawalOf(address account) external view returns (uint256 amount, uint40 readyAt);

    /// @notice Claim `claimId`; reverts with {SettlementUnknownClaim} if absent.
    function claimOf(uint256 claimId) external view returns (Claim memory);

    /// @notice Wall-clock end of the challenge window of `claimId` as it stands (pauses push it out).
    function challengeDeadline(uint256 claimId) external view returns (uint256);

    /// @notice True if the claim no longer holds up its pair's netting: rejected, or no open dispute
    /// and accepted or its window closed. False once netted.
    function isFinal(uint256 claimId) external view returns (bool);

    /// @notice Dispute `disputeId`; reverts with {SettlementUnknownDispute} if absent.
    function disputeOf(uint256 disputeId) external view returns (Dispute memory);

    /// @notice Number of claims submitted to `period` and when it closes to claims.
    function periodOf(uint32 period) external view returns (uint32 claimCount, uint256 closesAt);

    /// @notice The pair `{a, b}` of `period` and what each owes the other.
    function pairOf(uint32 period, address a, address b)
        external
        view
        returns (Pair memory pair, Flow memory aFromB, Flow memory bFromA);

    /// @notice Id of the `index`-th claim of `period` (from 0): `(period << 32) | index`.
    function claimIdOf(uint32 period, uint32 index) external pure returns (uint256);

    /// @notice What `debtor` still owes `creditor` from the netting of `period`.
    function shortfallOf(uint32 period, address debtor, address creditor) external view returns (uint256);

    /// @notice The StandardMerkleTree leaf of a CDR `(cdrDigest, amount)`.
    function cdrLeaf(bytes32 cdrDigest, uint256 amount) external pure returns (bytes32);
}
