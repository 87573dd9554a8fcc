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
import {SettlementDisputes} from "./libraries/SettlementDisputes.sol";
import {SettlementNetting} from "./libraries/SettlementNetting.sol";
import {SettlementPeriods} from "./libraries/SettlementPeriods.sol";

/// @title RoamingSettlement
/// @notice Collateral, claims with CDR Merkle roots, single-CDR disputes, arbiter rulings,
/// multilateral netting with a pro-rata shortfall pool, and pull-payment withdrawals.
/// @dev Suppliers and arbiters are the registry's roles; pausing and the dispute fee are this
/// contract's own roles, under a two-step default admin with a transfer delay.
contract RoamingSettlement is AccessControlDefaultAdminRules, Pausable, ReentrancyGuard, IRoamingSettlement {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SettlementDisputes for SettlementDisputes.Book;
    using SettlementPeriods for SettlementPeriods.Book;

    /// @dev A supplier's balance and the part of it reserved for claims and shortfalls. One slot.
    struct Account {
        uint128 balance;
        uint128 locked;
    }

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
    mapping(address account => Account) private _accounts;
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
        uint256 before = TOKEN.balanceOf(address(this));
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        // Credit what arrived (a fee-charging token delivers less than `amount`).
        uint256 received = TOKEN.balanceOf(address(this)) - before;
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
        bytes32 evidenceRoot
    ) external whenNotPaused returns (uint256 claimId) {
        _checkClaim(debtor, amount, cdrRoot, cdrCount, evidenceRoot);
        claimId = _periods[period].addClaim(period);
        _claimedRoots[msg.sender][cdrRoot] = true;
        uint128 amount128 = amount.toUint128();
        uint40 now_ = _time();
        Claim storage c = _claims[claimId];
        (c.creditor, c.submittedAt, c.status, c.cdrCount) = (msg.sender, now_, ClaimStatus.Pending, cdrCount);
        (c.debtor, c.period, c.amount, c.claimedAmount) = (debtor, period, amount128, amount128);
        (c.cdrRoot, c.evidenceRoot) = (cdrRoot, evidenceRoot);
        _accounts[debtor].locked += amount128;
        emit ClaimSubmitted(
            claimId, period, msg.sender, debtor, amount, cdrRoot, cdrCount, evidenceRoot, now_ + CHALLENGE_WINDOW
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
        _checkRegistryRole(_SUPPLIER_ROLE);
        Claim storage c = _pendingClaimOfDebtor(claimId);
        uint40 now_ = _time();
        uint40 deadline = c.submittedAt + CHALLENGE_WINDOW;
        if (now_ > deadline) revert SettlementChallengeWindowClosed(claimId, deadline);
        if (!MerkleProof.verifyCalldata(proof, c.cdrRoot, SettlementDisputes.leaf(cdrDigest, amount))) {
            revert SettlementInvalidProof(claimId, cdrDigest);
        }
        c.openDisputes += 1;
        disputeId = _disputes.open(claimId, cdrDigest, amount, reason, _disputeFee, now_);
        emit CdrDisputed(disputeId, claimId, cdrDigest, amount, reason);
    }

    /// @inheritdoc IRoamingSettlement
    function resolveDispute(uint256 disputeId, bool upheld, bytes32 bundleDigest) external whenNotPaused {
        _checkRegistryRole(_ARBITER_ROLE);
        Dispute storage d = _disputes.close(disputeId, upheld, bundleDigest, _time());
        uint256 claimId = d.claimId;
        Claim storage c = _claims[claimId];
        (address creditor, address debtor) = (c.creditor, c.debtor);
        if (msg.sender == creditor || msg.sender == debtor) revert SettlementArbiterIsParty(disputeId, msg.sender);

        uint128 reduction;
        if (upheld) {
            reduction = d.amount < c.amount ? d.amount : c.amount;
            c.amount -= reduction;
            // Safe: the debtor's lock holds the claim's whole current amount until netting.
            _accounts[debtor].locked -= reduction;
        }
        c.openDisputes -= 1;
        emit DisputeResolved(disputeId, claimId, msg.sender, upheld, bundleDigest, reduction);

        uint256 fee = d.fee;
        if (fee == 0) return;
        (address payer, address payee) = upheld ? (creditor, debtor) : (debtor, creditor);
        // The fee comes only from the loser's available balance; what it cannot cover is waived.
        uint256 charged = Math.min(fee, availableOf(payer));
        // Safe casts: charged <= available <= balance (128 bits).
        _accounts[payer].balance -= uint128(charged);
        _accounts[payee].balance += uint128(charged);
        emit DisputeFeeCharged(disputeId, payer, payee, charged, fee);
    }

    /// @inheritdoc IRoamingSettlement
    function netPeriod(uint32 period) external whenNotPaused {
        _checkRegistryRole(_SUPPLIER_ROLE);
        SettlementPeriods.Book storage b = _periods[period];
        if (b.info.nettedAt != 0) revert SettlementPeriodNetted(period);
        uint256 count = b.info.claimCount;
        if (count == 0) revert SettlementEmptyPeriod(period);
        b.info.nettedAt = _time();

        // 1. Net positions: each claim counts once, and is marked netted as it is counted.
        address[] memory suppliers = new address[](2 * count);
        int256[] memory net = new int256[](suppliers.length);
        uint256 known;
        for (uint256 i; i < count; ++i) {
            uint256 claimId = SettlementPeriods.idOf(period, uint32(i)); // Safe: i < count < 2^32.
            Claim storage c = _claims[claimId];
            if (!_isFinal(c)) revert SettlementClaimNotFinal(claimId);
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
            // Safe casts: the amount is at most the debtor's balance (128 bits).
            _accounts[from].balance -= uint128(t.amount);
            _accounts[to].balance += uint128(t.amount);
            emit NetTransfer(period, from, to, t.amount);
        }
        if (plan.totalPaid != plan.totalOwed) _recordShortfalls(period, b, suppliers, net, plan);
        emit PeriodNetted(period, count, known, plan.transferCount, plan.totalPaid, plan.totalOwed - plan.totalPaid);
    }

    /// @inheritdoc IRoamingSettlement
    function recoverShortfall(uint32 period, address debtor) external whenNotPaused returns (uint256 amount) {
        _checkRegistryRole(_SUPPLIER_ROLE);
        Account storage a = _accounts[debtor];
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
        Account memory a = _accounts[account];
        return a.balance > a.locked ? a.balance - a.locked : 0;
    }

    /// @inheritdoc IRoamingSettlement
    function claimOf(uint256 claimId) public view returns (Claim memory c) {
        c = _claims[claimId];
        if (c.status == ClaimStatus.None) revert SettlementUnknownClaim(claimId);
    }

    /// @inheritdoc IRoamingSettlement
    function challengeDeadline(uint256 claimId) external view returns (uint40) {
        return claimOf(claimId).submittedAt + CHALLENGE_WINDOW;
    }

    /// @inheritdoc IRoamingSettlement
    function isFinal(uint256 claimId) external view returns (bool) {
        claimOf(claimId);
        return _isFinal(_claims[claimId]);
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
        uint40 now_ = _time();
        (c.status, c.acceptedAt) = (ClaimStatus.Accepted, now_);
        emit ClaimAccepted(claimId, msg.sender, now_);
    }

    /// @dev The claim `claimId`, which must exist, have the caller as its debtor, and be pending.
    function _pendingClaimOfDebtor(uint256 claimId) private view returns (Claim storage c) {
        c = _claims[claimId];
        ClaimStatus status = c.status;
        if (status == ClaimStatus.None) revert SettlementUnknownClaim(claimId);
        if (c.debtor != msg.sender) revert SettlementNotDebtor(claimId, msg.sender);
        if (status != ClaimStatus.Pending) revert SettlementClaimNotPending(claimId, status);
    }

    function _isFinal(Claim storage c) private view returns (bool) {
        if (c.openDisputes != 0) return false;
        ClaimStatus status = c.status;
        return status == ClaimStatus.Accepted
            || (status == ClaimStatus.Pending && _time() > c.submittedAt + CHALLENGE_WINDOW);
    }

    /// @dev Records each debtor's unpaid rest (kept locked on its balance) and each creditor's
    /// unpaid rest (its entitlement in the period's pool). Both sums equal `totalOwed - totalPaid`.
    function _recordShortfalls(
        uint32 period,
        SettlementPeriods.Book storage b,
        address[] memory suppliers,
        int256[] memory net,
        SettlementNetting.Plan memory plan
    ) private {
        for (uint256 j; j < net.length; ++j) {
            address who = suppliers[j];
            if (net[j] < 0) {
                uint256 rest = uint256(-net[j]) - plan.paid[j];
                if (rest == 0) continue;
                b.shortfalls[who] = rest;
                _accounts[who].locked += rest.toUint128();
                emit ShortfallRecorded(period, who, rest);
            } else if (net[j] > 0) {
                uint256 rest = uint256(net[j]) - plan.received[j];
                if (rest == 0) continue;
                b.addEntitlement(who, rest);
                emit EntitlementRecorded(period, who, rest);
            }
        }
    }

    /// @dev Checks a new claim of the caller: counterparty, amount, roots, and evidence ownership.
    function _checkClaim(address debtor, uint256 amount, bytes32 cdrRoot, uint32 cdrCount, bytes32 evidenceRoot)
        private
        view
    {
        _checkRegistryRole(_SUPPLIER_ROLE);
        if (!REGISTRY.hasRole(_SUPPLIER_ROLE, debtor)) revert SettlementNotSupplier(debtor);
        if (debtor == msg.sender) revert SettlementSelfClaim(debtor);
        if (amount == 0) revert SettlementZeroAmount();
        if (cdrRoot == bytes32(0) || cdrCount == 0 || evidenceRoot == bytes32(0)) {
            revert SettlementInvalidClaim(cdrRoot, cdrCount, evidenceRoot);
        }
        if (_claimedRoots[msg.sender][cdrRoot]) revert SettlementDuplicateClaim(cdrRoot);
        // Reverts with the ledger's EvidenceNotFound when the root is not anchored.
        address submitter = EVIDENCE.anchorOf(evidenceRoot).submitter;
        if (submitter != msg.sender) revert SettlementEvidenceNotOwned(evidenceRoot, submitter);
    }

    /// @dev Reverts with `AccessControlUnauthorizedAccount` unless the caller holds the registry's `role`.
    function _checkRegistryRole(bytes32 role) private view {
        if (!REGISTRY.hasRole(role, msg.sender)) revert AccessControlUnauthorizedAccount(msg.sender, role);
    }
}
