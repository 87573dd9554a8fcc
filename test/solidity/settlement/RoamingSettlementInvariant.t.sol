// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {RoamingSettlementHandler} from "./RoamingSettlementHandler.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @title Invariants of RoamingSettlement's money rules over random walks of deposits, withdrawal
/// requests and withdrawals, honest and inflated claims, acceptances, bonded disputes, sum proofs,
/// rulings, time, pauses, role revocations, nettings and recoveries
/// @dev Fail-on-revert is on: a call the rules admit that reverts fails the run.
contract RoamingSettlementInvariantTest is SettlementTestBase {
    RoamingSettlementHandler private _handler;

    function setUp() public {
        _deploy(4);
        _settlement.setDisputeFee(5_000);
        _handler = new RoamingSettlementHandler(
            _settlement, _ledger, _token, _registry, address(this), _arbiter, _suppliers
        );
    }

    /// @notice Only the handler is called by the invariant runner.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(_handler);
    }

    /// Money is conserved: balances plus escrowed bonds equal deposits minus withdrawals, and the
    /// token balance backs them exactly.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 60
    /// hardhat-config: invariant.failOnRevert = true
    function invariantMoneyIsConserved() public view {
        uint256 held = _sumBalances() + _handler.openBonds();
        _assertEq(held, _handler.deposited() - _handler.withdrawn(), "balances + bonds = deposits - withdrawals");
        _assertEq(_token.balanceOf(address(_settlement)), held, "token balance backs the books");
    }

    /// Locks are real reservations: each supplier's lock is the sum of the reservations of the claims
    /// against it that are not netted, never above its balance; no claim reserves above its amount.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 60
    /// hardhat-config: invariant.failOnRevert = true
    function invariantLocksAreReservations() public view {
        uint256[] memory reserved = new uint256[](_suppliers.length);
        for (uint256 i; i < _handler.claimCount(); ++i) {
            RoamingSettlementHandler.ClaimInfo memory info = _handler.claimAt(i);
            IRoamingSettlement.Claim memory c = _settlement.claimOf(info.id);
            _assertLe(c.reserved, c.amount, "reservation within the claim");
            _assertLe(c.amount, c.claimedAmount, "amount within the claimed amount");
            if (c.status != IRoamingSettlement.ClaimStatus.Netted) reserved[_indexOf(info.debtor)] += c.reserved;
        }
        for (uint256 j; j < _suppliers.length; ++j) {
            uint256 locked = _settlement.lockedOf(_suppliers[j]);
            _assertEq(locked, reserved[j], "lock = reservations of open claims");
            _assertLe(locked, _settlement.balanceOf(_suppliers[j]), "lock within the balance");
        }
    }

    /// No netted claim is paid above the sum of its CDRs, and a final claim whose collateral was
    /// reserved in full is paid in full.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 60
    /// hardhat-config: invariant.failOnRevert = true
    function invariantNoClaimPaidAboveItsCdrs() public view {
        for (uint256 i; i < _handler.claimCount(); ++i) {
            RoamingSettlementHandler.ClaimInfo memory info = _handler.claimAt(i);
            IRoamingSettlement.Claim memory c = _settlement.claimOf(info.id);
            if (c.status == IRoamingSettlement.ClaimStatus.Netted) {
                _assertLe(c.amount, info.amount1 + info.amount2, "netted claim within its CDR sum");
            }
        }
        _assertTrue(!_handler.reservedClaimShort(), "a fully reserved claim was left short");
    }

    /// After every walk: every period can be netted (nothing of it reverts), after which nothing is
    /// locked; the walk did real work (successful calls counted).
    function afterInvariant() public {
        _handler.settleEverything();
        for (uint256 j; j < _suppliers.length; ++j) {
            _assertEq(_settlement.lockedOf(_suppliers[j]), 0, "nothing locked once every pair is netted");
        }
        for (uint256 i; i < _handler.claimCount(); ++i) {
            IRoamingSettlement.Claim memory c = _settlement.claimOf(_handler.claimAt(i).id);
            _assertTrue(
                c.status == IRoamingSettlement.ClaimStatus.Netted || c.status == IRoamingSettlement.ClaimStatus.Rejected,
                "every claim netted or rejected"
            );
        }
        _assertLe(10, _handler.successfulCalls(), "successful calls per walk");
        invariantMoneyIsConserved();
    }

    function _indexOf(address who) private view returns (uint256) {
        for (uint256 i; i < _suppliers.length; ++i) {
            if (_suppliers[i] == who) return i;
        }
        revert AssertionFailed("unknown supplier", 0, 0);
    }
}
