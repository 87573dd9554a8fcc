// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Roaming settlement between electricity suppliers
/// @notice Suppliers deposit collateral in one ERC-20 token and hold internal balances. Per
/// settlement period the host supplier (whose charger delivered the energy) submits a claim against
/// the vehicle's home supplier: an amount, the Merkle root of the charge detail records (CDRs), their
/// count, an evidence root it anchored in the EvidenceLedger, and the hash of the claim package it
/// delivers off-chain. The home supplier accepts the claim (its on-chain proof of receipt), disputes
/// single CDRs by Merkle proof, or, when the package never came or does not match, disputes the
/// whole claim, within the challenge window; an arbiter rules on each dispute; an unchallenged claim
/// becomes final when the window closes. The final claims of a period are netted multilaterally with
/// at most n-1 internal transfers for n suppliers. Money leaves only through pull-payment withdrawals.
/// @dev CDR leaves follow OpenZeppelin StandardMerkleTree with leaf types `["bytes32","uint256"]` =
/// `(cdrDigest, amount)`: `leaf = keccak256(bytes.concat(keccak256(abi.encode(cdrDigest, amount))))`,
/// where `cdrDigest` is the EIP-712 digest of the CDR message. The contract trusts the root: the
/// debtor's bot checks off-chain that the claimed amount equals the sum of the leaves.
///
/// Claim ids are `(period << 32) | index`, the index counting the period's claims from 0, so a
/// period's claims are enumerable from its claim count and a claim's period is its id's upper bits.
///
/// Collateral: `locked` reserves a supplier's balance for the claims against it that are not netted
/// yet and for shortfalls it still owes. `available = balance - locked` (zero if negative) is what
/// can be withdrawn or charged as a dispute fee. Netting and shortfall recovery take what is due
/// from the whole balance, first come first served.
///
/// Conservation: `token.balanceOf(this) >= sum(balances) + sum(pool holdings)`, with equality for a
/// token without transfer fees; deposits credit what actually arrived.
interface IRoamingSettlement {
    /// @notice Life cycle of a claim. Finality is derived (see {isFinal}), not stored. `Accepted` by the
    /// debtor (`acceptedAt` set) or by a ruling against its claim-level dispute (`acceptedAt` 0);
    /// `Rejected` by a ruling upholding its claim-level dispute: it counts as zero and is never netted.
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

    /// @notice A claim of `creditor` (host) against `debtor` (home supplier). Six storage slots.
    /// @param submittedAt Time of submission; the challenge window is `[submittedAt, submittedAt + window]`.
    /// @param openDisputes Disputes of this claim awaiting a ruling.
    /// @param cdrCount Number of CDR leaves under `cdrRoot`, as declared by the host.
    /// @param period Settlement period the claim belongs to.
    /// @param acceptedAt Time of the debtor's acceptance (0 if it never accepted).
    /// @param claimDisputed Whether the debtor disputed the whole claim (at most once per claim).
    /// @param amount Amount owed now: `claimedAmount` less the CDRs ruled in the debtor's favour; zero
    /// once the claim is rejected.
    /// @param claimedAmount Amount as submitted.
    /// @param cdrRoot StandardMerkleTree root over `(cdrDigest, amount)` leaves.
    /// @param evidenceRoot Root the host anchored in the EvidenceLedger for these CDRs.
    /// @param packageHash keccak256 of the canonical bytes of the claim package the host delivers
    /// off-chain (the signed CDR messages and the tree); what the host must show in a claim-level dispute.
    struct Claim {
        address creditor;
        uint40 submittedAt;
        ClaimStatus status;
        uint16 openDisputes;
        uint32 cdrCount;
        address debtor;
        uint32 period;
        uint40 acceptedAt;
        bool claimDisputed;
        uint128 amount;
        uint128 claimedAmount;
        bytes32 cdrRoot;
        bytes32 evidenceRoot;
        bytes32 packageHash;
    }

