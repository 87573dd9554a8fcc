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
import {IEvidenceLedger} from "./interfaces/IEvidenceLedger.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IRoamingSettlement} from "./interfaces/IRoamingSettlement.sol";
import {SettlementAccounts} from "./libraries/SettlementAccounts.sol";
import {SettlementClaims} from "./libraries/SettlementClaims.sol";
import {SettlementDisputes} from "./libraries/SettlementDisputes.sol";
import {SettlementNetting} from "./libraries/SettlementNetting.sol";
import {SettlementPeriods} from "./libraries/SettlementPeriods.sol";

/// @title RoamingSettlement
/// @notice Collateral, claims with CDR Merkle roots and package hashes, single-CDR and claim-level
/// disputes, arbiter rulings, multilateral netting with a pro-rata shortfall pool, and pull-payment
/// withdrawals.
/// @dev Suppliers and arbiters are the registry's roles; pausing and the dispute fee are this
/// contract's own roles, under a two-step default admin with a transfer delay.
contract RoamingSettlement is AccessControlDefaultAdminRules, Pausable, ReentrancyGuard, IRoamingSettlement {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SettlementAccounts for SettlementAccounts.Account;
    using SettlementAccounts for mapping(address => SettlementAccounts.Account);
    using SettlementClaims for Claim;
    using SettlementDisputes for SettlementDisputes.Book;
    using SettlementPeriods for SettlementPeriods.Book;

    /// @inheritdoc IRoamingSettlement
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IRoamingSettlement
    uint256 public constant MAX_CLAIMS_PER_PERIOD = SettlementPeriods.MAX_CLAIMS;
    /// @inheritdoc IRoamingSettlement
    uint256 public constant MAX_SUPPLIERS_PER_NETTING = 2 * SettlementPeriods.MAX_CLAIMS;
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
    bytes32 private immutable _SUPPLIER_ROLE;
    bytes32 private immutable _ARBITER_ROLE;

    uint256 private _disputeFee;
    mapping(address account => SettlementAccounts.Account) private _accounts;
    mapping(uint256 claimId => Claim) private _claims;
    mapping(address creditor => mapping(bytes32 cdrRoot => bool)) private _claimedRoots;
    SettlementDisputes.Book private _disputes;
    mapping(uint32 period => SettlementPeriods.Book) private _periods;

    /// @param challengeWindow Seconds after submission during which the debtor may dispute.
    /// @param adminDelay Delay of a default-admin transfer, in seconds.
    /// @param admin Initial default admin (should be a multisig in production).
    constructor(
        IParticipantRegistry registry,
        IEvidenceLedger evidence,
        IERC20 token,
        uint40 challengeWindow,
        uint48 adminDelay,
        address admin
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (address(evidence) == address(0) || address(token) == address(0) || challengeWindow == 0) {
            revert SettlementInvalidConfig();
        }
        REGISTRY = registry;
        EVIDENCE = evidence;
        TOKEN = token;
        CHALLENGE_WINDOW = challengeWindow;
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
        uint256 received = _tokenBalance() - before;
        if (received == 0) revert SettlementZeroAmount();
        _accounts[msg.sender].balance += received.toUint128();
        emit Deposited(msg.sender, received);
    }

    /// @inheritdoc IRoamingSettlement
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert SettlementZeroAmount();
        uint256 available = availableOf(msg.sender);
        if (amount > available) revert SettlementInsufficientAvailable(msg.sender, amount, available);
        // Effects before the interaction. Safe cast: amount <= available <= balance (128 bits).
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
        _checkClaim(debtor, amount, cdrRoot, cdrCount, evidenceRoot, packageHash);
        claimId = _periods[period].addClaim(period);
        _claimedRoots[msg.sender][cdrRoot] = true;
        uint128 amount128 = amount.toUint128();
        uint40 now_ = _time();
        Claim storage c = _claims[claimId];
        (c.creditor, c.submittedAt, c.status, c.cdrCount) = (msg.sender, now_, ClaimStatus.Pending, cdrCount);
        (c.debtor, c.period, c.amount, c.claimedAmount) = (debtor, period, amount128, amount128);
        (c.cdrRoot, c.evidenceRoot, c.packageHash) = (cdrRoot, evidenceRoot, packageHash);
        _accounts[debtor].locked += amount128;
        uint40 deadline = now_ + CHALLENGE_WINDOW;
        emit ClaimSubmitted(
            claimId, period, msg.sender, debtor, amount, cdrRoot, cdrCount, evidenceRoot, packageHash, deadline
        );
    }

    /// @inheritdoc IRoamingSettlement
    function acceptClaim(uint256 claimId) external whenNotPaused {
        _checkRegistryRole(_SUPPLIER_ROLE);
        _accept(claimId);
    }

    /// @inheritdoc IRoamingSettlement
    function acceptClaims(uint256[] calldata claimIds) external whenNotPaused {
        _checkRegistryRole(_SUPPLIER_ROLE);
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
        Claim storage c = _disputableClaim(claimId, DisputeKind.Cdr);
        if (!MerkleProof.verifyCalldata(proof, c.cdrRoot, SettlementDisputes.leaf(cdrDigest, amount))) {
            revert SettlementInvalidProof(claimId, cdrDigest);
        }
        disputeId = _disputes.open(claimId, cdrDigest, amount, reason, _disputeFee, _time());
        emit CdrDisputed(disputeId, claimId, cdrDigest, amount, reason);
    }

    /// @inheritdoc IRoamingSettlement
    function disputeClaim(uint256 claimId, bytes32 reason) external whenNotPaused returns (uint256 disputeId) {
        Claim storage c = _disputableClaim(claimId, DisputeKind.Claim);
        uint128 amount = c.amount;
        disputeId = _disputes.openClaimLevel(claimId, amount, reason, _disputeFee, _time());
        emit ClaimDisputed(disputeId, claimId, msg.sender, amount, reason);
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
    function netPeriod(uint32 period) external whenNotPaused {
        _checkRegistryRole(_SUPPLIER_ROLE);
        SettlementPeriods.Book storage b = _periods[period];
        if (b.info.nettedAt != 0) revert SettlementPeriodNetted(period);
        uint256 count = b.info.claimCount;
        if (count == 0) revert SettlementEmptyPeriod(period);
        uint40 now_ = _time();
        b.info.nettedAt = now_;

        // 1. Net positions: each claim counts once, and is marked netted as it is counted.
        address[] memory suppliers = new address[](2 * count);
        int256[] memory net = new int256[](suppliers.length);
        uint256 known;
        for (uint256 i; i < count; ++i) {
            uint256 claimId = SettlementPeriods.idOf(period, uint32(i)); // Safe: i < count < 2^32.
            Claim storage c = _claims[claimId];
            if (!c.isFinal(CHALLENGE_WINDOW, now_)) revert SettlementClaimNotFinal(claimId);
            if (c.status == ClaimStatus.Rejected) continue; // counts as zero, stays Rejected
            c.status = ClaimStatus.Netted;
            (uint128 amount, address debtor) = (c.amount, c.debtor);
            _accounts[debtor].locked -= amount; // Safe: locked at submission, reduced only by rulings.
            uint256 ci;
            uint256 di;
            (ci, known) = SettlementNetting.indexOf(suppliers, known, c.creditor);
            (di, known) = SettlementNetting.indexOf(suppliers, known, debtor);
            net[ci] += int256(uint256(amount));
            net[di] -= int256(uint256(amount));
        }

        // 2. Plan with what each debtor can pay (its whole balance), 3. apply it.
        uint256[] memory capacity = new uint256[](net.length); // entries past `known` stay zero
        for (uint256 j; j < known; ++j) {
            if (net[j] < 0) capacity[j] = _accounts[suppliers[j]].balance;
        }
        SettlementNetting.Plan memory plan = SettlementNetting.plan(net, capacity);
        for (uint256 k; k < plan.transferCount; ++k) {
            SettlementNetting.Transfer memory t = plan.transfers[k];
            (address from, address to) = (suppliers[t.from], suppliers[t.to]);
            _accounts.move(from, to, t.amount); // at most the debtor's balance
            emit NetTransfer(period, from, to, t.amount);
        }
        if (plan.totalPaid != plan.totalOwed) b.recordShortfalls(_accounts, period, suppliers, net, plan);
        emit PeriodNetted(period, count, known, plan.transferCount, plan.totalPaid, plan.totalOwed - plan.totalPaid);
    }

    /// @inheritdoc IRoamingSettlement
    function recoverShortfall(uint32 period, address debtor) external whenNotPaused returns (uint256 amount) {
        _checkRegistryRole(_SUPPLIER_ROLE);
        SettlementAccounts.Account storage a = _accounts[debtor];
        amount = _periods[period].recover(debtor, a.balance);
        if (amount == 0) revert SettlementNothingToRecover(period, debtor);
        // Safe casts: amount <= balance (128 bits); the shortfall is part of `locked`.
        a.balance -= uint128(amount);
        a.locked -= uint128(amount);
        emit ShortfallRecovered(period, debtor, amount);
    }

    /// @inheritdoc IRoamingSettlement
    function claimRecovery(uint32 period) external whenNotPaused returns (uint256 amount) {
        amount = _periods[period].take(msg.sender);
        if (amount == 0) revert SettlementNothingToRecover(period, msg.sender);
        _accounts[msg.sender].balance += uint128(amount); // Safe: amount <= entitlement (128 bits).
        emit RecoveryClaimed(period, msg.sender, amount);
    }

    /// @inheritdoc IRoamingSettlement
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IRoamingSettlement
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc IRoamingSettlement
    function setDisputeFee(uint256 fee) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 previous = _disputeFee;
        _disputeFee = fee.toUint128(); // Disputes store their fee in 128 bits.
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
    function availableOf(address account) public view returns (uint256) {
        return _accounts[account].available();
    }

    /// @inheritdoc IRoamingSettlement
    function claimOf(uint256 claimId) external view returns (Claim memory) {
        return _claim(claimId);
    }

    /// @inheritdoc IRoamingSettlement
    function challengeDeadline(uint256 claimId) external view returns (uint40) {
        return _claim(claimId).deadline(CHALLENGE_WINDOW);
    }

    /// @inheritdoc IRoamingSettlement
    function isFinal(uint256 claimId) external view returns (bool) {
        return _claim(claimId).isFinal(CHALLENGE_WINDOW, _time());
    }

    /// @inheritdoc IRoamingSettlement
    function disputeOf(uint256 disputeId) external view returns (Dispute memory d) {
        d = _disputes.disputes[disputeId];
        if (d.status == DisputeStatus.None) revert SettlementUnknownDispute(disputeId);
    }

    /// @inheritdoc IRoamingSettlement
    function periodOf(uint32 period) external view returns (Period memory) {
        return _periods[period].info;
    }

    /// @inheritdoc IRoamingSettlement
    function claimIdOf(uint32 period, uint32 index) external pure returns (uint256) {
        return SettlementPeriods.idOf(period, index);
    }

    /// @inheritdoc IRoamingSettlement
    function shortfallOf(uint32 period, address debtor) external view returns (uint256) {
        return _periods[period].shortfalls[debtor];
    }

    /// @inheritdoc IRoamingSettlement
    function entitlementOf(uint32 period, address creditor)
        external
        view
        returns (uint256 entitlement, uint256 taken, uint256 claimable)
    {
        SettlementPeriods.Book storage b = _periods[period];
        SettlementPeriods.Entitlement memory e = b.entitlements[creditor];
        return (e.amount, e.taken, b.claimable(creditor));
    }

    /// @inheritdoc IRoamingSettlement
    function poolOf(uint32 period) external view returns (Pool memory) {
        return _periods[period].pool;
    }

    /// @inheritdoc IRoamingSettlement
    function cdrLeaf(bytes32 cdrDigest, uint256 amount) external pure returns (bytes32) {
        return SettlementDisputes.leaf(cdrDigest, amount);
    }

    /// @inheritdoc AccessControlDefaultAdminRules
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IRoamingSettlement).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev The clock; a test contract may override it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    function _accept(uint256 claimId) private {
        Claim storage c = _pendingClaimOfDebtor(claimId);
        // Pending and disputed as a whole: the claim-level dispute awaits its ruling.
        if (c.claimDisputed) revert SettlementClaimOnHold(claimId);
        uint40 now_ = _time();
        (c.status, c.acceptedAt) = (ClaimStatus.Accepted, now_);
        emit ClaimAccepted(claimId, msg.sender, now_);
    }

    /// @dev The claim `claimId`; reverts with {SettlementUnknownClaim} if absent.
    function _claim(uint256 claimId) private view returns (Claim storage c) {
        c = _claims[claimId];
        if (c.status == ClaimStatus.None) revert SettlementUnknownClaim(claimId);
    }

    /// @dev The claim `claimId`, which must exist, have the caller as its debtor, and be pending.
    function _pendingClaimOfDebtor(uint256 claimId) private view returns (Claim storage c) {
        c = _claim(claimId);
        ClaimStatus status = c.status;
        if (c.debtor != msg.sender) revert SettlementNotDebtor(claimId, msg.sender);
        if (status != ClaimStatus.Pending) revert SettlementClaimNotPending(claimId, status);
    }

    /// @dev The pending claim `claimId` of the caller (a supplier), within its challenge window, with a
    /// new dispute of `kind` counted.
    function _disputableClaim(uint256 claimId, DisputeKind kind) private returns (Claim storage c) {
        _checkRegistryRole(_SUPPLIER_ROLE);
        c = _pendingClaimOfDebtor(claimId);
        c.checkWindow(claimId, CHALLENGE_WINDOW, _time());
        c.addDispute(claimId, kind);
    }

    /// @dev Rules on open dispute `disputeId` of `kind` for an arbiter who is no party of its claim
    /// (see {SettlementClaims.rule}); the loser pays the fee to the winner, only from its available
    /// balance, and what that cannot cover is waived.
    function _resolve(uint256 disputeId, DisputeKind kind, bool upheld, bytes32 bundleDigest) private {
        _checkRegistryRole(_ARBITER_ROLE);
        Dispute storage d = _disputes.close(disputeId, kind, upheld, bundleDigest, _time());
        uint256 claimId = d.claimId;
        Claim storage c = _claims[claimId];
        (address creditor, address debtor) = (c.creditor, c.debtor);
        if (msg.sender == creditor || msg.sender == debtor) revert SettlementArbiterIsParty(disputeId, msg.sender);
        uint128 lost = c.rule(kind, d.amount, upheld);
        _accounts[debtor].locked -= lost; // Safe: the lock holds the claim's whole amount until netting.
        if (kind == DisputeKind.Cdr) emit DisputeResolved(disputeId, claimId, msg.sender, upheld, bundleDigest, lost);
        else emit ClaimDisputeResolved(disputeId, claimId, msg.sender, upheld, bundleDigest, lost);

        uint256 fee = d.fee;
        if (fee == 0) return;
        (address payer, address payee) = upheld ? (creditor, debtor) : (debtor, creditor);
        uint256 charged = Math.min(fee, availableOf(payer));
        _accounts.move(payer, payee, charged); // charged <= available <= balance
        emit DisputeFeeCharged(disputeId, payer, payee, charged, fee);
    }

    /// @dev Checks a new claim of the caller: counterparty, amount, roots, package hash, and evidence
    /// ownership.
    function _checkClaim(
        address debtor,
        uint256 amount,
        bytes32 cdrRoot,
        uint32 cdrCount,
        bytes32 evidenceRoot,
        bytes32 packageHash
    ) private view {
        _checkRegistryRole(_SUPPLIER_ROLE);
        if (!_hasRegistryRole(_SUPPLIER_ROLE, debtor)) revert SettlementNotSupplier(debtor);
        if (debtor == msg.sender) revert SettlementSelfClaim(debtor);
        if (amount == 0) revert SettlementZeroAmount();
        if (cdrRoot == bytes32(0) || cdrCount == 0 || evidenceRoot == bytes32(0) || packageHash == bytes32(0)) {
            revert SettlementInvalidClaim(cdrRoot, cdrCount, evidenceRoot, packageHash);
        }
        if (_claimedRoots[msg.sender][cdrRoot]) revert SettlementDuplicateClaim(cdrRoot);
        // Reverts with the ledger's EvidenceAnchorNotFound when the caller did not anchor the root.
        address submitter = EVIDENCE.anchorOf(msg.sender, evidenceRoot).submitter;
        if (submitter != msg.sender) revert SettlementEvidenceNotOwned(evidenceRoot, submitter);
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
