// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EvidenceLedger} from "../../../contracts/EvidenceLedger.sol";
import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {RoamingSettlement} from "../../../contracts/RoamingSettlement.sol";
import {SettlementTestToken} from "../../../contracts/test/SettlementTestToken.sol";
import {Vm, VM_ADDRESS} from "../utils/Vm.sol";

/// @title Random walks over the settlement's money rules for the invariant tests
/// @notice Run with fail-on-revert: every action either does nothing (when no valid form of it
/// exists in the current state) or calls the contract in a way that must succeed, so a revert is a
/// finding, never noise. Amounts span the full uint128 range (bounded to what the rules admit);
/// pausing and role revocation are actions too. Ghost state feeds the invariants.
contract RoamingSettlementHandler {
    /// @notice A claim the handler made over a two-leaf CDR tree.
    struct ClaimInfo {
        uint256 id;
        uint32 period;
        address creditor;
        address debtor;
        bytes32 digest1;
        uint256 amount1;
        bytes32 digest2;
        uint256 amount2;
        uint256 disputedMask;
    }

    Vm private constant _VM = Vm(VM_ADDRESS);
    uint8 private constant _CDR_KIND = 2;
    uint256 private constant _MAX_HELD = 1 << 127;

    RoamingSettlement private immutable _SETTLEMENT;
    EvidenceLedger private immutable _LEDGER;
    SettlementTestToken private immutable _TOKEN;
    ParticipantRegistry private immutable _REGISTRY;
    address private immutable _OWNER;
    address private immutable _ARBITER;
    bytes32 private immutable _SUPPLIER_ROLE;
    address[] private _actors;
    ClaimInfo[] private _claims;
    uint256[] private _disputeIds;
    uint256 private _salt;

    /// @notice Sum of all deposits and of all withdrawals so far.
    uint256 public deposited;
    uint256 public withdrawn;
    /// @notice Bonds escrowed by disputes that await a ruling.
    uint256 public openBonds;
    /// @notice Set if a pair whose debtor side was fully reserved was netted with a shortfall.
    bool public reservedClaimShort;
    /// @notice Nettings where the debtor side was fully reserved (the property above was exercised).
    uint256 public reservedNettings;
    /// @notice Nettings with a shortfall (half the debtors short is reached).
    uint256 public shortNettings;
    /// @notice Number of successful calls per action.
    mapping(bytes32 action => uint256) public calls;

    constructor(
        RoamingSettlement settlement_,
        EvidenceLedger ledger_,
        SettlementTestToken token_,
        ParticipantRegistry registry_,
        address owner_,
        address arbiter_,
        address[] memory actors_
    ) {
        (_SETTLEMENT, _LEDGER, _TOKEN, _REGISTRY) = (settlement_, ledger_, token_, registry_);
        (_OWNER, _ARBITER, _actors) = (owner_, arbiter_, actors_);
        _SUPPLIER_ROLE = registry_.SUPPLIER_ROLE();
    }

    function deposit(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        if (_SETTLEMENT.paused() || !_isSupplier(a)) return;
        uint256 held = _TOKEN.balanceOf(address(_SETTLEMENT));
        if (held >= _MAX_HELD) return;
        amount = 1 + (amount % (_MAX_HELD - held));
        _TOKEN.mint(a, amount);
        _VM.startPrank(a);
        _TOKEN.approve(address(_SETTLEMENT), amount);
        _SETTLEMENT.deposit(amount);
        _VM.stopPrank();
        deposited += amount;
        ++calls["deposit"];
    }

    function requestWithdrawal(uint256 actorSeed, uint128 amount) external {
        _VM.prank(_actor(actorSeed));
        _SETTLEMENT.requestWithdrawal(amount);
        ++calls["requestWithdrawal"];
    }

    function withdraw(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        (uint256 requested, uint40 readyAt) = _SETTLEMENT.withdrawalOf(a);
        uint256 available = _SETTLEMENT.availableOf(a);
        if (block.timestamp < readyAt || requested == 0 || available == 0) return;
        amount = 1 + (amount % (requested < available ? requested : available));
        _VM.prank(a);
        _SETTLEMENT.withdraw(amount);
        withdrawn += amount;
        ++calls["withdraw"];
    }

    /// @dev A claim of `claimed` (anything up to the cap: possibly inflated) over two CDRs of any
    /// 95-bit amounts, in the current period.
    function submitClaim(uint256 hostSeed, uint256 debtorOffset, uint128 a1, uint128 a2, uint128 claimed) external {
        if (_SETTLEMENT.paused()) return;
        uint256 h = hostSeed % _actors.length;
        (address host, address debtor) = (_actors[h], _actors[(h + 1 + (debtorOffset % (_actors.length - 1))) % _actors.length]);
        if (!_isSupplier(host) || !_isSupplier(debtor)) return;
        uint32 period = uint32(block.timestamp / _SETTLEMENT.PERIOD_SECONDS());
        (uint256 amount1, uint256 amount2) = (uint256(a1) >> 33, uint256(a2) >> 33);
        uint256 amount = 1 + (uint256(claimed) % _SETTLEMENT.MAX_CLAIM_AMOUNT());
        (, IRoamingSettlement.Flow memory flow,) = _SETTLEMENT.pairOf(period, host, debtor);
        if (flow.amount + amount > _SETTLEMENT.MAX_PAIR_AMOUNT()) return;
        ClaimInfo memory c;
        (c.period, c.creditor, c.debtor, c.amount1, c.amount2) = (period, host, debtor, amount1, amount2);
        (c.digest1, c.digest2) = (keccak256(abi.encode("cdr", ++_salt)), keccak256(abi.encode("cdr", ++_salt)));
        bytes32 root = _pair(_leaf(c.digest1, amount1), _leaf(c.digest2, amount2));
        bytes32 evidence = keccak256(abi.encode("evidence", ++_salt));
        _VM.startPrank(host);
        _LEDGER.anchorBatch(evidence, 2, _CDR_KIND);
        c.id = _SETTLEMENT.submitClaim(period, debtor, amount, root, 2, evidence, keccak256(abi.encode(root)));
        _VM.stopPrank();
        _claims.push(c);
        ++calls["submitClaim"];
    }

    function acceptClaim(uint256 claimSeed) external {
        (bool ok, uint256 i, IRoamingSettlement.Claim memory c) = _pending(claimSeed);
        if (!ok || c.onHold) return;
        ClaimInfo storage info = _claims[i];
        _VM.prank(info.debtor);
        _SETTLEMENT.acceptClaim(info.id);
        ++calls["acceptClaim"];
    }

    function disputeCdr(uint256 claimSeed, bool second) external {
        (bool ok, uint256 i,) = _pending(claimSeed);
        if (!ok) return;
        ClaimInfo storage info = _claims[i];
        uint256 bit = second ? 2 : 1;
        if (info.disputedMask & bit != 0 || !_canBond(info)) return;
        info.disputedMask |= bit;
        (bytes32 digest, uint256 amount, bytes32 sibling) = second
            ? (info.digest2, info.amount2, _leaf(info.digest1, info.amount1))
            : (info.digest1, info.amount1, _leaf(info.digest2, info.amount2));
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = sibling;
        openBonds += _SETTLEMENT.disputeFee();
        _VM.prank(info.debtor);
        _disputeIds.push(_SETTLEMENT.disputeCdr(info.id, digest, amount, proof, "r"));
        ++calls["disputeCdr"];
    }

    function disputeClaim(uint256 claimSeed) external {
        (bool ok, uint256 i, IRoamingSettlement.Claim memory c) = _pending(claimSeed);
        if (!ok || c.claimDisputed || !_canBond(_claims[i])) return;
        ClaimInfo storage info = _claims[i];
        openBonds += _SETTLEMENT.disputeFee();
        _VM.prank(info.debtor);
        _disputeIds.push(_SETTLEMENT.disputeClaim(info.id, "missing"));
        ++calls["disputeClaim"];
    }

    /// @dev The debtor's bot (or anyone) proves the CDR sum of an inflated claim.
    function proveSum(uint256 claimSeed) external {
        if (_SETTLEMENT.paused() || _claims.length == 0) return;
        if (_prove(_claims[claimSeed % _claims.length])) ++calls["proveSum"];
    }

    function resolve(uint256 disputeSeed, bool upheld) external {
        if (_SETTLEMENT.paused() || _disputeIds.length == 0) return;
        uint256 i = disputeSeed % _disputeIds.length;
        uint256 id = _disputeIds[i];
        IRoamingSettlement.Dispute memory d = _SETTLEMENT.disputeOf(id);
        _disputeIds[i] = _disputeIds[_disputeIds.length - 1];
        _disputeIds.pop();
        openBonds -= d.bond;
        _VM.prank(_ARBITER);
        if (d.kind == IRoamingSettlement.DisputeKind.Cdr) _SETTLEMENT.resolveDispute(id, upheld, "bundle");
        else _SETTLEMENT.resolveClaimDispute(id, upheld, "bundle");
        ++calls["resolve"];
    }

    function warp(uint256 seconds_) external {
        _VM.warp(block.timestamp + 1 + (seconds_ % 2 days));
        ++calls["warp"];
    }

    /// @dev Nets the pair of a claim whenever the rules allow it: it must then succeed. The honest
    /// debtor's bot proves the sums of the pair's inflated claims first.
    function net(uint256 claimSeed, uint256 callerSeed) external {
        if (_SETTLEMENT.paused() || _claims.length == 0) return;
        ClaimInfo storage info = _claims[claimSeed % _claims.length];
        (uint32 period, address a, address b) = (info.period, info.creditor, info.debtor);
        (, uint256 closesAt) = _SETTLEMENT.periodOf(period);
        (IRoamingSettlement.Pair memory p,,) = _SETTLEMENT.pairOf(period, a, b);
        address caller = _actor(callerSeed);
        if (block.timestamp <= closesAt || p.nettedAt != 0 || p.holds != 0 || !_isSupplier(caller)) return;
        for (uint256 i; i < _claims.length; ++i) {
            ClaimInfo storage o = _claims[i];
            if (o.period == period && (o.creditor == a || o.creditor == b) && (o.debtor == a || o.debtor == b)) {
                if (!_SETTLEMENT.isFinal(o.id)) return;
                _prove(o);
            }
        }
        (, IRoamingSettlement.Flow memory fromB, IRoamingSettlement.Flow memory fromA) = _SETTLEMENT.pairOf(period, a, b);
        (address debtor, address creditor, IRoamingSettlement.Flow memory owing, uint256 other) =
            fromB.amount >= fromA.amount ? (b, a, fromB, fromA.amount) : (a, b, fromA, fromB.amount);
        bool fullyReserved = owing.reserved == owing.amount;
        _VM.prank(caller);
        _SETTLEMENT.netPair(period, a, b);
        uint256 shortfall = _SETTLEMENT.shortfallOf(period, debtor, creditor);
        if (fullyReserved && owing.amount > other) {
            ++reservedNettings;
            if (shortfall != 0) reservedClaimShort = true;
        }
        if (shortfall != 0) ++shortNettings;
        ++calls["net"];
    }

    function recover(uint256 claimSeed, uint256 callerSeed) external {
        if (_SETTLEMENT.paused() || _claims.length == 0) return;
        ClaimInfo storage info = _claims[claimSeed % _claims.length];
        address caller = _actor(callerSeed);
        for (uint256 k; k < 2; ++k) {
            (address debtor, address creditor) = k == 0 ? (info.debtor, info.creditor) : (info.creditor, info.debtor);
            uint256 owed = _SETTLEMENT.shortfallOf(info.period, debtor, creditor);
            uint256 free = _SETTLEMENT.balanceOf(debtor) - _SETTLEMENT.lockedOf(debtor);
            if (owed == 0 || free == 0 || !_isSupplier(caller)) continue;
            _VM.prank(caller);
            _SETTLEMENT.recoverShortfall(info.period, debtor, creditor);
            ++calls["recover"];
        }
    }

    function pauseOrUnpause() external {
        bool paused = _SETTLEMENT.paused();
        _VM.prank(_OWNER);
        if (paused) _SETTLEMENT.unpause();
        else _SETTLEMENT.pause();
        ++calls["pause"];
    }

    function toggleRole(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        bool supplier = _isSupplier(a);
        _VM.prank(_OWNER);
        if (supplier) _REGISTRY.revokeRole(_SUPPLIER_ROLE, a);
        else _REGISTRY.grantRole(_SUPPLIER_ROLE, a);
        ++calls["role"];
    }

    /// @dev The end of a walk: lift the pause, give every role back, rule on every open dispute, let
    /// every period close and every window run out, then net every pair. Nothing of it may revert.
    function settleEverything() external {
        if (_SETTLEMENT.paused()) {
            _VM.prank(_OWNER);
            _SETTLEMENT.unpause();
        }
        for (uint256 i; i < _actors.length; ++i) {
            if (_isSupplier(_actors[i])) continue;
            _VM.prank(_OWNER);
            _REGISTRY.grantRole(_SUPPLIER_ROLE, _actors[i]);
        }
        while (_disputeIds.length != 0) this.resolve(_disputeIds.length - 1, _disputeIds.length % 2 == 0);
        _VM.warp(block.timestamp + 30 days);
        for (uint256 i; i < _claims.length; ++i) {
            (IRoamingSettlement.Pair memory p,,) = _SETTLEMENT.pairOf(_claims[i].period, _claims[i].creditor, _claims[i].debtor);
            if (p.nettedAt == 0) this.net(i, i);
        }
    }

    function successfulCalls() external view returns (uint256 total) {
        bytes32[13] memory actions = [
            bytes32("deposit"), "requestWithdrawal", "withdraw", "submitClaim", "acceptClaim", "disputeCdr",
            "disputeClaim", "proveSum", "resolve", "warp", "net", "recover", "pause"
        ];
        for (uint256 i; i < actions.length; ++i) total += calls[actions[i]];
        total += calls["role"];
    }

    function claimCount() external view returns (uint256) {
        return _claims.length;
    }

    function claimAt(uint256 i) external view returns (ClaimInfo memory) {
        return _claims[i];
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @dev Proves the sum of an inflated claim not netted yet; false when there is nothing to cut.
    function _prove(ClaimInfo storage info) private returns (bool) {
        IRoamingSettlement.Claim memory c = _SETTLEMENT.claimOf(info.id);
        if (c.status == IRoamingSettlement.ClaimStatus.Netted || info.amount1 + info.amount2 >= c.claimedAmount) {
            return false;
        }
        IRoamingSettlement.Cdr[] memory cdrs = new IRoamingSettlement.Cdr[](2);
        cdrs[0] = IRoamingSettlement.Cdr(info.digest1, info.amount1);
        cdrs[1] = IRoamingSettlement.Cdr(info.digest2, info.amount2);
        _SETTLEMENT.proveClaimSum(info.id, cdrs);
        return true;
    }

    /// @dev A pending claim within its window, chosen by `seed`, while not paused.
    function _pending(uint256 seed) private view returns (bool ok, uint256 i, IRoamingSettlement.Claim memory c) {
        if (_claims.length == 0 || _SETTLEMENT.paused()) return (false, 0, c);
        i = seed % _claims.length;
        uint256 id = _claims[i].id;
        c = _SETTLEMENT.claimOf(id);
        ok = c.status == IRoamingSettlement.ClaimStatus.Pending && block.timestamp <= _SETTLEMENT.challengeDeadline(id);
    }

    function _canBond(ClaimInfo storage info) private view returns (bool) {
        return _SETTLEMENT.availableOf(info.debtor) >= _SETTLEMENT.disputeFee();
    }

    function _isSupplier(address a) private view returns (bool) {
        return _REGISTRY.hasRole(_SUPPLIER_ROLE, a);
    }

    function _actor(uint256 seed) private view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _leaf(bytes32 digest, uint256 amount) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest, amount))));
    }

    function _pair(bytes32 x, bytes32 y) private pure returns (bytes32) {
        return x < y ? keccak256(abi.encode(x, y)) : keccak256(abi.encode(y, x));
    }
}
