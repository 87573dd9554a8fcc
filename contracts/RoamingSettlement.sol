// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDisputeRecords} from "./interfaces/IDisputeRecords.sol";
import {IEvidenceLedger} from "./interfaces/IEvidenceLedger.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IRoamingSettlement} from "./interfaces/IRoamingSettlement.sol";
import {SettlementAccounts} from "./libraries/SettlementAccounts.sol";
import {SettlementCdrTrees} from "./libraries/SettlementCdrTrees.sol";
import {SettlementClaims} from "./libraries/SettlementClaims.sol";
import {SettlementDisputes} from "./libraries/SettlementDisputes.sol";
import {SettlementPairs} from "./libraries/SettlementPairs.sol";

/// @title RoamingSettlement
/// @notice Collateral with per-claim reservations, claims with CDR Merkle roots and package hashes,
/// on-chain proof of a claim's CDR sum, bonded single-CDR and claim-level disputes, arbiter rulings,
/// netting per pair of suppliers with recorded shortfalls, and two-step withdrawals.
/// @dev Suppliers and arbiters are the registry's roles; pausing and the dispute fee are this
/// contract's own roles, under a two-step default admin with a transfer delay.
contract RoamingSettlement is
    AccessControlDefaultAdminRules,
    Pausable,
    ReentrancyGuard,
    IRoamingSettlement,
    IDisputeRecords
{
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SettlementAccounts for SettlementAccounts.Account;
    using SettlementAccounts for mapping(address => SettlementAccounts.Account);
    using SettlementClaims for SettlementClaims.Record;
    using SettlementClaims for SettlementClaims.Book;
    using SettlementDisputes for SettlementDisputes.Book;
    using SettlementPairs for SettlementPairs.Book;

    /// @inheritdoc IRoamingSettlement
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IRoamingSettlement
    uint256 public constant MAX_CDRS_PER_CLAIM = 1024;
    /// @inheritdoc IRoamingSettlement
    uint256 public constant MAX_CLAIM_AMOUNT = type(uint96).max;
    /// @inheritdoc IRoamingSettlement
    uint256 public constant MAX_PAIR_AMOUNT = SettlementPairs.MAX_PAIR_AMOUNT;
    /// @inheritdoc IRoamingSettlement
    uint256 public constant MAX_BATCH = 64;

    /// @notice The registry of participants and roles.
    IParticipantRegistry public immutable REGISTRY;
    /// @notice The ledger in which hosts anchor the evidence of their claims.
    IEvidenceLedger public immutable EVIDENCE;
    /// @inheritdoc IRoamingSettlement
    IERC20 public immutable TOKEN;
    /// @inheritdoc IRoamingSettlement
    uint40 public immutable CHALLENGE_WINDOW;
    /// @inheritdoc IRoamingSettlement
    uint40 public immutable PERIOD_SECONDS;
    /// @inheritdoc IRoamingSettlement
    uint40 public immutable CLAIM_GRACE;
    /// @inheritdoc IRoamingSettlement
    uint40 public immutable WITHDRAWAL_NOTICE;
    bytes32 private immutable _SUPPLIER_ROLE;
    bytes32 private immutable _ARBITER_ROLE;

    /// @dev A withdrawal request. One slot.
    struct Withdrawal {
        uint128 amount;
        uint40 readyAt;
    }

    uint128 private _disputeFee;
    uint40 private _pausedTotal;
    uint40 private _pausedAt;
    mapping(address account => SettlementAccounts.Account) private _accounts;
    mapping(address account => uint256) private _debts;
    mapping(address account => Withdrawal) private _withdrawals;
    SettlementClaims.Book private _claims;
    SettlementDisputes.Book private _disputes;
    SettlementPairs.Book private _book;

    /// @param timing The durations of the rules; the notice must exceed the other three together.
    /// @param adminDelay Delay of a default-admin transfer, in seconds.
    /// @param admin Initial default admin (should be a multisig in production).
    constructor(
        IParticipantRegistry registry,
        IEvidenceLedger evidence,
        IERC20 token,
        Timing memory timing,
        uint48 adminDelay,
        address admin
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (
            address(evidence) == address(0) || address(token) == address(0) || timing.challengeWindow == 0
                || timing.periodSeconds == 0
                || uint256(timing.withdrawalNotice)
                    <= uint256(timing.periodSeconds) + timing.claimGrace + timing.challengeWindow
        ) revert SettlementInvalidConfig();
        REGISTRY = registry;
        EVIDENCE = evidence;
        TOKEN = token;
        (CHALLENGE_WINDOW, PERIOD_SECONDS) = (timing.challengeWindow, timing.periodSeconds);
        (CLAIM_GRACE, WITHDRAWAL_NOTICE) = (timing.claimGrace, timing.withdrawalNotice);
        _SUPPLIER_ROLE = registry.SUPPLIER_ROLE();
        _ARBITER_ROLE = registry.ARBITER_ROLE();
    }

    /// @inheritdoc IRoamingSettlement
    function deposit(uint256 amount) external nonReentrant whenNotPaused {
        _checkRegistryRole(_SUPPLIER_ROLE);
        if (amount == 0) revert SettlementZeroAmount();
        uint256 before = _tokenBalance();
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        // Credit what arrived (a fee-charging token delivers less than `amount`).
        uint256 held = _tokenBalance();
        // Every internal amount is part of the token balance: below 2^128, no sum of them overflows.
        if (held > type(uint128).max) revert SettlementDepositTooLarge(held);
        uint256 received = held - before;
        if (received == 0) revert SettlementZeroAmount();
        _accounts[msg.sender].balance += uint128(received);
        emit Deposited(msg.sender, received);
    }

    /// @inheritdoc IRoamingSettlement
    function requestWithdrawal(uint256 amount) external {
        uint40 readyAt = _time() + WITHDRAWAL_NOTICE;
        _withdrawals[msg.sender] = Withdrawal({amount: amount.toUint128(), readyAt: readyAt});
        emit WithdrawalRequested(msg.sender, amount, readyAt);
    }

    /// @inheritdoc IRoamingSettlement
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert SettlementZeroAmount();
        Withdrawal storage w = _withdrawals[msg.sender];
        (uint128 requested, uint40 readyAt) = (w.amount, w.readyAt);
        if (amount > requested) revert SettlementWithdrawalNotRequested(msg.sender, amount, requested);
        if (_time() < readyAt) revert SettlementWithdrawalNotReady(msg.sender, readyAt);
        uint256 available = availableOf(msg.sender);
        if (amount > available) revert SettlementInsufficientAvailable(msg.sender, amount, available);
        // Effects before the interaction. Safe casts: amount <= requested, a uint128.
        w.amount = requested - uint128(amount);
        _accounts[msg.sender].balance -= uint128(amount);
        emit Withdrawn(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IRoamingSettlement
    function submitClaim(
        uint32 period,
        address debtor,
        uint256 amount,
        bytes32 cdrRoot,
        uint32 cdrCount,
        bytes32 evidenceRoot,
        bytes32 packageHash
    ) external whenNotPaused returns (uint256 claimId) {
        _checkClaim(period, debtor, amount, cdrRoot, cdrCount, evidenceRoot, packageHash);
        uint256 reserved;
        // Safe casts: amount <= MAX_CLAIM_AMOUNT (96 bits); cdrCount <= MAX_CDRS_PER_CLAIM.
        (claimId, reserved) = _record(period, debtor, uint96(amount), uint16(cdrCount), cdrRoot);
        emit ClaimSubmitted(
            claimId,
            period,
            msg.sender,
            debtor,
            amount,
            cdrRoot,
            cdrCount,
            evidenceRoot,
            packageHash,
            _time() + CHALLENGE_WINDOW,
            reserved
        );
    }

    /// @inheritdoc IRoamingSettlement
    function acceptClaim(uint256 claimId) external whenNotPaused {
        _accept(claimId);
    }

    /// @inheritdoc IRoamingSettlement
    function acceptClaims(uint256[] calldata claimIds) external whenNotPaused {
        uint256 n = claimIds.length;
        if (n > MAX_BATCH) revert SettlementBatchTooLarge(n, MAX_BATCH);
        for (uint256 i; i < n; ++i) {
            _accept(claimIds[i]);
        }
    }

    /// @inheritdoc IRoamingSettlement
    function disputeCdr(
        uint256 claimId,
        bytes32 cdrDigest,
        uint256 amount,
        bytes32[] calldata proof,
        bytes32 reason
    ) external whenNotPaused returns (uint256 disputeId) {
        SettlementClaims.Record storage c = _disputableClaim(claimId);
        if (!MerkleProof.verifyCalldata(proof, c.cdrRoot, SettlementCdrTrees.leaf(cdrDigest, amount))) {
            revert SettlementInvalidProof(claimId, cdrDigest);
        }
        disputeId = _openCdrDispute(c, claimId, cdrDigest, amount, reason);
    }

    /// @inheritdoc IRoamingSettlement
    function disputeCdrs(
        uint256 claimId,
        Cdr[] calldata cdrs,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        bytes32[] calldata reasons
    ) external whenNotPaused returns (uint256 firstId) {
        uint256 n = cdrs.length;
        if (n == 0 || n > MAX_BATCH || reasons.length != n) revert SettlementBatchTooLarge(n, MAX_BATCH);
        SettlementClaims.Record storage c = _disputableClaim(claimId);
        if (!SettlementCdrTrees.verify(c.cdrRoot, cdrs, proof, proofFlags)) {
            revert SettlementInvalidProof(claimId, cdrs[0].digest);
        }
        firstId = _disputes.count + 1;
        for (uint256 i; i < n; ++i) {
            _openCdrDispute(c, claimId, cdrs[i].digest, cdrs[i].amount, reasons[i]);
        }
    }

    /// @inheritdoc IRoamingSettlement
    function disputeClaim(uint256 claimId, bytes32 reason) external whenNotPaused returns (uint256 disputeId) {
        SettlementClaims.Record storage c = _disputableClaim(claimId);
        _hold(c, claimId, DisputeKind.Claim);
        uint96 amount = _terms(c).amount;
        disputeId = _disputes.create(claimId, DisputeKind.Claim, amount, reason, _takeBond(), _time());
        emit ClaimDisputed(disputeId, claimId, msg.sender, amount, reason);
    }

    /// @inheritdoc IRoamingSettlement
    function proveClaimSum(uint256 claimId, Cdr[] calldata cdrs) external whenNotPaused {
        SettlementClaims.Record storage c = _claim(claimId);
        SettlementClaims.Terms storage t = _terms(c);
        if (_book.nettedAtOf(SettlementPairs.periodOfId(claimId), c.creditor, t.debtor) != 0) {
            revert SettlementClaimNotPending(claimId, ClaimStatus.Netted);
        }
        if (cdrs.length > MAX_CDRS_PER_CLAIM) revert SettlementTooManyCdrs(cdrs.length, MAX_CDRS_PER_CLAIM);
        (bool complete, uint256 sum) = SettlementCdrTrees.sumOfAll(c.cdrRoot, cdrs);
        if (!complete) revert SettlementIncompleteLeafSet(claimId);
        (uint96 current, uint96 taken) = (t.amount, c.taken);
        uint256 claimed = uint256(current) + taken;
        if (sum >= claimed) revert SettlementSumNotBelowClaim(claimId, sum, claimed);
        // What upheld CDR disputes took already stays taken. Safe cast: sum < claimed, a uint96.
        uint96 amount = uint96(sum) > taken ? uint96(sum) - taken : 0;
        _cut(c, t, claimId, current - amount);
        c.taken = uint96(sum) - amount; // the claimed amount is now the sum
        emit ClaimSumProven(claimId, msg.sender, claimed, sum, amount);
    }

    /// @inheritdoc IRoamingSettlement
    function resolveDispute(uint256 disputeId, bool upheld, bytes32 bundleDigest) external whenNotPaused {
        _resolve(disputeId, DisputeKind.Cdr, upheld, bundleDigest);
    }

    /// @inheritdoc IRoamingSettlement
    function resolveClaimDispute(uint256 disputeId, bool upheld, bytes32 bundleDigest) external whenNotPaused {
        _resolve(disputeId, DisputeKind.Claim, upheld, bundleDigest);
    }

    /// @inheritdoc IRoamingSettlement
    function netPair(uint32 period, address a, address b) external whenNotPaused {
        _checkRegistryRole(_SUPPLIER_ROLE);
        _checkNettable(period, a, b);
        _book.markNetted(period, a, b, _time());
        (Flow memory fromB, Flow memory fromA) = (_book.flowOf(period, a, b), _book.flowOf(period, b, a));
        (address creditor, address debtor, uint256 owed, uint256 reserved) = fromB.amount >= fromA.amount
            ? (a, b, fromB.amount - fromA.amount, fromB.reserved)
            : (b, a, fromA.amount - fromB.amount, fromA.reserved);
        // What the debtor can pay: the collateral reserved for these claims, and what it has available
        // besides (older shortfalls and other claims' reservations come first).
        uint256 capacity = availableOf(debtor) + reserved;
        _accounts[b].locked -= fromB.reserved; // Safe: booked into the lock at submission, released once.
        _accounts[a].locked -= fromA.reserved;
        uint256 paid = Math.min(owed, capacity);
        if (paid != 0) _accounts.move(debtor, creditor, paid);
        if (paid != owed) {
            _book.cover(period, creditor, debtor).shortfall = owed - paid;
            _debts[debtor] += owed - paid;
        }
        emit PairNetted(period, creditor, debtor, owed, paid, owed - paid);
    }

    /// @inheritdoc IRoamingSettlement
    function recoverShortfall(uint32 period, address debtor, address creditor)
        external
        whenNotPaused
        returns (uint256 amount)
    {
        _checkRegistryRole(_SUPPLIER_ROLE);
        SettlementPairs.Cover storage cover = _book.cover(period, creditor, debtor);
        uint256 owed = cover.shortfall;
        amount = Math.min(owed, _accounts[debtor].free());
        if (amount == 0) revert SettlementNothingToRecover(period, debtor, creditor);
        cover.shortfall = owed - amount;
        _debts[debtor] -= amount;
        _accounts.move(debtor, creditor, amount);
        emit ShortfallRecovered(period, debtor, creditor, amount);
    }

    /// @inheritdoc IRoamingSettlement
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
        _pausedAt = _time();
    }

    /// @inheritdoc IRoamingSettlement
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
        _pausedTotal += _time() - _pausedAt;
    }

    /// @inheritdoc IRoamingSettlement
    function setDisputeFee(uint256 fee) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 previous = _disputeFee;
        _disputeFee = fee.toUint128();
        emit DisputeFeeSet(previous, fee);
    }

    /// @inheritdoc IRoamingSettlement
    function disputeFee() external view returns (uint256) {
        return _disputeFee;
    }

    /// @inheritdoc IRoamingSettlement
    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    /// @inheritdoc IRoamingSettlement
    function lockedOf(address account) external view returns (uint256) {
        return _accounts[account].locked;
    }

    /// @inheritdoc IRoamingSettlement
    function debtOf(address account) external view returns (uint256) {
        return _debts[account];
    }

    /// @inheritdoc IRoamingSettlement
    function availableOf(address account) public view returns (uint256) {
        return _accounts[account].available(_debts[account]);
    }

    /// @inheritdoc IRoamingSettlement
    function withdrawalOf(address account) external view returns (uint256 amount, uint40 readyAt) {
        Withdrawal memory w = _withdrawals[account];
        return (w.amount, w.readyAt);
    }

    /// @inheritdoc IRoamingSettlement
    function claimOf(uint256 claimId) external view returns (Claim memory c) {
        SettlementClaims.Record storage r = _claim(claimId);
        c = r.toClaim(_terms(r), SettlementPairs.periodOfId(claimId));
        if (c.status != ClaimStatus.Rejected && _book.nettedAtOf(c.period, c.creditor, c.debtor) != 0) {
            c.status = ClaimStatus.Netted;
        }
    }

    /// @inheritdoc IRoamingSettlement
    function challengeDeadline(uint256 claimId) external view returns (uint256) {
        return uint256(_claim(claimId).deadline(CHALLENGE_WINDOW)) + _time() - _clock();
    }

    /// @inheritdoc IRoamingSettlement
    function isFinal(uint256 claimId) external view returns (bool) {
        SettlementClaims.Record storage c = _claim(claimId);
        return _book.nettedAtOf(SettlementPairs.periodOfId(claimId), c.creditor, _terms(c).debtor) == 0
            && c.isFinal(CHALLENGE_WINDOW, _clock());
    }

    /// @inheritdoc IRoamingSettlement
    function disputeOf(uint256 disputeId) external view returns (Dispute memory d) {
        d = _disputes.disputes[disputeId];
        if (d.status == DisputeStatus.None) revert SettlementUnknownDispute(disputeId);
    }

    /// @inheritdoc IDisputeRecords
    /// @dev Only a claim's debtor opens disputes of it.
    function disputeRecordOf(bytes32 disputeId) external view returns (address openedBy, uint40 openedAt) {
        Dispute storage d = _disputes.disputes[uint256(disputeId)];
        openedAt = d.openedAt;
        if (openedAt != 0) openedBy = _terms(_claims.records[d.claimId]).debtor;
    }

    /// @inheritdoc IRoamingSettlement
    function periodOf(uint32 period) external view returns (uint32 claimCount, uint256 closesAt) {
        return (_book.claimCounts[period], _closesAt(period));
    }

    /// @inheritdoc IRoamingSettlement
    function pairOf(uint32 period, address a, address b)
        external
        view
        returns (Pair memory pair, Flow memory aFromB, Flow memory bFromA)
    {
        return (_book.pairOf(period, a, b), _book.flowOf(period, a, b), _book.flowOf(period, b, a));
    }

    /// @inheritdoc IRoamingSettlement
    function claimIdOf(uint32 period, uint32 index) external pure returns (uint256) {
        return SettlementPairs.idOf(period, index);
    }

    /// @inheritdoc IRoamingSettlement
    function shortfallOf(uint32 period, address debtor, address creditor) external view returns (uint256) {
        return _book.cover(period, creditor, debtor).shortfall;
    }

    /// @inheritdoc IRoamingSettlement
    function cdrLeaf(bytes32 cdrDigest, uint256 amount) external pure returns (bytes32) {
        return SettlementCdrTrees.leaf(cdrDigest, amount);
    }

    /// @inheritdoc AccessControlDefaultAdminRules
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IRoamingSettlement).interfaceId || interfaceId == type(IDisputeRecords).interfaceId
            || super.supportsInterface(interfaceId);
    }

    /// @dev The wall clock; a test contract may override it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    /// @dev The contract's clock: the wall clock less the time spent paused; it stands still while paused.
    function _clock() private view returns (uint40) {
        return (paused() ? _pausedAt : _time()) - _pausedTotal;
    }

    /// @dev First second after `period` plus the grace: from then on the period takes no claims.
    function _closesAt(uint32 period) private view returns (uint256) {
        return (uint256(period) + 1) * PERIOD_SECONDS + CLAIM_GRACE;
    }

    /// @dev Checks that the pair `{a, b}` of `period` is closed to claims, holds claims, is not netted,
    /// and has all its claims final.
    function _checkNettable(uint32 period, address a, address b) private view {
        uint256 closesAt = _closesAt(period);
        if (_time() <= closesAt) revert SettlementPeriodOpen(period, closesAt);
        Pair memory p = _book.pairOf(period, a, b);
        if (p.claims == 0) revert SettlementEmptyPair(period, a, b);
        if (p.nettedAt != 0) revert SettlementPairNetted(period, a, b);
        if (!SettlementPairs.isFinal(p, CHALLENGE_WINDOW, _clock())) revert SettlementPairNotFinal(period, a, b);
    }

    function _accept(uint256 claimId) private {
        SettlementClaims.Record storage c = _pendingClaimOfDebtor(claimId);
        // Pending and on hold: the claim-level dispute awaits its ruling.
        if (c.onHold) revert SettlementClaimOnHold(claimId);
        (uint32 period, address creditor) = (SettlementPairs.periodOfId(claimId), c.creditor);
        // Past its window and netted with its pair: nothing left to accept.
        if (_book.nettedAtOf(period, creditor, msg.sender) != 0) {
            revert SettlementClaimNotPending(claimId, ClaimStatus.Netted);
        }
        c.status = ClaimStatus.Accepted;
        _book.direction(period, creditor, msg.sender).pending -= 1;
        emit ClaimAccepted(claimId, msg.sender, _time());
    }

    /// @dev The terms of claim `c`.
    function _terms(SettlementClaims.Record storage c) private view returns (SettlementClaims.Terms storage) {
        return _claims.termsOf(c);
    }

    /// @dev The claim `claimId`; reverts with {SettlementUnknownClaim} if absent.
    function _claim(uint256 claimId) private view returns (SettlementClaims.Record storage c) {
        c = _claims.records[claimId];
        if (c.status == ClaimStatus.None) revert SettlementUnknownClaim(claimId);
    }

    /// @dev The claim `claimId`, which must exist, have the caller as its debtor, and be pending.
    function _pendingClaimOfDebtor(uint256 claimId) private view returns (SettlementClaims.Record storage c) {
        c = _claim(claimId);
        ClaimStatus status = c.status;
        if (_terms(c).debtor != msg.sender) revert SettlementNotDebtor(claimId, msg.sender);
        if (status != ClaimStatus.Pending) revert SettlementClaimNotPending(claimId, status);
    }

    /// @dev The pending claim `claimId` of the caller within its window. The debtor needs no role: it
    /// can always defend its claims.
    function _disputableClaim(uint256 claimId) private view returns (SettlementClaims.Record storage c) {
        c = _pendingClaimOfDebtor(claimId);
        c.checkWindow(claimId, CHALLENGE_WINDOW, _clock());
    }

    /// @dev Counts a new dispute of `c` (of `kind`, opened by its debtor, the caller) into the claim
    /// and its pair.
    function _hold(SettlementClaims.Record storage c, uint256 claimId, DisputeKind kind) private {
        c.addDispute(claimId, kind);
        _book.direction(SettlementPairs.periodOfId(claimId), c.creditor, msg.sender).holds += 1;
    }

    /// @dev Opens the CDR dispute of one proven leaf of `c`, with the caller's bond.
    function _openCdrDispute(SettlementClaims.Record storage c, uint256 claimId, bytes32 cdrDigest, uint256 amount, bytes32 reason)
        private
        returns (uint256 disputeId)
    {
        _hold(c, claimId, DisputeKind.Cdr);
        disputeId = _disputes.open(claimId, cdrDigest, amount, reason, _takeBond(), _time());
        emit CdrDisputed(disputeId, claimId, cdrDigest, amount, reason);
    }

    /// @dev Escrows the dispute fee in force from the caller's available balance.
    function _takeBond() private returns (uint128 bond) {
        bond = _disputeFee;
        if (bond == 0) return 0;
        uint256 available = availableOf(msg.sender);
        if (bond > available) revert SettlementInsufficientAvailable(msg.sender, bond, available);
        _accounts[msg.sender].balance -= bond;
    }

    /// @dev Cuts `lost` off claim `c` and its pair's totals, and releases the reservation it no
    /// longer needs.
    function _cut(SettlementClaims.Record storage c, SettlementClaims.Terms storage t, uint256 claimId, uint96 lost)
        private
    {
        (uint32 period, address creditor, address debtor) = (SettlementPairs.periodOfId(claimId), c.creditor, t.debtor);
        uint96 released = c.shrink(t, lost);
        _book.cut(period, creditor, debtor, lost, released);
        _accounts[debtor].locked -= released;
    }

    /// @dev Rules on open dispute `disputeId` of `kind` for an arbiter who is no party of its claim.
    /// The winner gets the bond back; the host, when it loses, pays the fee from its available
    /// balance (what that cannot cover is waived); the debtor, when it loses, forfeits the bond.
    function _resolve(uint256 disputeId, DisputeKind kind, bool upheld, bytes32 bundleDigest) private {
        _checkRegistryRole(_ARBITER_ROLE);
        Dispute storage d = _disputes.close(disputeId, kind, upheld, bundleDigest, _time());
        uint256 claimId = d.claimId;
        SettlementClaims.Record storage c = _claims.records[claimId];
        SettlementClaims.Terms storage t = _terms(c);
        (address creditor, address debtor) = (c.creditor, t.debtor);
        if (msg.sender == creditor || msg.sender == debtor) revert SettlementArbiterIsParty(disputeId, msg.sender);
        SettlementPairs.Direction storage p = _book.direction(SettlementPairs.periodOfId(claimId), creditor, debtor);
        p.holds -= 1;
        uint96 lost = c.rule(t, kind, d.amount, upheld, _clock());
        if (lost != 0) _cut(c, t, claimId, lost);
        if (kind == DisputeKind.Cdr) {
            emit DisputeResolved(disputeId, claimId, msg.sender, upheld, bundleDigest, lost);
        } else {
            if (upheld) p.pending -= 1;
            else p.lastWindowStart = c.windowStart;
            emit ClaimDisputeResolved(disputeId, claimId, msg.sender, upheld, bundleDigest, lost);
        }
        _settleBond(disputeId, d.bond, upheld, creditor, debtor);
    }

    function _settleBond(uint256 disputeId, uint128 bond, bool upheld, address creditor, address debtor) private {
        if (bond == 0) return;
        // Upheld: the bond goes back to the debtor and the host pays what it can of the fee. Not
        // upheld: the host gets the bond.
        (address payer, address payee, uint256 charged) =
            upheld ? (creditor, debtor, Math.min(bond, availableOf(creditor))) : (debtor, creditor, bond);
        _accounts[payee].balance += bond;
        if (upheld) _accounts.move(payer, payee, charged);
        emit DisputeFeeCharged(disputeId, payer, payee, charged, bond);
    }

    /// @dev Books a new claim of the caller against `debtor` over `cdrRoot`: reserves
    /// `min(amount, available)` of the debtor's collateral for it, counts it into its pair, and stores
    /// its numbers (nothing in the record's last slot when the reservation covers all of it).
    function _record(uint32 period, address debtor, uint96 amount, uint16 cdrCount, bytes32 cdrRoot)
        private
        returns (uint256 claimId, uint96 reserved)
    {
        SettlementAccounts.Account storage a = _accounts[debtor];
        // Safe cast: at most `amount`, a uint96.
        reserved = uint96(Math.min(amount, a.available(_debts[debtor])));
        a.locked += reserved; // stays <= balance: reserved <= balance - locked
        uint40 clock = _clock();
        claimId = _book.addClaim(period, msg.sender, debtor, amount, reserved, clock);
        SettlementClaims.Record storage c = _claims.records[claimId];
        (c.creditor, c.windowStart, c.status, c.cdrCount) = (msg.sender, clock, ClaimStatus.Pending, cdrCount);
        c.cdrRoot = cdrRoot;
        if (reserved != amount) c.unreserved = amount - reserved;
        _claims.terms[SettlementClaims.keyOf(msg.sender, cdrRoot)] = SettlementClaims.Terms(debtor, amount);
    }

    /// @dev Checks a new claim of the caller: counterparty, period, amount, roots, package hash, and
    /// evidence ownership.
    function _checkClaim(
        uint32 period,
        address debtor,
        uint256 amount,
        bytes32 cdrRoot,
        uint32 cdrCount,
        bytes32 evidenceRoot,
        bytes32 packageHash
    ) private view {
        _checkRegistryRole(_SUPPLIER_ROLE);
        if (debtor == address(0) || !_hasRegistryRole(_SUPPLIER_ROLE, debtor)) revert SettlementNotSupplier(debtor);
        if (debtor == msg.sender) revert SettlementSelfClaim(debtor);
        uint256 startsAt = uint256(period) * PERIOD_SECONDS;
        if (_time() < startsAt) revert SettlementPeriodNotStarted(period, startsAt);
        uint256 closesAt = _closesAt(period);
        if (_time() > closesAt) revert SettlementPeriodClosed(period, closesAt);
        if (amount == 0) revert SettlementZeroAmount();
        if (amount > MAX_CLAIM_AMOUNT) revert SettlementAmountTooLarge(amount, MAX_CLAIM_AMOUNT);
        if (cdrRoot == bytes32(0) || cdrCount == 0 || evidenceRoot == bytes32(0) || packageHash == bytes32(0)) {
            revert SettlementInvalidClaim(cdrRoot, cdrCount, evidenceRoot, packageHash);
        }
        if (cdrCount > MAX_CDRS_PER_CLAIM) revert SettlementTooManyCdrs(cdrCount, MAX_CDRS_PER_CLAIM);
        // The terms' debtor is never zero (checked above): only an existing claim has one.
        if (_claims.terms[SettlementClaims.keyOf(msg.sender, cdrRoot)].debtor != address(0)) {
            revert SettlementDuplicateClaim(cdrRoot);
        }
        // Reverts with the ledger's EvidenceAnchorNotFound unless the caller anchored the root itself.
        _requireOwnAnchor(evidenceRoot);
    }

    /// @dev Anchors are keyed by (submitter, root): the ledger reverts with EvidenceAnchorNotFound
    /// unless the caller itself anchored `evidenceRoot`, so a copied root is no use to anyone else.
    /// The one place the settlement reads the ledger.
    function _requireOwnAnchor(bytes32 evidenceRoot) private view {
        EVIDENCE.anchorOf(msg.sender, evidenceRoot);
    }

    /// @dev Reverts with `AccessControlUnauthorizedAccount` unless the caller holds the registry's `role`.
    function _checkRegistryRole(bytes32 role) private view {
        if (!_hasRegistryRole(role, msg.sender)) revert AccessControlUnauthorizedAccount(msg.sender, role);
    }

    function _hasRegistryRole(bytes32 role, address account) private view returns (bool) {
        return REGISTRY.hasRole(role, account);
    }

    function _tokenBalance() private view returns (uint256) {
        return TOKEN.balanceOf(address(this));
    }
}
