// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EvidenceLedger} from "../../../contracts/EvidenceLedger.sol";
import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {RoamingSettlement} from "../../../contracts/RoamingSettlement.sol";
import {SettlementTestToken} from "../../../contracts/test/SettlementTestToken.sol";
import {Vm, VM_ADDRESS} from "../utils/Vm.sol";

/// @title Random walks over the settlement's life cycle for the invariant tests
/// @notice Every action is bounded to something that can succeed, so that the walk gets deep; the
/// handler keeps ghost totals the invariants compare with the contract's state.
contract RoamingSettlementHandler {
    /// @notice A claim the handler made over a two-leaf CDR tree.
    struct ClaimInfo {
        uint256 id;
        bytes32 digest1;
        uint256 amount1;
        bytes32 leaf2;
    }

    Vm private constant _VM = Vm(VM_ADDRESS);
    uint32 private constant _FIRST_PERIOD = 100;
    uint32 private constant _OPEN_PERIODS = 3;
    uint8 private constant _CDR_KIND = 2;

    RoamingSettlement private immutable _SETTLEMENT;
    EvidenceLedger private immutable _LEDGER;
    SettlementTestToken private immutable _TOKEN;
    address private immutable _ARBITER;
    address[] private _actors;
    ClaimInfo[] private _claims;
    uint256[] private _openDisputes;
    uint256[] private _openClaimDisputes;
    uint32[] private _periods;
    uint32[_OPEN_PERIODS] private _open;
    uint256 private _salt;

    /// @notice Sum of all deposits so far.
    uint256 public deposited;
    /// @notice Sum of all withdrawals so far.
    uint256 public withdrawn;
    /// @notice Number of successful nettings.
    uint256 public nettings;
    /// @notice Set if a second netting of a period, or a use of a netted claim, ever succeeded.
    bool public settledTwice;
    /// @notice Number of refused attempts to settle a netted period or claim again, to accept a claim
    /// on hold, or to dispute a whole claim twice.
    uint256 public refusals;
    /// @notice Set if a claim on hold (its claim-level dispute open) was ever accepted, or a claim was
    /// ever disputed as a whole twice.
    bool public holdBroken;
    /// @notice Number of claim-level disputes upheld: the claims rejected.
    uint256 public rejections;
    /// @notice Number of calls per action, for a look at the walk's coverage.
    mapping(bytes32 action => uint256) public calls;

    constructor(
        RoamingSettlement settlement_,
        EvidenceLedger ledger_,
        SettlementTestToken token_,
        address arbiter,
        address[] memory actors_
    ) {
        _SETTLEMENT = settlement_;
        _LEDGER = ledger_;
        _TOKEN = token_;
        _ARBITER = arbiter;
        _actors = actors_;
        for (uint32 p; p < _OPEN_PERIODS; ++p) {
            _open[p] = _FIRST_PERIOD + p;
            _periods.push(_FIRST_PERIOD + p);
        }
    }

    function deposit(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        amount = 1 + (amount % 1e12);
        _TOKEN.mint(a, amount);
        _VM.startPrank(a);
        _TOKEN.approve(address(_SETTLEMENT), amount);
        _SETTLEMENT.deposit(amount);
        _VM.stopPrank();
        deposited += amount;
        ++calls["deposit"];
    }

    function withdraw(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        uint256 available = _SETTLEMENT.availableOf(a);
        if (available == 0) return;
        amount = 1 + (amount % available);
        _VM.prank(a);
        _SETTLEMENT.withdraw(amount);
        withdrawn += amount;
        ++calls["withdraw"];
    }

    function submitClaim(uint256 hostSeed, uint256 debtorSeed, uint256 periodSeed, uint256 a1, uint256 a2) external {
        address host = _actor(hostSeed);
        address debtor = _actor(debtorSeed);
        if (host == debtor) debtor = _actor(debtorSeed + 1);
        uint32 period = _open[periodSeed % _OPEN_PERIODS];
        if (_SETTLEMENT.periodOf(period).claimCount >= _SETTLEMENT.MAX_CLAIMS_PER_PERIOD()) return;
        (a1, a2) = (a1 % 1e9, 1 + (a2 % 1e9));
        bytes32 digest1 = keccak256(abi.encode("cdr", ++_salt));
        bytes32 leaf1 = _leaf(digest1, a1);
        bytes32 leaf2 = _leaf(keccak256(abi.encode("cdr", ++_salt)), a2);
        bytes32 root = leaf1 < leaf2 ? keccak256(abi.encode(leaf1, leaf2)) : keccak256(abi.encode(leaf2, leaf1));
        bytes32 evidence = keccak256(abi.encode("evidence", ++_salt));
        _VM.startPrank(host);
        _LEDGER.anchorBatch(evidence, 2, _CDR_KIND);
        uint256 id = _SETTLEMENT.submitClaim(period, debtor, a1 + a2, root, 2, evidence, keccak256(abi.encode(root)));
        _VM.stopPrank();
        _claims.push(ClaimInfo({id: id, digest1: digest1, amount1: a1, leaf2: leaf2}));
        ++calls["submitClaim"];
    }

    function acceptClaim(uint256 claimSeed) external {
        if (_claims.length == 0) return;
        uint256 id = _claims[claimSeed % _claims.length].id;
        IRoamingSettlement.Claim memory c = _SETTLEMENT.claimOf(id);
        _VM.prank(c.debtor);
        if (c.status == IRoamingSettlement.ClaimStatus.Pending && c.claimDisputed) {
            // On hold: its claim-level dispute awaits a ruling.
            try _SETTLEMENT.acceptClaim(id) {
                holdBroken = true;
            } catch {
                ++refusals;
            }
        } else if (c.status == IRoamingSettlement.ClaimStatus.Pending) {
            _SETTLEMENT.acceptClaim(id);
            ++calls["acceptClaim"];
        } else {
            try _SETTLEMENT.acceptClaim(id) {
                settledTwice = true;
            } catch {
                ++refusals;
            }
        }
    }

    function disputeCdr(uint256 claimSeed, bytes32 reason) external {
        if (_claims.length == 0) return;
        ClaimInfo memory info = _claims[claimSeed % _claims.length];
        IRoamingSettlement.Claim memory c = _SETTLEMENT.claimOf(info.id);
        if (c.status != IRoamingSettlement.ClaimStatus.Pending) return;
        if (block.timestamp > _SETTLEMENT.challengeDeadline(info.id)) return;
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = info.leaf2;
        _VM.prank(c.debtor);
        try _SETTLEMENT.disputeCdr(info.id, info.digest1, info.amount1, proof, reason) returns (uint256 disputeId) {
            _openDisputes.push(disputeId);
            ++calls["disputeCdr"];
        } catch {
            // Only a second dispute of the same leaf may fail here.
            if (_SETTLEMENT.claimOf(info.id).openDisputes == 0) {
                ++calls["disputeCdr:again"];
            }
        }
    }

    function resolveDispute(uint256 disputeSeed, bool upheld) external {
        uint256 n = _openDisputes.length;
        if (n == 0) return;
        uint256 i = disputeSeed % n;
        uint256 disputeId = _openDisputes[i];
        _openDisputes[i] = _openDisputes[n - 1];
        _openDisputes.pop();
        _VM.prank(_ARBITER);
        _SETTLEMENT.resolveDispute(disputeId, upheld, keccak256(abi.encode("bundle", disputeId)));
        ++calls["resolveDispute"];
    }

    function disputeClaim(uint256 claimSeed, bytes32 reason) external {
        if (_claims.length == 0) return;
        uint256 id = _claims[claimSeed % _claims.length].id;
        IRoamingSettlement.Claim memory c = _SETTLEMENT.claimOf(id);
        if (c.status != IRoamingSettlement.ClaimStatus.Pending) return;
        if (block.timestamp > _SETTLEMENT.challengeDeadline(id)) return;
        _VM.prank(c.debtor);
        if (c.claimDisputed) {
            try _SETTLEMENT.disputeClaim(id, reason) {
                holdBroken = true;
            } catch {
                ++refusals;
            }
            return;
        }
        _openClaimDisputes.push(_SETTLEMENT.disputeClaim(id, reason));
        ++calls["disputeClaim"];
    }

    function resolveClaimDispute(uint256 disputeSeed, bool upheld) external {
        uint256 n = _openClaimDisputes.length;
        if (n == 0) return;
        uint256 i = disputeSeed % n;
        uint256 disputeId = _openClaimDisputes[i];
        _openClaimDisputes[i] = _openClaimDisputes[n - 1];
        _openClaimDisputes.pop();
        _VM.prank(_ARBITER);
        _SETTLEMENT.resolveClaimDispute(disputeId, upheld, keccak256(abi.encode("package shown", disputeId)));
        if (upheld) ++rejections;
        ++calls["resolveClaimDispute"];
    }

    function warp(uint256 secondsAhead) external {
        _VM.warp(block.timestamp + (secondsAhead % 4 days));
        ++calls["warp"];
    }

    function netPeriod(uint256 periodSeed, uint256 callerSeed) external {
        // Mostly an open period; sometimes any period ever used (a netted one must refuse).
        uint256 slot = periodSeed % _OPEN_PERIODS;
        uint32 period = periodSeed % 4 != 0 ? _open[slot] : _periods[(periodSeed / 4) % _periods.length];
        IRoamingSettlement.Period memory p = _SETTLEMENT.periodOf(period);
        address caller = _actor(callerSeed);
        if (p.nettedAt != 0) {
            _VM.prank(caller);
            try _SETTLEMENT.netPeriod(period) {
                settledTwice = true;
            } catch {
                ++refusals;
            }
            return;
        }
        if (p.claimCount == 0 || !_allFinal(period, p.claimCount)) return;
        _VM.prank(caller);
        _SETTLEMENT.netPeriod(period);
        ++nettings;
        if (_open[slot] == period) {
            // Replace the netted period by a new one, so that _OPEN_PERIODS periods stay open.
            _open[slot] = _periods[_periods.length - 1] + 1;
            _periods.push(_open[slot]);
        }
        ++calls["netPeriod"];
    }

    function recoverShortfall(uint256 seed, uint256 callerSeed) external {
        // Look for a debtor that owes a shortfall and has a balance, starting at a random spot.
        uint256 n = _periods.length * _actors.length;
        for (uint256 k; k < n; ++k) {
            uint256 i = (seed + k) % n;
            uint32 period = _periods[i / _actors.length];
            address debtor = _actors[i % _actors.length];
            if (_SETTLEMENT.shortfallOf(period, debtor) == 0 || _SETTLEMENT.balanceOf(debtor) == 0) continue;
            _VM.prank(_actor(callerSeed));
            _SETTLEMENT.recoverShortfall(period, debtor);
            ++calls["recoverShortfall"];
            return;
        }
    }

    function claimRecovery(uint256 seed) external {
        // Look for a creditor with something to take, starting at a random spot.
        uint256 n = _periods.length * _actors.length;
        for (uint256 k; k < n; ++k) {
            uint256 i = (seed + k) % n;
            uint32 period = _periods[i / _actors.length];
            address creditor = _actors[i % _actors.length];
            (,, uint256 claimable) = _SETTLEMENT.entitlementOf(period, creditor);
            if (claimable == 0) continue;
            _VM.prank(creditor);
            _SETTLEMENT.claimRecovery(period);
            ++calls["claimRecovery"];
            return;
        }
    }

    /// @notice The actors (suppliers) of the walk.
    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @notice Ids of every claim made so far.
    function claimIds() external view returns (uint256[] memory ids) {
        ids = new uint256[](_claims.length);
        for (uint256 i; i < ids.length; ++i) {
            ids[i] = _claims[i].id;
        }
    }

    /// @notice Claim-level disputes awaiting a ruling.
    function openClaimDisputes() external view returns (uint256[] memory) {
        return _openClaimDisputes;
    }

    /// @notice Every period the walk may have used.
    function periods() external view returns (uint32[] memory) {
        return _periods;
    }

    function _allFinal(uint32 period, uint256 count) private view returns (bool) {
        for (uint256 i; i < count; ++i) {
            if (!_SETTLEMENT.isFinal(_SETTLEMENT.claimIdOf(period, uint32(i)))) return false;
        }
        return true;
    }

    function _actor(uint256 seed) private view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _leaf(bytes32 digest, uint256 amount) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest, amount))));
    }
}
