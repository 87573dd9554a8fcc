// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {SettlementPairs} from "../../../contracts/libraries/SettlementPairs.sol";
import {Vm, VM_ADDRESS} from "../utils/Vm.sol";

/// @title The packed totals of a direction at their exact bounds
/// @notice A direction's amount, window, open disputes and claim counters share one slot, and its
/// uncovered part and shortfall a second one; these tests drive every field to the largest value the
/// contract can reach and check that no field spills into another and that what lies beyond is
/// refused with the named error.
contract SettlementPairsPackingTest {
    using SettlementPairs for SettlementPairs.Book;

    /// @notice Thrown by the assertion helper.
    error AssertionFailed(string what, uint256 actual, uint256 expected);

    Vm private constant _VM = Vm(VM_ADDRESS);
    uint32 private constant _PERIOD = 20_454;
    address private constant _A = address(0xA11CE);
    address private constant _B = address(0xB0B);
    uint96 private constant _MAX_CLAIM = type(uint96).max;
    /// @dev The most open disputes a direction can hold: 2^32 - 1 claims of 2^16 - 1 open disputes each.
    uint48 private constant _MOST_HOLDS = uint48((2 ** 32 - 1) * (2 ** 16 - 1));

    SettlementPairs.Book private _book;

    /// @notice External entry to {SettlementPairs.addClaim}, so that a revert can be expected.
    function addClaim(address creditor, address debtor, uint96 amount, uint96 reserved, uint40 clock)
        external
        returns (uint256)
    {
        return _book.addClaim(_PERIOD, creditor, debtor, amount, reserved, clock);
    }

    /// @notice External entry to {SettlementPairs.pairOf}, so that a revert can be expected.
    function pairOf(address x, address y) external view returns (IRoamingSettlement.Pair memory) {
        return _book.pairOf(_PERIOD, x, y);
    }

    /// Sixteen claims of 2^96 - 1 and one of 15 bring a direction to exactly 2^100 - 1 with its
    /// counters and latest window intact; one more unit is refused with SettlementPairCapExceeded and
    /// changes nothing; the other direction stays empty.
    function testAmountAtTheCapKeepsItsNeighbours() public {
        for (uint40 i = 1; i <= 16; ++i) {
            _book.addClaim(_PERIOD, _A, _B, _MAX_CLAIM, _MAX_CLAIM, i);
        }
        uint256 id = _book.addClaim(_PERIOD, _A, _B, 15, 5, type(uint40).max);
        _assertEq(id, SettlementPairs.idOf(_PERIOD, 16), "claim id");
        _assertDirection(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT, type(uint40).max, 0, 17, 17);
        _assertFlow(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT, SettlementPairs.MAX_PAIR_AMOUNT - 10);

        _VM.expectRevert(
            abi.encodeWithSelector(IRoamingSettlement.SettlementPairCapExceeded.selector, _PERIOD, _A, _B)
        );
        this.addClaim(_A, _B, 1, 1, 1);
        _assertDirection(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT, type(uint40).max, 0, 17, 17);
        _assertFlow(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT, SettlementPairs.MAX_PAIR_AMOUNT - 10);
        _assertDirection(_B, _A, 0, 0, 0, 0, 0);
        _assertEq(_book.claimCounts[_PERIOD], 17, "period claims");

        // A cut of the whole amount empties the amount and the uncovered part, nothing else.
        _book.cut(_PERIOD, _A, _B, uint96(_MAX_CLAIM), _MAX_CLAIM - 10);
        _assertDirection(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT - _MAX_CLAIM, type(uint40).max, 0, 17, 17);
        _assertFlow(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT - _MAX_CLAIM, SettlementPairs.MAX_PAIR_AMOUNT - _MAX_CLAIM);
    }

    /// Every field of a direction at its largest reachable value at once reads back exactly, and the
    /// pair's view sums both directions; open disputes beyond the view's uint32 make the view revert
    /// with SafeCastOverflowedUintDowncast rather than report a wrapped count.
    function testEveryFieldAtItsLargestValue() public {
        uint32 most = type(uint32).max;
        SettlementPairs.Direction storage d = _book.direction(_PERIOD, _A, _B);
        (d.amount, d.lastWindowStart, d.holds, d.pending, d.claims) =
            (uint104(SettlementPairs.MAX_PAIR_AMOUNT), type(uint40).max, _MOST_HOLDS, most, most);
        _book.covers[SettlementPairs.keyOf(_PERIOD, _A, _B)] = SettlementPairs.Cover(SettlementPairs.MAX_PAIR_AMOUNT, 1);
        _assertDirection(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT, type(uint40).max, _MOST_HOLDS, most, most);
        _assertFlow(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT, 0);
        _assertDirection(_B, _A, 0, 0, 0, 0, 0);

        _VM.expectRevert(
            abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, uint8(32), uint256(_MOST_HOLDS))
        );
        this.pairOf(_A, _B);

        // At the view's bound: 2^32 - 1 open disputes over both directions, claims and pending summed.
        d.holds = most - 7;
        SettlementPairs.Direction storage e = _book.direction(_PERIOD, _B, _A);
        (e.holds, e.pending, e.claims, e.lastWindowStart) = (7, 0, 0, 1);
        (d.pending, d.claims) = (most - 3, most - 3);
        (e.pending, e.claims) = (3, 3);
        _book.markNetted(_PERIOD, _B, _A, type(uint40).max);
        IRoamingSettlement.Pair memory p = this.pairOf(_B, _A);
        _assertEq(p.holds, most, "pair holds");
        _assertEq(p.pending, most, "pair pending");
        _assertEq(p.claims, most, "pair claims");
        _assertEq(p.lastWindowStart, type(uint40).max, "pair window");
        _assertEq(p.nettedAt, type(uint40).max, "pair netted");
        _assertEq(_book.nettedAtOf(_PERIOD, _A, _B), type(uint40).max, "netted either way");
        _assertDirection(_A, _B, SettlementPairs.MAX_PAIR_AMOUNT, type(uint40).max, most - 7, most - 3, most - 3);
    }

    /// The pair is final only when neither direction holds an open dispute, and then when neither has
    /// a pending claim or the later of the two windows is over (to the second).
    function testFinalityReadsBothDirections() public {
        _book.addClaim(_PERIOD, _A, _B, 10, 10, 100);
        _book.addClaim(_PERIOD, _B, _A, 10, 10, 200);
        uint40 window = 50;
        _assertEq(_isFinal(window, 250) ? 1 : 0, 0, "at the later window's end");
        _assertEq(_isFinal(window, 251) ? 1 : 0, 1, "after the later window");
        _book.direction(_PERIOD, _B, _A).holds = 1;
        _assertEq(_isFinal(window, 251) ? 1 : 0, 0, "a dispute open one way");
        _book.direction(_PERIOD, _B, _A).holds = 0;
        (_book.direction(_PERIOD, _A, _B).pending, _book.direction(_PERIOD, _B, _A).pending) = (0, 0);
        _assertEq(_isFinal(window, 101) ? 1 : 0, 1, "nothing pending");
    }

    function _isFinal(uint40 window, uint40 clock) private view returns (bool) {
        return SettlementPairs.isFinal(_book.pairOf(_PERIOD, _A, _B), window, clock);
    }

    function _assertDirection(
        address creditor,
        address debtor,
        uint256 amount,
        uint256 lastWindowStart,
        uint256 holds,
        uint256 pending,
        uint256 claims
    ) private view {
        SettlementPairs.Direction storage d = _book.direction(_PERIOD, creditor, debtor);
        _assertEq(d.amount, amount, "amount");
        _assertEq(d.lastWindowStart, lastWindowStart, "lastWindowStart");
        _assertEq(d.holds, holds, "holds");
        _assertEq(d.pending, pending, "pending");
        _assertEq(d.claims, claims, "claims");
    }

    function _assertFlow(address creditor, address debtor, uint256 amount, uint256 reserved) private view {
        IRoamingSettlement.Flow memory f = _book.flowOf(_PERIOD, creditor, debtor);
        _assertEq(f.amount, amount, "flow amount");
        _assertEq(f.reserved, reserved, "flow reserved");
    }

    function _assertEq(uint256 actual, uint256 expected, string memory what) private pure {
        if (actual != expected) revert AssertionFailed(what, actual, expected);
    }
}
