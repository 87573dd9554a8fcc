// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";
import {SettlementAccounts} from "./SettlementAccounts.sol";
import {SettlementNetting} from "./SettlementNetting.sol";

/// @title Book-keeping of one settlement period
/// @notice The claims of a period with their suppliers, and after netting its shortfall pool: what
/// debtors could not pay is owed to the pool, and what the pool recovers is shared among the unpaid
/// creditors pro rata to their entitlements, rounded down, so the pool never pays out more than it
/// recovered and pays each entitlement exactly once it has recovered everything.
library SettlementPeriods {
    using SafeCast for uint256;

    /// @notice Most claims a period may hold (bounds the netting loop; two suppliers per claim at most).
    uint256 internal constant MAX_CLAIMS = 128;

    /// @notice A creditor's unpaid entitlement and what it took from the pool so far. One slot.
    struct Entitlement {
        uint128 amount;
        uint128 taken;
    }

    /// @notice Everything about one period.
    struct Book {
        IRoamingSettlement.Period info;
        IRoamingSettlement.Pool pool;
        mapping(address debtor => uint256) shortfalls;
        mapping(address creditor => Entitlement) entitlements;
    }

    /// @notice Takes the next claim index of an open period within the limit.
    /// @return claimId `idOf(period, index)`.
    function addClaim(Book storage b, uint32 period) internal returns (uint256 claimId) {
        IRoamingSettlement.Period storage p = b.info;
        if (p.nettedAt != 0) revert IRoamingSettlement.SettlementPeriodNetted(period);
        uint32 index = p.claimCount;
        if (index >= MAX_CLAIMS) revert IRoamingSettlement.SettlementPeriodFull(period, MAX_CLAIMS);
        p.claimCount = index + 1;
        return idOf(period, index);
    }

    /// @notice Id of the `index`-th claim of `period`: `(period << 32) | index`.
    function idOf(uint32 period, uint32 index) internal pure returns (uint256) {
        return (uint256(period) << 32) | index;
    }

    /// @notice After netting `period` by `plan` over the net positions `net` of `suppliers`, records
    /// each debtor's unpaid rest as its shortfall (kept locked on its balance) and each creditor's
    /// unpaid rest as its entitlement in the pool. Both sums equal `totalOwed - totalPaid`.
    function recordShortfalls(
        Book storage b,
        mapping(address => SettlementAccounts.Account) storage accounts,
        uint32 period,
        address[] memory suppliers,
        int256[] memory net,
        SettlementNetting.Plan memory plan
    ) internal {
        for (uint256 j; j < net.length; ++j) {
            address who = suppliers[j];
            if (net[j] < 0) {
                uint256 rest = uint256(-net[j]) - plan.paid[j];
                if (rest == 0) continue;
                b.shortfalls[who] = rest;
                accounts[who].locked += rest.toUint128();
                emit IRoamingSettlement.ShortfallRecorded(period, who, rest);
            } else if (net[j] > 0) {
                uint256 rest = uint256(net[j]) - plan.received[j];
                if (rest == 0) continue;
                uint128 rest128 = rest.toUint128();
                b.entitlements[who].amount = rest128;
                b.pool.totalEntitlement += rest128;
                emit IRoamingSettlement.EntitlementRecorded(period, who, rest);
            }
        }
    }

    /// @notice Books a recovery of up to `debtor`'s shortfall from a balance of `balance`.
    /// @return amount `min(shortfall, balance)`, now held by the pool.
    function recover(Book storage b, address debtor, uint256 balance) internal returns (uint256 amount) {
        uint256 owed = b.shortfalls[debtor];
        amount = Math.min(owed, balance);
        b.shortfalls[debtor] = owed - amount;
        // Safe cast: amount <= shortfall <= totalEntitlement, which fits in 128 bits.
        b.pool.recovered += uint128(amount);
    }

    /// @notice Books the payout of `creditor`'s claimable share.
    /// @return amount The share paid out of the pool.
    function take(Book storage b, address creditor) internal returns (uint256 amount) {
        amount = claimable(b, creditor);
        // Safe casts: amount <= entitlement, which fits in 128 bits.
        b.entitlements[creditor].taken += uint128(amount);
        b.pool.distributed += uint128(amount);
    }

    /// @notice `mulDiv(entitlement, recovered, totalEntitlement) - taken`, rounded down.
    function claimable(Book storage b, address creditor) internal view returns (uint256) {
        uint256 total = b.pool.totalEntitlement;
        if (total == 0) return 0;
        Entitlement storage e = b.entitlements[creditor];
        return Math.mulDiv(e.amount, b.pool.recovered, total) - e.taken;
    }
}
