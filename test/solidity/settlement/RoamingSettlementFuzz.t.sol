// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @title Fuzz tests of RoamingSettlement's money rules over the full uint128 range
contract RoamingSettlementFuzzTest is SettlementTestBase {
    uint256 private constant _MAX_CLAIM = (1 << 96) - 1;

    function setUp() public {
        _deploy(3);
    }

    /// A claim of any uint128 amount is refused with a named error above the cap and otherwise
    /// reserves exactly `min(amount, collateral)`.
    function testFuzzClaimReservesWhatCollateralCovers(uint128 amount, uint128 collateral) public {
        (address host, address debtor) = (_suppliers[0], _suppliers[1]);
        _fund(debtor, collateral % (1 << 120));
        bytes32 root = _leaf(_digest(), amount);
        bytes32 evidence = _anchor(host);
        if (amount == 0) {
            _VM.expectRevert(abi.encodeWithSelector(IRoamingSettlement.SettlementZeroAmount.selector));
        } else if (amount > _MAX_CLAIM) {
            _VM.expectRevert(
                abi.encodeWithSelector(IRoamingSettlement.SettlementAmountTooLarge.selector, uint256(amount), _MAX_CLAIM)
            );
        }
        _VM.prank(host);
        uint256 id = _settlement.submitClaim(_FIRST_PERIOD, debtor, amount, root, 1, evidence, _packageHash(root));
        if (amount == 0 || amount > _MAX_CLAIM) return;
        uint256 reserved = _min(amount, collateral % (1 << 120));
        _assertEq(_settlement.claimOf(id).reserved, reserved, "reserved");
        _assertEq(_settlement.lockedOf(debtor), reserved, "locked");
        _assertEq(_settlement.availableOf(debtor), collateral % (1 << 120) - reserved, "available");
    }

    /// Netting a pair with claims both ways never reverts, whatever the amounts and collateral: it
    /// pays the net debt up to what the debtor's reservation and available balance cover, records
    /// the rest as a shortfall, and conserves money.
    function testFuzzNettingNeverReverts(uint128 x, uint128 y, uint128 ca, uint128 cb, bool acceptAll) public {
        (address a, address b) = (_suppliers[0], _suppliers[1]);
        (uint256 fa, uint256 fb) = (uint256(ca) % (1 << 110), uint256(cb) % (1 << 110));
        _fund(a, fa);
        _fund(b, fb);
        uint256 aFromB = _bound(x, 1, _MAX_CLAIM);
        uint256 bFromA = _bound(y, 1, _MAX_CLAIM);
        uint256 id1 = _claim(_FIRST_PERIOD, a, b, aFromB);
        uint256 id2 = _claim(_FIRST_PERIOD, b, a, bFromA);
        if (acceptAll) {
            _VM.prank(b);
            _settlement.acceptClaim(id1);
            _VM.prank(a);
            _settlement.acceptClaim(id2);
        }
        _VM.warp(block.timestamp + _PERIOD_SECONDS + _GRACE + _WINDOW + 1);
        uint256 reservedB = _settlement.claimOf(id1).reserved;
        uint256 reservedA = _settlement.claimOf(id2).reserved;
        _VM.prank(_suppliers[2]);
        _settlement.netPair(_FIRST_PERIOD, a, b);
        if (aFromB >= bFromA) _checkNetted(b, a, aFromB - bFromA, reservedB);
        else _checkNetted(a, b, bFromA - aFromB, reservedA);
        _assertEq(_settlement.lockedOf(a) + _settlement.lockedOf(b), 0, "locks released");
        _assertEq(_sumBalances(), fa + fb, "conserved");
        _assertEq(_token.balanceOf(address(_settlement)), fa + fb, "backed");
    }

    function _checkNetted(address debtor, address creditor, uint256 owed, uint256 reserved) private view {
        uint256 shortfall = _settlement.shortfallOf(_FIRST_PERIOD, debtor, creditor);
        _assertLe(_min(owed, reserved), owed - shortfall, "paid at least what was reserved");
        _assertEq(_settlement.debtOf(debtor), shortfall, "debt");
    }
}