    /// @notice A dispute of one CDR leaf of a claim, or of the whole claim. Both kinds share one
    /// numbering and the fee rule.
    /// @param amount The disputed leaf's amount (saturated to 128 bits; a claim never exceeds that), or
    /// for a claim-level dispute the claim's amount when it was disputed.
    /// @param fee Dispute fee in force when the dispute was opened; charged to the loser.
    /// @param cdrDigest The disputed CDR's digest (0 for a claim-level dispute).
    /// @param reason Application-defined reason code given by the debtor.
    /// @param bundleDigest Digest of the evidence bundle the arbiter ruled on (0 while open).
    struct Dispute {
        uint64 claimId;
        DisputeStatus status;
        DisputeKind kind;
        uint40 openedAt;
        uint40 resolvedAt;
        uint128 amount;
        uint128 fee;
        bytes32 cdrDigest;
        bytes32 reason;
        bytes32 bundleDigest;
    }

    /// @notice Book-keeping of a settlement period.
    /// @param claimCount Claims submitted to the period (their ids are `claimIdOf(period, 0..count-1)`).
    /// @param nettedAt Time the period was netted (0 while open).
    struct Period {
        uint32 claimCount;
        uint40 nettedAt;
    }

    /// @notice Shortfall pool of a period: what debtors could not pay at netting, recovered later and
    /// shared pro rata among the creditors left unpaid.
    /// @param totalEntitlement Sum of the unpaid creditors' entitlements (= sum of the shortfalls).
    /// @param recovered Amount recovered from debtors so far.
    /// @param distributed Amount credited to creditors so far; the pool holds `recovered - distributed`.
    struct Pool {
        uint128 totalEntitlement;
        uint128 recovered;
        uint128 distributed;
    }

    /// @notice Emitted when `supplier` deposits collateral; `amount` is what actually arrived.
    event Deposited(address indexed supplier, uint256 amount);

    /// @notice Emitted when `account` withdraws `amount` of its available balance.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Emitted when a claim is submitted.
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
        uint40 challengeDeadline
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

    /// @notice Emitted when an arbiter rules on a claim-level dispute; `released` is the amount the
    /// claim lost (all of it when upheld, 0 otherwise).
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

    /// @notice Emitted when the loser of a dispute pays `charged` (at most `fee`) to the winner.
    event DisputeFeeCharged(
        uint256 indexed disputeId, address indexed payer, address indexed payee, uint256 charged, uint256 fee
    );

    /// @notice Emitted for each internal transfer of a period's netting.
    event NetTransfer(uint32 indexed period, address indexed from, address indexed to, uint256 amount);

    /// @notice Emitted when a debtor could not pay all it owed at netting.
    event ShortfallRecorded(uint32 indexed period, address indexed debtor, uint256 amount);

    /// @notice Emitted when a creditor was left unpaid by `amount` at netting.
    event EntitlementRecorded(uint32 indexed period, address indexed creditor, uint256 amount);

    /// @notice Emitted when a period is netted.
    event PeriodNetted(
        uint32 indexed period,
        uint256 claimCount,
        uint256 supplierCount,
        uint256 transferCount,
        uint256 settled,
        uint256 shortfall
    );

    /// @notice Emitted when `amount` of a debtor's shortfall moves from its balance into the pool.
    event ShortfallRecovered(uint32 indexed period, address indexed debtor, uint256 amount);

    /// @notice Emitted when a creditor takes its pro-rata share of recovered money.
    event RecoveryClaimed(uint32 indexed period, address indexed creditor, uint256 amount);

    /// @notice Emitted when the admin changes the dispute fee.
    event DisputeFeeSet(uint256 previousFee, uint256 newFee);

    /// @notice Thrown when an amount is zero.
    error SettlementZeroAmount();

    /// @notice Thrown when `account` asks for more than its available balance.
    error SettlementInsufficientAvailable(address account, uint256 requested, uint256 available);

    /// @notice Thrown when a claim's counterparty does not hold the registry's supplier role.
    error SettlementNotSupplier(address account);

    /// @notice Thrown when a supplier claims against itself.
    error SettlementSelfClaim(address supplier);

    /// @notice Thrown when a claim has a zero CDR root, zero CDRs, a zero evidence root or a zero
    /// package hash.
    error SettlementInvalidClaim(bytes32 cdrRoot, uint32 cdrCount, bytes32 evidenceRoot, bytes32 packageHash);

    /// @notice Thrown when the host already claimed this CDR root (a batch is claimed once).
    error SettlementDuplicateClaim(bytes32 cdrRoot);

    /// @notice Thrown when the evidence root was anchored by someone other than the host.
    error SettlementEvidenceNotOwned(bytes32 evidenceRoot, address submitter);

