// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @title Fuzz tests of RoamingSettlement: netting against gross obligations, value conservation,
/// single settlement of claims and periods, challenge-window edges, dispute reductions and
/// claim-level disputes
contract RoamingSettlementFuzzTest is SettlementTestBase {
    uint256 private constant _N = 5;
    uint32 private constant _PERIOD = 7;

    function setUp() public {
        _deploy(_N);
    }

    /// @dev Submits a claim for every ordered pair with a non-zero amount; returns gross positions.
    function _submitMatrix(uint256[25] memory raw, uint256 n, uint256 cap)
        private
        returns (int256[] memory net, uint256[] memory owes, uint256 claims)
    {
        net = new int256[](n);
        owes = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            for (uint256 j; j < n; ++j) {
                uint256 amount = raw[i * _N + j] % cap;
                if (i == j || amount == 0) continue;
                // suppliers[j] (host) claims from suppliers[i] (home): i owes j.
                _claim(_PERIOD, _suppliers[j], _suppliers[i], amount);
                net[i] -= int256(amount);
                net[j] += int256(amount);
                owes[i] += amount;
                ++claims;
            }
        }
    }

    /// Fully collateralised: each balance changes by what others owe the supplier minus what it owes,
    /// the period and its claims settle once, and later claims for the period are refused.
    function testFuzzNettingMatchesGrossObligations(uint256[25] memory raw, uint8 nRaw) public {
        uint256 n = _bound(nRaw, 2, _N);
        (int256[] memory net, uint256[] memory owes, uint256 claims) = _submitMatrix(raw, n, 1e12);
        _VM.assume(claims > 0);
        uint256[] memory before = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            _fund(_suppliers[i], owes[i] + i); // a little extra for some
            before[i] = _settlement.balanceOf(_suppliers[i]);
        }
        uint256 total = _sumBalances();
        _VM.warp(block.timestamp + _WINDOW + 1);
        _VM.prank(_suppliers[0]);
        _settlement.netPeriod(_PERIOD);

        for (uint256 i; i < n; ++i) {
            int256 change = int256(_settlement.balanceOf(_suppliers[i])) - int256(before[i]);
            _assertTrue(change == net[i], "balance change equals net position");
            _assertEq(_settlement.lockedOf(_suppliers[i]), 0, "locks released");
        }
        _assertEq(_sumBalances(), total, "nothing created or lost");
        _assertEq(_token.balanceOf(address(_settlement)), total, "token backing");

        _VM.prank(_suppliers[0]);
        _VM.expectRevert(abi.encodeWithSelector(IRoamingSettlement.SettlementPeriodNetted.selector, _PERIOD));
        _settlement.netPeriod(_PERIOD);
        bytes32 evidence = _anchor(_suppliers[1]);
        _VM.prank(_suppliers[1]);
        _VM.expectRevert(abi.encodeWithSelector(IRoamingSettlement.SettlementPeriodNetted.selector, _PERIOD));
        _settlement.submitClaim(_PERIOD, _suppliers[0], 1, keccak256("late"), 1, evidence, keccak256("package"));
        uint256 first = _settlement.claimIdOf(_PERIOD, 0);
        _VM.prank(_settlement.claimOf(first).debtor);
        _VM.expectRevert(
            abi.encodeWithSelector(
                IRoamingSettlement.SettlementClaimNotPending.selector, first, IRoamingSettlement.ClaimStatus.Netted
            )
        );
        _settlement.acceptClaim(first);
    }

    /// Under-collateralised: netting creates nothing, creditors get at most their claim, the unpaid
    /// rest is owed to the pool; once debtors top up and the pool recovers everything, every creditor
    /// is whole to the unit (the rounding dust is recovered too).
    function testFuzzShortfallNeverCreatesValue(uint256[25] memory raw, uint256[5] memory funds, uint8 nRaw) public {
        uint256 n = _bound(nRaw, 2, _N);
        (int256[] memory net, uint256[] memory owes, uint256 claims) = _submitMatrix(raw, n, 1e9);
        _VM.assume(claims > 0);
        uint256 deposits;
        uint256[] memory before = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256 f = funds[i] % (owes[i] + 2);
            _fund(_suppliers[i], f);
            deposits += f;
            before[i] = f;
        }
        _VM.warp(block.timestamp + _WINDOW + 1);
        _VM.prank(_suppliers[0]);
        _settlement.netPeriod(_PERIOD);
        _assertEq(_sumBalances(), deposits, "netting creates nothing");

        uint256 shortfalls;
        uint256 entitlements;
        for (uint256 i; i < n; ++i) {
            uint256 balance = _settlement.balanceOf(_suppliers[i]);
            if (net[i] > 0) _assertLe(balance - before[i], uint256(net[i]), "creditor gets at most its claim");
            shortfalls += _settlement.shortfallOf(_PERIOD, _suppliers[i]);
            (uint256 e,,) = _settlement.entitlementOf(_PERIOD, _suppliers[i]);
            entitlements += e;
        }
        _assertEq(shortfalls, entitlements, "shortfalls equal entitlements");
        _assertEq(_settlement.poolOf(_PERIOD).totalEntitlement, entitlements, "pool total");

        // Debtors top up and everything is recovered and distributed.
        for (uint256 i; i < n; ++i) {
            uint256 owed = _settlement.shortfallOf(_PERIOD, _suppliers[i]);
            if (owed == 0) continue;
            _fund(_suppliers[i], owed);
            deposits += owed;
            before[i] += owed;
            _VM.prank(_suppliers[0]);
            _settlement.recoverShortfall(_PERIOD, _suppliers[i]);
        }
        IRoamingSettlement.Pool memory pool = _settlement.poolOf(_PERIOD);
        _assertEq(pool.recovered, pool.totalEntitlement, "fully recovered");
        for (uint256 i; i < n; ++i) {
            (,, uint256 claimable) = _settlement.entitlementOf(_PERIOD, _suppliers[i]);
            if (claimable == 0) continue;
            _VM.prank(_suppliers[i]);
            _settlement.claimRecovery(_PERIOD);
        }
        pool = _settlement.poolOf(_PERIOD);
        _assertEq(pool.distributed, pool.recovered, "pool emptied exactly");
        for (uint256 i; i < n; ++i) {
            int256 change = int256(_settlement.balanceOf(_suppliers[i])) - int256(before[i]);
            _assertTrue(change == net[i], "whole once recovered");
            _assertEq(_settlement.lockedOf(_suppliers[i]), 0, "no lock left");
        }
        _assertEq(_sumBalances(), deposits, "conservation");
        _assertEq(_token.balanceOf(address(_settlement)), deposits, "token backing");
    }

    /// Partial recoveries pay each creditor its pro-rata share rounded down: the pool never pays out
    /// more than it recovered.
    function testFuzzPartialRecoveryRoundsDown(uint96 a, uint96 b, uint96 c, uint96 paidNow, uint96 later) public {
        _VM.assume(a > 0 && b > 0 && c > 0);
        address debtor = _suppliers[0];
        _claim(_PERIOD, _suppliers[1], debtor, a);
        _claim(_PERIOD, _suppliers[2], debtor, b);
        _claim(_PERIOD, _suppliers[3], debtor, c);
        uint256 total = uint256(a) + b + c;
        _fund(debtor, uint256(paidNow) % total);
        _VM.warp(block.timestamp + _WINDOW + 1);
        _VM.prank(_suppliers[4]);
        _settlement.netPeriod(_PERIOD);

        _fund(debtor, later);
        if (_settlement.shortfallOf(_PERIOD, debtor) > 0 && _settlement.balanceOf(debtor) > 0) {
            _VM.prank(_suppliers[4]);
            _settlement.recoverShortfall(_PERIOD, debtor);
        }
        for (uint256 i = 1; i <= 3; ++i) {
            (,, uint256 claimable) = _settlement.entitlementOf(_PERIOD, _suppliers[i]);
            if (claimable == 0) continue;
            _VM.prank(_suppliers[i]);
            _settlement.claimRecovery(_PERIOD);
        }
        IRoamingSettlement.Pool memory pool = _settlement.poolOf(_PERIOD);
        _assertLe(pool.distributed, pool.recovered, "pool pays out at most what it recovered");
        _assertLe(pool.recovered, pool.totalEntitlement, "pool recovers at most what is owed");
        _assertLe(pool.recovered - pool.distributed, 3, "dust below one unit per creditor");
        uint256 inPool = pool.recovered - pool.distributed;
        _assertEq(_sumBalances() + inPool, uint256(paidNow) % total + later, "conservation");
    }

    /// A dispute is accepted up to and including the deadline, and refused one second later.
    function testFuzzChallengeWindowEdge(uint40 offset) public {
        offset = uint40(_bound(offset, 0, 2 * _WINDOW));
        bytes32 digest = _digest();
        uint256 claimId = _claimWithRoot(_PERIOD, _suppliers[1], _suppliers[0], 100, _leaf(digest, 100), 1);
        uint40 deadline = _settlement.challengeDeadline(claimId);
        _VM.warp(block.timestamp + offset);
        bytes32[] memory proof = new bytes32[](0);
        if (block.timestamp > deadline) {
            _VM.expectRevert(
                abi.encodeWithSelector(IRoamingSettlement.SettlementChallengeWindowClosed.selector, claimId, deadline)
            );
        }
        _VM.prank(_suppliers[0]);
        _settlement.disputeCdr(claimId, digest, 100, proof, "METER");
        _assertTrue(_settlement.isFinal(claimId) == (block.timestamp > deadline), "final exactly after the window");
    }

    /// An upheld dispute reduces the claim by the leaf's amount; a rejected one leaves it unchanged.
    function testFuzzDisputeReducesByLeafAmount(uint96 a1, uint96 a2, bool upheld) public {
        _VM.assume(uint256(a1) + a2 > 0);
        (bytes32 d1, bytes32 d2) = (_digest(), _digest());
        bytes32 l2 = _leaf(d2, a2);
        uint256 total = uint256(a1) + a2;
        uint256 claimId = _claimWithRoot(_PERIOD, _suppliers[1], _suppliers[0], total, _pair(_leaf(d1, a1), l2), 2);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = l2;
        _VM.prank(_suppliers[0]);
        uint256 disputeId = _settlement.disputeCdr(claimId, d1, a1, proof, "DUPLICATE");
        _assertTrue(!_settlement.isFinal(claimId), "open dispute blocks finality");
        _VM.prank(_arbiter);
        _settlement.resolveDispute(disputeId, upheld, keccak256("bundle"));
        uint256 expected = upheld ? a2 : total;
        _assertEq(_settlement.claimOf(claimId).amount, expected, "claim amount after ruling");
        _assertEq(_settlement.lockedOf(_suppliers[0]), expected, "lock follows the claim");
    }

    /// A claim-level dispute is accepted up to and including the deadline and holds the claim until
    /// the ruling; upheld, the claim nets as zero, otherwise in full; the loser pays the fee from its
    /// available balance; nothing is created or lost.
    function testFuzzClaimDisputeRuling(
        uint96 amount,
        uint40 offset,
        bool upheld,
        uint96 fee,
        uint96 hostFunds,
        uint96 spare
    ) public {
        amount = uint96(_bound(amount, 1, type(uint96).max));
        offset = uint40(_bound(offset, 0, 2 * _WINDOW));
        (address host, address home) = (_suppliers[1], _suppliers[0]);
        _settlement.setDisputeFee(fee);
        _fund(host, hostFunds);
        _fund(home, uint256(amount) + spare);
        uint256 claimId = _claim(_PERIOD, host, home, amount);
        uint40 deadline = _settlement.challengeDeadline(claimId);
        _VM.warp(block.timestamp + offset);
        _VM.prank(home);
        if (block.timestamp > deadline) {
            _VM.expectRevert(
                abi.encodeWithSelector(IRoamingSettlement.SettlementChallengeWindowClosed.selector, claimId, deadline)
            );
            _settlement.disputeClaim(claimId, "PACKAGE_MISSING");
            return;
        }
        uint256 disputeId = _settlement.disputeClaim(claimId, "PACKAGE_MISSING");
        _VM.warp(uint256(deadline) + 1);
        _assertTrue(!_settlement.isFinal(claimId), "on hold after the window");

        // The loser pays from its available balance: the host has no lock, the home its claim's.
        uint256 charged = upheld ? _min(fee, hostFunds) : _min(fee, spare);
        // Balance changes of host and home: the fee one way, then the claim (zero when upheld).
        int256 toHost = upheld ? -int256(charged) : int256(charged) + int256(uint256(amount));
        _ruleAndNet(claimId, disputeId, upheld);
        _assertTrue(int256(_settlement.balanceOf(host)) == int256(uint256(hostFunds)) + toHost, "host balance");
        _assertTrue(int256(_settlement.balanceOf(home)) == int256(uint256(amount) + spare) - toHost, "home balance");
        _assertEq(_settlement.lockedOf(home), 0, "no lock left");
        uint256 deposits = uint256(hostFunds) + amount + spare;
        _assertEq(_sumBalances(), deposits, "conservation");
        _assertEq(_token.balanceOf(address(_settlement)), deposits, "token backing");
    }

    function _ruleAndNet(uint256 claimId, uint256 disputeId, bool upheld) private {
        IRoamingSettlement.Claim memory c = _settlement.claimOf(claimId);
        _VM.prank(_arbiter);
        _settlement.resolveClaimDispute(disputeId, upheld, keccak256("package shown"));
        _assertEq(_settlement.claimOf(claimId).amount, upheld ? 0 : c.amount, "claim amount after the ruling");
        _assertEq(_settlement.lockedOf(c.debtor), upheld ? 0 : c.amount, "lock follows the claim");
        _assertTrue(_settlement.isFinal(claimId), "final after the ruling");
        _VM.prank(c.creditor);
        _settlement.netPeriod(_PERIOD);
        IRoamingSettlement.ClaimStatus expected =
            upheld ? IRoamingSettlement.ClaimStatus.Rejected : IRoamingSettlement.ClaimStatus.Netted;
        _assertTrue(_settlement.claimOf(claimId).status == expected, "rejected claims are never netted");
    }

    /// A period holds at most MAX_CLAIMS_PER_PERIOD claims.
    function testPeriodFullRevertsWithClearError() public {
        uint256 max = _settlement.MAX_CLAIMS_PER_PERIOD();
        for (uint256 i; i < max; ++i) {
            _claim(_PERIOD, _suppliers[1 + (i % 4)], _suppliers[0], 1);
        }
        bytes32 evidence = _anchor(_suppliers[1]);
        _VM.prank(_suppliers[1]);
        _VM.expectRevert(abi.encodeWithSelector(IRoamingSettlement.SettlementPeriodFull.selector, _PERIOD, max));
        _settlement.submitClaim(
            _PERIOD, _suppliers[0], 1, keccak256("one too many"), 1, evidence, keccak256("package")
        );
        // The full period still nets within the block gas limit.
        _VM.warp(block.timestamp + _WINDOW + 1);
        _fund(_suppliers[0], max);
        _VM.prank(_suppliers[0]);
        _settlement.netPeriod(_PERIOD);
        _assertEq(_settlement.balanceOf(_suppliers[0]), 0, "debtor paid everything");
    }

    /// The worst case fits in a transaction: a full period whose claims all involve different
    /// suppliers (MAX_SUPPLIERS_PER_NETTING of them) nets with n / 2 transfers under the gas cap.
    function testWorstCaseNettingFitsInATransaction() public {
        uint256 maxClaims = _settlement.MAX_CLAIMS_PER_PERIOD();
        uint256 maxSuppliers = _settlement.MAX_SUPPLIERS_PER_NETTING();
        _assertEq(maxSuppliers, 2 * maxClaims, "two suppliers per claim at most");
        for (uint256 i = _N; i < maxSuppliers; ++i) {
            address s = address(uint160(0x5000 + i));
            _suppliers.push(s);
            _registry.grantRole(_registry.SUPPLIER_ROLE(), s);
            _registry.grantRole(_registry.SUBMITTER_ROLE(), s);
        }
        for (uint256 i; i < maxClaims; ++i) {
            _fund(_suppliers[2 * i + 1], 1e6);
            _claim(_PERIOD, _suppliers[2 * i], _suppliers[2 * i + 1], 1e6 - i);
        }
        _VM.warp(block.timestamp + _WINDOW + 1);
        uint256 gasBefore = gasleft();
        _VM.prank(_suppliers[0]);
        _settlement.netPeriod(_PERIOD);
        uint256 used = gasBefore - gasleft();
        // Measured: about 9.2 million gas, three quarters of the 16,777,216 per-transaction cap at most.
        _assertLe(used, (16_777_216 * 3) / 4, "netting stays well under the per-transaction gas cap");
        for (uint256 i; i < maxClaims; ++i) {
            _assertEq(_settlement.balanceOf(_suppliers[2 * i]), 1e6 - i, "creditor paid");
            _assertEq(_settlement.balanceOf(_suppliers[2 * i + 1]), i, "debtor keeps the rest");
        }
    }
}
