// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementNetting} from "../../../contracts/libraries/SettlementNetting.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @title Fuzz tests of the netting planner on random obligation matrices
contract SettlementNettingTest is SettlementTestBase {
    uint256 private constant _MAX_N = 8;

    /// @dev Net positions of the first `n` suppliers from a gross matrix: `owe[i][j]` is what i owes j.
    function _positions(uint256[64] memory raw, uint256 n, uint256 cap)
        private
        pure
        returns (int256[] memory net, uint256 totalGross)
    {
        net = new int256[](n);
        for (uint256 i; i < n; ++i) {
            for (uint256 j; j < n; ++j) {
                if (i == j) continue;
                uint256 owe = raw[i * _MAX_N + j] % cap;
                totalGross += owe;
                net[i] -= int256(owe);
                net[j] += int256(owe);
            }
        }
    }

    /// @dev Applies the plan's transfers to zero balances and returns each supplier's change.
    function _apply(SettlementNetting.Plan memory p, uint256 n) private pure returns (int256[] memory delta) {
        delta = new int256[](n);
        for (uint256 k; k < p.transferCount; ++k) {
            SettlementNetting.Transfer memory t = p.transfers[k];
            _assertTrue(t.amount > 0, "no empty transfer");
            _assertTrue(t.from != t.to, "no transfer to oneself");
            delta[t.from] -= int256(t.amount);
            delta[t.to] += int256(t.amount);
        }
    }

    /// Fully collateralised: every supplier's change is what others owe it minus what it owes,
    /// with at most n - 1 transfers.
    function testFuzzFullyFundedNettingMatchesGrossObligations(uint256[64] memory raw, uint8 nRaw) public pure {
        uint256 n = _bound(nRaw, 2, _MAX_N);
        (int256[] memory net,) = _positions(raw, n, 1e30);
        uint256[] memory capacity = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            capacity[i] = type(uint128).max;
        }
        SettlementNetting.Plan memory p = SettlementNetting.plan(net, capacity);
        _assertLe(p.transferCount, n - 1, "at most n - 1 transfers");
        _assertEq(p.totalPaid, p.totalOwed, "everything owed is paid");
        int256[] memory delta = _apply(p, n);
        for (uint256 i; i < n; ++i) {
            _assertTrue(delta[i] == net[i], "change equals net position");
        }
    }

    /// Partly collateralised: nothing is created or lost, no debtor pays beyond its capacity or
    /// debt, creditors get their pro-rata share rounded down, and the dust is below one unit per
    /// creditor.
    function testFuzzUnderfundedNettingConservesAndRoundsDown(
        uint256[64] memory raw,
        uint256[8] memory caps,
        uint8 nRaw
    ) public pure {
        uint256 n = _bound(nRaw, 2, _MAX_N);
        (int256[] memory net,) = _positions(raw, n, 1e24);
        uint256[] memory capacity = new uint256[](n);
        uint256 pot;
        uint256 creditors;
        for (uint256 i; i < n; ++i) {
            capacity[i] = caps[i] % 2e24;
            if (net[i] < 0) pot += capacity[i] < uint256(-net[i]) ? capacity[i] : uint256(-net[i]);
            if (net[i] > 0) ++creditors;
        }
        SettlementNetting.Plan memory p = SettlementNetting.plan(net, capacity);
        _assertLe(p.transferCount, n - 1, "at most n - 1 transfers");
        int256[] memory delta = _apply(p, n);
        uint256 paid;
        uint256 received;
        for (uint256 i; i < n; ++i) {
            paid += p.paid[i];
            received += p.received[i];
            if (net[i] < 0) {
                _assertTrue(delta[i] == -int256(p.paid[i]), "debtor pays what the plan says");
                _assertLe(p.paid[i], capacity[i], "debtor pays within capacity");
                _assertLe(p.paid[i], uint256(-net[i]), "debtor pays at most its debt");
                _assertEq(p.received[i], 0, "a debtor receives nothing");
            } else {
                _assertTrue(delta[i] == int256(p.received[i]), "creditor receives what the plan says");
                _assertLe(p.received[i], uint256(net[i]), "creditor receives at most its claim");
                _assertEq(p.paid[i], 0, "a creditor pays nothing");
                if (p.totalOwed != 0) {
                    // Rounded down: received * totalOwed <= net * pot.
                    _assertLe(p.received[i] * p.totalOwed, uint256(net[i]) * pot, "share rounded down");
                }
            }
        }
        _assertEq(paid, received, "conservation");
        _assertEq(paid, p.totalPaid, "total paid");
        _assertLe(p.totalPaid, pot, "rounding never creates value");
        _assertLe(pot - p.totalPaid, creditors == 0 ? 0 : creditors - 1, "dust below one unit per creditor");
    }

    /// A balanced all-zero matrix needs no transfer.
    function testNothingOwedMeansNoTransfer() public pure {
        int256[] memory net = new int256[](3);
        uint256[] memory capacity = new uint256[](3);
        SettlementNetting.Plan memory p = SettlementNetting.plan(net, capacity);
        _assertEq(p.transferCount, 0, "no transfer");
    }

    /// Pro-rata shares round down, and the dust stays owed by the debtor instead of being paid.
    function testProRataSplitAssignsDustToDebtor() public pure {
        int256[] memory net = new int256[](4);
        (net[0], net[1], net[2], net[3]) = (-3, 1, 1, 1);
        uint256[] memory capacity = new uint256[](4);
        capacity[0] = 2; // pays 2 of 3: each creditor's share is floor(1 * 2 / 3) = 0
        SettlementNetting.Plan memory p = SettlementNetting.plan(net, capacity);
        _assertEq(p.totalPaid, 0, "shares round down to zero");
        _assertEq(p.transferCount, 0, "no transfer");
        (net[0], net[1], net[2], net[3]) = (-9, 2, 3, 4);
        capacity[0] = 7; // shares floor(14/9)=1, floor(21/9)=2, floor(28/9)=3: 6 paid, dust 1 stays owed
        p = SettlementNetting.plan(net, capacity);
        _assertEq(p.totalPaid, 6, "six paid");
        _assertEq(p.paid[0], 6, "debtor pays six");
        _assertEq(p.received[1] + p.received[2] + p.received[3], 6, "creditors get six");
        _assertEq(p.received[3], 3, "largest share");
        _assertEq(p.transferCount, 3, "three transfers");
    }
}