    /// @notice Thrown when a period is already netted (no new claims, no second netting).
    error SettlementPeriodNetted(uint32 period);

    /// @notice Thrown when a period already holds `max` claims.
    error SettlementPeriodFull(uint32 period, uint256 max);

    /// @notice Thrown when a period has no claims to net.
    error SettlementEmptyPeriod(uint32 period);

    /// @notice Thrown when a claim id does not exist.
    error SettlementUnknownClaim(uint256 claimId);

    /// @notice Thrown when someone other than the claim's debtor accepts or disputes it.
    error SettlementNotDebtor(uint256 claimId, address caller);

    /// @notice Thrown when a claim is accepted twice, disputed after acceptance, or already netted.
    error SettlementClaimNotPending(uint256 claimId, ClaimStatus status);

    /// @notice Thrown when the debtor accepts a claim whose claim-level dispute awaits a ruling.
    error SettlementClaimOnHold(uint256 claimId);

    /// @notice Thrown when the debtor disputes a whole claim a second time.
    error SettlementClaimAlreadyDisputed(uint256 claimId);

    /// @notice Thrown when a dispute comes after the challenge window closed at `deadline`.
    error SettlementChallengeWindowClosed(uint256 claimId, uint40 deadline);

    /// @notice Thrown when a Merkle proof does not prove `(cdrDigest, amount)` under the claim's root.
    error SettlementInvalidProof(uint256 claimId, bytes32 cdrDigest);

    /// @notice Thrown when the same CDR leaf of a claim is disputed twice.
    error SettlementAlreadyDisputed(uint256 claimId, bytes32 cdrDigest);

    /// @notice Thrown when a dispute id does not exist.
    error SettlementUnknownDispute(uint256 disputeId);

    /// @notice Thrown when a dispute was already ruled on.
    error SettlementDisputeClosed(uint256 disputeId);

    /// @notice Thrown when a ruling function meets a dispute of the other kind ({resolveDispute} rules on
    /// CDR disputes, {resolveClaimDispute} on claim-level ones).
    error SettlementWrongDisputeKind(uint256 disputeId, DisputeKind kind);

    /// @notice Thrown when the arbiter is the creditor or the debtor of the disputed claim.
    error SettlementArbiterIsParty(uint256 disputeId, address arbiter);

    /// @notice Thrown when a ruling names no evidence bundle.
    error SettlementInvalidBundle(uint256 disputeId);

    /// @notice Thrown when netting meets a claim that is not final.
    error SettlementClaimNotFinal(uint256 claimId);

    /// @notice Thrown when a batch holds more than `max` items.
    error SettlementBatchTooLarge(uint256 size, uint256 max);

    /// @notice Thrown when there is nothing to recover or to take from a period's pool.
    error SettlementNothingToRecover(uint32 period, address account);

    /// @notice Thrown when the constructor gets a zero address or a zero challenge window.
    error SettlementInvalidConfig();

    /// @notice Role of accounts that may pause and unpause the writes.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Most claims a period may hold (bounds the netting loop).
    function MAX_CLAIMS_PER_PERIOD() external view returns (uint256);

    /// @notice Most distinct suppliers a netting can involve: two per claim, so
    /// `2 * MAX_CLAIMS_PER_PERIOD` (bounds the netting arrays and the `n - 1` transfers).
    function MAX_SUPPLIERS_PER_NETTING() external view returns (uint256);

    /// @notice Most claims one {acceptClaims} call may accept.
    function MAX_BATCH() external view returns (uint256);

    /// @notice Length of the challenge window after submission, in seconds.
    function CHALLENGE_WINDOW() external view returns (uint40);

    /// @notice Deposits `amount` of the settlement token as collateral of the caller.
    /// @dev Caller must hold the registry's SUPPLIER_ROLE and have approved this contract. Credits the
    /// amount that actually arrived. Reverts with {SettlementZeroAmount} for zero.
    function deposit(uint256 amount) external;

    /// @notice Sends `amount` of the caller's available balance to the caller (pull payment).
    /// @dev Works while paused and for accounts whose supplier role was revoked. Reverts with
    /// {SettlementInsufficientAvailable} beyond `availableOf(caller)`.
    function withdraw(uint256 amount) external;

