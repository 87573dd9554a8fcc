// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Multilateral netting of a period's obligations
/// @notice Pure planning over memory arrays indexed by supplier: net positions in, a list of at most
/// `n - 1` debtor-to-creditor transfers out. Nothing is created or lost: every transfer takes from a
/// debtor exactly what it gives to a creditor.
library SettlementNetting {
    /// @notice One internal transfer of the plan, by supplier index.
    struct Transfer {
        uint256 from;
        uint256 to;
        uint256 amount;
    }

    /// @notice The plan of a netting.
    /// @param transfers The transfers; only the first `transferCount` entries are used.
    /// @param paid Per supplier: what it pays as a debtor.
    /// @param received Per supplier: what it receives as a creditor.
    /// @param totalOwed Sum of the debtors' net debts (= sum of the creditors' net claims).
    /// @param totalPaid Sum of `paid` (= sum of `received`).
    struct Plan {
        Transfer[] transfers;
        uint256 transferCount;
        uint256[] paid;
        uint256[] received;
        uint256 totalOwed;
        uint256 totalPaid;
    }

    /// @notice Thrown when net positions do not sum to zero or the arrays differ in length.
    error SettlementNettingUnbalanced();

    /// @notice Plans the settlement of net positions `net` (positive: owed to the supplier; negative:
    /// owed by it) where debtor `i` can pay at most `capacity[i]`.
    /// @dev 1. Each debtor can pay `min(owed, capacity)`; their sum is `pot`.
    /// 2. Each creditor receives `mulDiv(net, pot, totalOwed)`, rounded down (exact when everybody
    ///    can pay, since then `pot == totalOwed`); the sum of these never exceeds `pot`.
    /// 3. Greedy match in index order: the first debtor with something left pays the first creditor
    ///    with something left `min(left to pay, left to receive)`. Every step exhausts a debtor or a
    ///    creditor, and the last step exhausts the last creditor together with the last paying debtor
    ///    (or some debtor keeps unused capacity), so there are at most `debtors + creditors - 1 <= n - 1`
    ///    steps. The rounding dust (`pot - sum(received)`, fewer than the number of creditors) stays
    ///    unpaid by the last debtors in index order: it is owed, never created.
    function plan(int256[] memory net, uint256[] memory capacity) internal pure returns (Plan memory p) {
        uint256 n = net.length;
        if (capacity.length != n) revert SettlementNettingUnbalanced();
        uint256[] memory payLeft = new uint256[](n);
        uint256[] memory receiveLeft = new uint256[](n);
        int256 sum;
        uint256 pot;
        for (uint256 i; i < n; ++i) {
            int256 position = net[i];
            sum += position;
            if (position < 0) {
                uint256 owed = uint256(-position);
                p.totalOwed += owed;
                payLeft[i] = Math.min(owed, capacity[i]);
                pot += payLeft[i];
            }
        }
        if (sum != 0) revert SettlementNettingUnbalanced();

        for (uint256 i; i < n; ++i) {
            if (net[i] > 0) {
                uint256 claim = uint256(net[i]);
                // Round down: a creditor never receives more than its pro-rata share of the pot.
                receiveLeft[i] = pot == p.totalOwed ? claim : Math.mulDiv(claim, pot, p.totalOwed);
            }
        }

        p.transfers = new Transfer[](n == 0 ? 0 : n - 1);
        p.paid = new uint256[](n);
        p.received = new uint256[](n);
        uint256 d;
        uint256 c;
        while (true) {
            while (c < n && receiveLeft[c] == 0) ++c;
            if (c == n) break;
            // A debtor with capacity left exists: sum(payLeft) >= sum(receiveLeft) > 0 at every step.
            while (payLeft[d] == 0) ++d;
            uint256 x = Math.min(payLeft[d], receiveLeft[c]);
            payLeft[d] -= x;
            receiveLeft[c] -= x;
            p.paid[d] += x;
            p.received[c] += x;
            p.totalPaid += x;
            p.transfers[p.transferCount++] = Transfer({from: d, to: c, amount: x});
        }
    }

    /// @notice Index of `who` among the first `known` entries of `list`, appended if absent.
    /// @return index Its index.
    /// @return newKnown `known`, plus one if it was appended.
    function indexOf(address[] memory list, uint256 known, address who)
        internal
        pure
        returns (uint256 index, uint256 newKnown)
    {
        for (uint256 i; i < known; ++i) {
            if (list[i] == who) return (i, known);
        }
        list[known] = who;
        return (known, known + 1);
    }
}
