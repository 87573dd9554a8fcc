// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title Claims per period and pair of suppliers
/// @notice Claim ids per period, and per direction of a pair of suppliers and period the running
/// totals netting needs: what the creditor claims from the debtor, how much of it no collateral
/// covers, how many of its claims are pending or disputed, and its latest challenge window. Netting a
/// pair reads the totals of its two directions, so it costs the same whatever the number of claims,
/// and one pair never waits for another.
library SettlementPairs {
    /// @notice Largest total one supplier may claim from another in one period (`2^100 - 1`): with
    /// claims of at most 2^96 - 1 every total and every difference of totals fits in 128 bits.
    uint256 internal constant MAX_PAIR_AMOUNT = (1 << 100) - 1;

    /// @notice One direction of a pair in a period: what `creditor` claims from `debtor`, and its
    /// claims' counters. One slot, the only one a claim writes for its pair.
    /// @param amount The claims' current amounts summed; at most {MAX_PAIR_AMOUNT}, below 2^100.
    /// @param lastWindowStart Latest window start of the direction's claims (contract clock).
    /// @param holds Disputes awaiting a ruling. A claim has at most 2^16 - 1 open disputes (its
    /// `openDisputes` is a uint16) and a period at most 2^32 - 1 claims (its index is a uint32), so
    /// the count stays below 2^48.
    /// @param pending Claims still `Pending`: at most `claims`.
    /// @param claims Claims of the direction: at most the period's claim count, a uint32.
    struct Direction {
        uint104 amount;
        uint40 lastWindowStart;
        uint48 holds;
        uint32 pending;
        uint32 claims;
    }

    /// @notice What the claims of a direction do not reserve, and what netting left unpaid. Two slots,
    /// both zero (and never written) for a direction whose claims are reserved in full.
    /// @param unreserved The claims' `amount - reserved` summed: the part no collateral covers; at most
    /// the direction's amount.
    /// @param shortfall What the debtor could not pay at netting and still owes (see
    /// {IRoamingSettlement.shortfallOf}).
    struct Cover {
        uint256 unreserved;
        uint256 shortfall;
    }

    /// @notice Everything netting needs, by period. Directions and their covers are keyed by
    /// {keyOf}`(period, creditor, debtor)`, a pair's netting time by {pairKeyOf}.
    struct Book {
        mapping(uint32 period => uint32) claimCounts;
        mapping(bytes32 key => Direction) directions;
        mapping(bytes32 key => Cover) covers;
        mapping(bytes32 pairKey => uint40) nettedAt;
    }

    /// @notice Storage key of the direction `creditor` → `debtor` of `period`.
    function keyOf(uint32 period, address creditor, address debtor) internal pure returns (bytes32) {
        return keccak256(abi.encode(period, creditor, debtor));
    }

    /// @notice Storage key of the pair `{x, y}` of `period`, whatever the order of `x` and `y`.
    function pairKeyOf(uint32 period, address x, address y) internal pure returns (bytes32) {
        return x < y ? keyOf(period, x, y) : keyOf(period, y, x);
    }

    /// @notice The direction `creditor` → `debtor` of `period`.
    function direction(Book storage b, uint32 period, address creditor, address debtor)
        internal
        view
        returns (Direction storage)
    {
        return b.directions[keyOf(period, creditor, debtor)];
    }

    /// @notice The cover of the direction `creditor` → `debtor` of `period`.
    function cover(Book storage b, uint32 period, address creditor, address debtor)
        internal
        view
        returns (Cover storage)
    {
        return b.covers[keyOf(period, creditor, debtor)];
    }

    /// @notice Id of the `index`-th claim of `period`: `(period << 32) | index`.
    function idOf(uint32 period, uint32 index) internal pure returns (uint256) {
        return (uint256(period) << 32) | index;
    }

    /// @notice Period of claim `claimId` (see {idOf}).
    function periodOfId(uint256 claimId) internal pure returns (uint32) {
        return uint32(claimId >> 32);
    }

    /// @notice The time the pair `{x, y}` of `period` was netted (0 before), whatever the order of `x`
    /// and `y`.
    function nettedAtOf(Book storage b, uint32 period, address x, address y) internal view returns (uint40) {
        return b.nettedAt[pairKeyOf(period, x, y)];
    }

    /// @notice Records that the pair `{x, y}` of `period` is netted at `time`: the pair's one slot of
    /// its own, written once.
    function markNetted(Book storage b, uint32 period, address x, address y, uint40 time) internal {
        b.nettedAt[pairKeyOf(period, x, y)] = time;
    }

    /// @notice Books a new claim of `creditor` against `debtor` for `amount`, `reserved` of it reserved,
    /// whose window starts at `clock`. @return claimId The next id of the period.
    function addClaim(
        Book storage b,
        uint32 period,
        address creditor,
        address debtor,
        uint96 amount,
        uint96 reserved,
        uint40 clock
    ) internal returns (uint256 claimId) {
        bytes32 key = keyOf(period, creditor, debtor);
        Direction storage d = b.directions[key];
        uint256 total = uint256(d.amount) + amount;
        if (total > MAX_PAIR_AMOUNT) revert IRoamingSettlement.SettlementPairCapExceeded(period, creditor, debtor);
        // Safe casts: total <= 2^100 - 1. The counters cannot overflow (see {Direction}).
        // The counters stay within their bits: see {Direction}.
        unchecked {
            (d.amount, d.lastWindowStart, d.pending, d.claims) = (uint104(total), clock, d.pending + 1, d.claims + 1);
        }
        if (reserved != amount) {
            Cover storage c = b.covers[key];
            // Safe: reserved <= amount, and the unreserved total stays within the amount total.
            unchecked {
                c.unreserved += amount - reserved;
            }
        }
        uint32 index = b.claimCounts[period];
        b.claimCounts[period] = index + 1;
        return idOf(period, index);
    }

    /// @notice Takes `lost` off the amount of the direction `creditor` → `debtor`, `released` of it off
    /// its reservation (`released <= lost`).
    function cut(Book storage b, uint32 period, address creditor, address debtor, uint96 lost, uint96 released)
        internal
    {
        bytes32 key = keyOf(period, creditor, debtor);
        b.directions[key].amount -= lost;
        if (lost != released) {
            Cover storage c = b.covers[key];
            // Safe: released <= lost, and `lost - released` is what the claim's own unreserved part
            // lost, part of the total.
            unchecked {
                c.unreserved -= lost - released;
            }
        }
    }

    /// @notice The direction `creditor` → `debtor` of `period` as {IRoamingSettlement.pairOf} reports it.
    function flowOf(Book storage b, uint32 period, address creditor, address debtor)
        internal
        view
        returns (IRoamingSettlement.Flow memory)
    {
        bytes32 key = keyOf(period, creditor, debtor);
        uint128 amount = b.directions[key].amount;
        // Safe cast: the unreserved total is part of the amount total.
        return IRoamingSettlement.Flow(amount, uint128(amount - b.covers[key].unreserved));
    }

    /// @notice The pair `{x, y}` of `period` as {IRoamingSettlement.pairOf} reports it: both
    /// directions' counters summed, the later window start, the netting time.
    function pairOf(Book storage b, uint32 period, address x, address y)
        internal
        view
        returns (IRoamingSettlement.Pair memory p)
    {
        (Direction storage d, Direction storage e) = (direction(b, period, x, y), direction(b, period, y, x));
        uint40 last = d.lastWindowStart > e.lastWindowStart ? d.lastWindowStart : e.lastWindowStart;
        (uint32 pending, uint32 claims) = (d.pending, d.claims);
        // Safe: the claims of both directions are at most the period's claim count, a uint32; pending
        // ones are among them. A pair's open disputes would need 2^32 dispute transactions to pass the
        // view's uint32, and the view reverts then.
        unchecked {
            (pending, claims) = (pending + e.pending, claims + e.claims);
        }
        p = IRoamingSettlement.Pair({
            lastWindowStart: last,
            pending: pending,
            holds: SafeCast.toUint32(uint256(d.holds) + e.holds),
            claims: claims,
            nettedAt: nettedAtOf(b, period, x, y)
        });
    }

    /// @notice True once the pair's claims are all final: no dispute awaits a ruling, and every
    /// claim is accepted or rejected or the latest window closed.
    function isFinal(IRoamingSettlement.Pair memory p, uint40 window, uint40 clock) internal pure returns (bool) {
        return p.holds == 0 && (p.pending == 0 || clock > p.lastWindowStart + window);
    }
}