    /// @notice Submits a claim of the caller (host supplier) against `debtor` for `period`.
    /// @dev Caller and debtor must hold SUPPLIER_ROLE. Reverts with {SettlementPeriodNetted} once the
    /// period is netted and with {SettlementPeriodFull} beyond {MAX_CLAIMS_PER_PERIOD} claims.
    /// @param amount Sum of the CDR amounts under `cdrRoot`; locked on the debtor's collateral.
    /// @param cdrRoot StandardMerkleTree root over `(cdrDigest, amount)` leaves; each host claims a
    /// root once (per host, so that nobody can block another host's root by claiming it first).
    /// @param cdrCount Number of leaves.
    /// @param evidenceRoot Root anchored by the caller in the EvidenceLedger (the ledger reverts with
    /// `EvidenceNotFound` if it is not anchored).
    /// @param packageHash keccak256 of the canonical bytes of the claim package the caller delivers to
    /// the debtor off-chain (non-zero). The contract only records it: in a claim-level dispute the
    /// arbiter checks that the package the host shows hashes to it and holds the tree of `cdrRoot`.
    /// @return claimId The new claim's id, `claimIdOf(period, index)`.
    function submitClaim(
        uint32 period,
        address debtor,
        uint256 amount,
        bytes32 cdrRoot,
        uint32 cdrCount,
        bytes32 evidenceRoot,
        bytes32 packageHash
    ) external returns (uint256 claimId);

    /// @notice Accepts a pending claim: the debtor's on-chain proof of receipt. It waives further
    /// disputes; open disputes still need a ruling before the claim is final. A claim whose
    /// claim-level dispute awaits a ruling cannot be accepted ({SettlementClaimOnHold}).
    /// @dev Caller must hold SUPPLIER_ROLE and be the claim's debtor.
    function acceptClaim(uint256 claimId) external;

    /// @notice Accepts up to {MAX_BATCH} claims; reverts with {SettlementBatchTooLarge} beyond.
    function acceptClaims(uint256[] calldata claimIds) external;

    /// @notice Disputes one CDR of a pending claim within its challenge window (deadline included).
    /// @param cdrDigest EIP-712 digest of the disputed CDR.
    /// @param amount The CDR's amount as it appears in the leaf.
    /// @param proof StandardMerkleTree proof of the leaf `(cdrDigest, amount)` under the claim's root.
    /// @param reason Application-defined reason code.
    /// @return disputeId The new dispute's id (ids start at 1).
    function disputeCdr(
        uint256 claimId,
        bytes32 cdrDigest,
        uint256 amount,
        bytes32[] calldata proof,
        bytes32 reason
    ) external returns (uint256 disputeId);

    /// @notice Disputes a whole pending claim within its challenge window (deadline included), for
    /// evidence the debtor was never shown: the claim package did not arrive, does not hash to the
    /// claim's `packageHash`, or does not hold the tree of its `cdrRoot`. The claim is on hold until an
    /// arbiter rules ({resolveClaimDispute}): not final, not nettable, and it cannot be accepted. CDR
    /// disputes stay possible within the window. Once per claim.
    /// @dev Caller must hold SUPPLIER_ROLE and be the claim's debtor.
    /// @param reason Application-defined reason code (e.g. "PACKAGE_MISSING", "PACKAGE_MISMATCH").
    /// @return disputeId The new dispute's id, numbered with the CDR disputes.
    function disputeClaim(uint256 claimId, bytes32 reason) external returns (uint256 disputeId);

    /// @notice Rules on an open CDR dispute. Upholding it (a ruling for the debtor) reduces the claim
    /// by the CDR's amount (never below zero). The loser pays the dispute fee fixed when the dispute
    /// was opened to the winner, taken only from its available balance: if that is short, the fee is
    /// capped at what is available and the rest is waived (never recorded as a debt).
    /// @dev Caller must hold the registry's ARBITER_ROLE and be neither party of the claim.
    /// @param bundleDigest Digest of the evidence bundle the ruling rests on (non-zero).
    function resolveDispute(uint256 disputeId, bool upheld, bytes32 bundleDigest) external;

