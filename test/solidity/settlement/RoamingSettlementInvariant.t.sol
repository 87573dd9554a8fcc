// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {RoamingSettlementHandler} from "./RoamingSettlementHandler.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @title Invariants of RoamingSettlement over random sequences of deposits, withdrawals, claims,
/// acceptances, CDR and claim-level disputes, rulings, time, nettings and shortfall recoveries
contract RoamingSettlementInvariantTest is SettlementTestBase {
    RoamingSettlementHandler private _handler;

    function setUp() public {
        _deploy(4);
        _settlement.setDisputeFee(5);
        _handler = new RoamingSettlementHandler(_settlement, _ledger, _token, _arbiter, _suppliers);
    }

    /// @notice Only the handler is called by the invariant runner.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(_handler);
    }

    /// Money is conserved: internal balances plus what the shortfall pools hold equal deposits
    /// minus withdrawals, and the token balance backs them exactly.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 60
    function invariantMoneyIsConserved() public view {
        uint256 held;
        uint32[] memory periods = _handler.periods();
        for (uint256 i; i < periods.length; ++i) {
            IRoamingSettlement.Pool memory pool = _settlement.poolOf(periods[i]);
            _assertLe(pool.distributed, pool.recovered, "pool pays at most what it recovered");
            _assertLe(pool.recovered, pool.totalEntitlement, "pool recovers at most what is owed");
            held += pool.recovered - pool.distributed;
        }
        uint256 liabilities = _sumBalances() + held;
        _assertEq(liabilities, _handler.deposited() - _handler.withdrawn(), "deposits - withdrawals");
        _assertEq(_token.balanceOf(address(_settlement)), liabilities, "token backing");
    }

    /// Claims and periods settle once: a claim that was not rejected is netted exactly when its period
    /// is, a rejected one never is and counts as zero, the netted periods hold every netted or
    /// rejected claim of theirs, no second netting or late acceptance ever succeeded, and each
    /// supplier's lock equals its open claims plus its shortfalls.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 60
    function invariantClaimsAndPeriodsSettleOnce() public view {
        _assertTrue(!_handler.settledTwice(), "nothing settles twice");
        uint256[] memory ids = _handler.claimIds();
        address[] memory actors = _handler.actors();
        uint256[] memory expectedLocks = new uint256[](actors.length);
        uint256 nettedClaims;
        uint256 rejected;
        for (uint256 i; i < ids.length; ++i) {
            IRoamingSettlement.Claim memory c = _settlement.claimOf(ids[i]);
            bool periodNetted = _settlement.periodOf(c.period).nettedAt != 0;
            if (c.status == IRoamingSettlement.ClaimStatus.Rejected) {
                ++rejected;
                _assertEq(c.amount, 0, "a rejected claim counts as zero");
                _assertTrue(c.claimDisputed, "rejected only by a claim-level ruling");
            } else {
                bool netted = c.status == IRoamingSettlement.ClaimStatus.Netted;
                _assertTrue(periodNetted == netted, "netted with its period");
            }
            _assertLe(c.amount, c.claimedAmount, "rulings only reduce a claim");
            if (periodNetted) ++nettedClaims;
            else expectedLocks[_indexOf(actors, c.debtor)] += c.amount;
        }
        uint256 claimsInNettedPeriods;
        uint32[] memory periods = _handler.periods();
        uint256 nettedPeriods;
        for (uint256 p; p < periods.length; ++p) {
            IRoamingSettlement.Period memory info = _settlement.periodOf(periods[p]);
            if (info.nettedAt == 0) continue;
            ++nettedPeriods;
            claimsInNettedPeriods += info.claimCount;
            for (uint256 a; a < actors.length; ++a) {
                expectedLocks[a] += _settlement.shortfallOf(periods[p], actors[a]);
            }
        }
        _assertEq(nettedPeriods, _handler.nettings(), "one netting per period");
        _assertEq(rejected, _handler.rejections(), "one rejection per upheld claim-level dispute");
        _assertEq(nettedClaims, claimsInNettedPeriods, "each netted claim counted once");
        for (uint256 a; a < actors.length; ++a) {
            _assertEq(_settlement.lockedOf(actors[a]), expectedLocks[a], "lock = open claims + shortfalls");
        }
    }

    /// A claim disputed as a whole is on hold until the ruling: pending, not final, its period not
    /// netted, never accepted meanwhile, and never disputed as a whole twice.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 60
    function invariantClaimDisputesHoldTheClaim() public view {
        _assertTrue(!_handler.holdBroken(), "no acceptance on hold, no second claim-level dispute");
        uint256[] memory open = _handler.openClaimDisputes();
        for (uint256 i; i < open.length; ++i) {
            IRoamingSettlement.Dispute memory d = _settlement.disputeOf(open[i]);
            _assertTrue(d.kind == IRoamingSettlement.DisputeKind.Claim, "a claim-level dispute");
            _assertTrue(d.status == IRoamingSettlement.DisputeStatus.Open, "awaiting its ruling");
            IRoamingSettlement.Claim memory c = _settlement.claimOf(d.claimId);
            _assertTrue(c.status == IRoamingSettlement.ClaimStatus.Pending && c.claimDisputed, "on hold");
            _assertTrue(!_settlement.isFinal(d.claimId), "not final");
            _assertEq(_settlement.periodOf(c.period).nettedAt, 0, "its period not netted");
        }
    }

    function _indexOf(address[] memory list, address who) private pure returns (uint256) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == who) return i;
        }
        revert AssertionFailed("unknown actor", 0, 0);
    }
}
