// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title Claims per period and pair of suppliers
/// @notice Claim ids per period, and per unordered pair of suppliers and period the running totals
/// netting needs: what each side claims from the other and how much of it is reserved, how many
/// claims are pending or disputed, and the latest challenge window. Netting a pair reads these
/// totals, so it costs the same whatever the number of claims, and one pair never waits for another.
library SettlementPairs {
    /// @notice Largest total one supplier may claim from another in one period (`2^100 - 1`): with
    /// claims of at most 2^96 - 1 every total and every difference of totals fits in 128 bits.
    uint256 internal constant MAX_PAIR_AMOUNT = (1 << 100) - 1;

    /// @notice Everything netting needs, by period.
    struct Book {
        mapping(uint32 period => uint32) claimCounts;
        mapping(uint32 period => mapping(address lo => mapping(address hi => IRoamingSettlement.Pair))) pairs;
        mapping(uint32 period => mapping(address creditor => mapping(address debtor => IRoamingSettlement.Flow))) flows;
        mapping(uint32 period => mapping(address debtor => mapping(address creditor => uint256))) shortfalls;
    }

    /// @notice Id of the `index`-th claim of `period`: `(period << 32) | index`.
    function idOf(uint32 period, uint32 index) internal pure returns (uint256) {
        return (uint256(period) << 32) | index;
    }

    /// @notice Period of claim `claimId` (see {idOf}).
    function periodOfId(uint256 claimId) internal pure returns (uint32) {
        return uint32(claimId >> 32);
    }

    /// @notice The pair `{x, y}` of `period`, whatever the order of `x` and `y`.
    function pairOf(Book storage b, uint32 period, address x, address y)
        internal
        view
        returns (IRoamingSettlement.Pair storage)
    {
        return x < y ? b.pairs[period][x][y] : b.pairs[period][y][x];
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
        IRoamingSettlement.Flow storage f = b.flows[period][creditor][debtor];
        uint256 total = uint256(f.amount) + amount;
        if (total > MAX_PAIR_AMOUNT) revert IRoamingSettlement.SettlementPairCapExceeded(period, creditor, debtor);
        // Safe casts: total <= 2^100; reserved totals never exceed amount totals.
        (f.amount, f.reserved) = (uint128(total), f.reserved + reserved);
        IRoamingSettlement.Pair storage p = pairOf(b, period, creditor, debtor);
        (p.pending, p.claims, p.lastWindowStart) = (p.pending + 1, p.claims + 1, clock);
        uint32 index = b.claimCounts[period];
        b.claimCounts[period] = index + 1;
        return idOf(period, index);
    }

    /// @notice True once the pair's claims are all final: no dispute awaits a ruling, and every
    /// claim is accepted or rejected or the latest window closed.
    function isFinal(IRoamingSettlement.Pair storage p, uint40 window, uint40 clock) internal view returns (bool) {
        return p.holds == 0 && (p.pending == 0 || clock > p.lastWindowStart + window);
    }
}