    /// @notice Rules on an open claim-level dispute. Upheld (the host could not show a package that
    /// hashes to `packageHash` and holds the tree of `cdrRoot`): the claim is `Rejected`, its amount
    /// becomes zero and its lock is released; it never nets. Not upheld (the host showed such a
    /// package): the claim is `Accepted` and proceeds as if the debtor had accepted it. The loser
    /// pays the fee as in {resolveDispute}. Open CDR disputes of the claim keep their own rulings.
    /// @dev Caller must hold the registry's ARBITER_ROLE and be neither party of the claim.
    /// @param bundleDigest Digest of what the ruling rests on, e.g. the package shown (non-zero).
    function resolveClaimDispute(uint256 disputeId, bool upheld, bytes32 bundleDigest) external;

    /// @notice Nets every claim of `period`, all of which must be final, once. Rejected claims count
    /// as zero and keep their status; the others become `Netted`.
    /// @dev Caller must hold SUPPLIER_ROLE. Computes each supplier's net position, lets each debtor
    /// pay `min(owed, balance)`, pays the creditors pro rata, rounded down with `Math.mulDiv`, and
    /// settles with a greedy debtor/creditor match: at most `n - 1` internal transfers, one
    /// {NetTransfer} each. What debtors could not pay (plus the rounding dust, which the last
    /// debtors in order keep owing) is recorded as their shortfall and as the unpaid creditors'
    /// entitlement in the period's pool.
    function netPeriod(uint32 period) external;

    /// @notice Moves up to `debtor`'s shortfall for `period` from its balance into the period's pool.
    /// @dev Caller must hold SUPPLIER_ROLE. Takes `min(shortfall, balance)`.
    /// @return amount The amount recovered.
    function recoverShortfall(uint32 period, address debtor) external returns (uint256 amount);

    /// @notice Credits the caller with its pro-rata share of what the period's pool recovered so far:
    /// `mulDiv(entitlement, recovered, totalEntitlement) - taken`, rounded down, so the pool never
    /// pays out more than it recovered and pays every entitlement exactly once fully recovered.
    /// @return amount The amount credited to the caller's balance.
    function claimRecovery(uint32 period) external returns (uint256 amount);

    /// @notice Pauses every write except {withdraw}. Caller must hold {PAUSER_ROLE}.
    function pause() external;

    /// @notice Lifts the pause. Caller must hold {PAUSER_ROLE}.
    function unpause() external;

    /// @notice Sets the fee charged to the loser of disputes opened from now on. Default admin only.
    function setDisputeFee(uint256 fee) external;

    /// @notice The settlement token.
    function TOKEN() external view returns (IERC20);

    /// @notice Current dispute fee.
    function disputeFee() external view returns (uint256);

    /// @notice Internal balance of `account`.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Part of `account`'s balance reserved for claims against it and for its shortfalls.
    function lockedOf(address account) external view returns (uint256);

    /// @notice `balance - locked`, or zero: what `account` may withdraw.
    function availableOf(address account) external view returns (uint256);

    /// @notice Claim `claimId`; reverts with {SettlementUnknownClaim} if absent.
    function claimOf(uint256 claimId) external view returns (Claim memory);

    /// @notice End of the challenge window of `claimId` (disputes allowed up to and including it).
    function challengeDeadline(uint256 claimId) external view returns (uint40);

    /// @notice True if the claim no longer holds up its period's netting: rejected (it counts as zero),
    /// or no open dispute of either kind and accepted or its window closed. False once netted.
    function isFinal(uint256 claimId) external view returns (bool);

    /// @notice Dispute `disputeId`; reverts with {SettlementUnknownDispute} if absent.
    function disputeOf(uint256 disputeId) external view returns (Dispute memory);

    /// @notice Book-keeping of `period`.
    function periodOf(uint32 period) external view returns (Period memory);

    /// @notice Id of the `index`-th claim of `period` (from 0): `(period << 32) | index`.
    function claimIdOf(uint32 period, uint32 index) external pure returns (uint256);

    /// @notice What `debtor` still owes to the pool of `period`.
    function shortfallOf(uint32 period, address debtor) external view returns (uint256);

    /// @notice `creditor`'s unpaid entitlement in `period`, what it took, and what it can take now.
    function entitlementOf(uint32 period, address creditor)
        external
        view
        returns (uint256 entitlement, uint256 taken, uint256 claimable);

    /// @notice The shortfall pool of `period`.
    function poolOf(uint32 period) external view returns (Pool memory);

    /// @notice The StandardMerkleTree leaf of a CDR `(cdrDigest, amount)`.
    function cdrLeaf(bytes32 cdrDigest, uint256 amount) external pure returns (bytes32);
}
