// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title The life cycle of one claim
/// @notice How a claim is stored, its challenge window, finality, disputes of either kind and what a
/// ruling does to the claim. Times are on the contract's clock (which stops while paused). Money stays
/// with the contract: these functions say by how much a claim and its reservation shrank; the caller
/// releases the lock.
library SettlementClaims {
    /// @notice Every claim, in two parts: the {Record} under the claim's id and its {Terms} under
    /// {keyOf}`(creditor, cdrRoot)`, which the record's creditor and root lead to. The terms are also
    /// the guard against a host claiming a root twice: that needs no slot of its own.
    struct Book {
        mapping(uint256 claimId => Record) records;
        mapping(bytes32 key => Terms) terms;
    }

    /// @notice Who owes a claim, and how much it owes now. One slot; `debtor` is never zero once the
    /// claim exists.
    struct Terms {
        address debtor;
        uint96 amount;
    }

    /// @notice The rest of a claim. Three slots, of which the last holds only what the claim lost since
    /// submission and what of it is not reserved: zero, and never written, for a claim reserved in full
    /// that was never cut. The period is the high part of the claim's id.
    /// @param taken `claimedAmount - amount` of {IRoamingSettlement.Claim}: what rulings took (all of it
    /// for a rejected claim), or for a proven claim its CDR sum less `amount`.
    /// @param unreserved `amount - reserved` of {IRoamingSettlement.Claim}: the part no collateral covers.
    struct Record {
        address creditor;
        uint40 windowStart;
        IRoamingSettlement.ClaimStatus status;
        uint16 openDisputes;
        uint16 cdrCount;
        bool claimDisputed;
        bool onHold;
        bytes32 cdrRoot;
        uint96 taken;
        uint96 unreserved;
    }

    /// @notice Storage key of the claim of `creditor` over `cdrRoot`.
    function keyOf(address creditor, bytes32 cdrRoot) internal pure returns (bytes32) {
        return keccak256(abi.encode(creditor, cdrRoot));
    }

    /// @notice The terms of claim `c`.
    function termsOf(Book storage b, Record storage c) internal view returns (Terms storage) {
        return b.terms[keyOf(c.creditor, c.cdrRoot)];
    }

    /// @notice The claim as {IRoamingSettlement.claimOf} reports it (before the `Netted` overlay).
    function toClaim(Record storage c, Terms storage t, uint32 period)
        internal
        view
        returns (IRoamingSettlement.Claim memory)
    {
        uint96 amount = t.amount;
        // Safe: taken + amount is the claimed amount, a uint96; unreserved <= amount.
        return IRoamingSettlement.Claim({
            creditor: c.creditor,
            windowStart: c.windowStart,
            status: c.status,
            openDisputes: c.openDisputes,
            cdrCount: c.cdrCount,
            claimDisputed: c.claimDisputed,
            onHold: c.onHold,
            debtor: t.debtor,
            amount: amount,
            claimedAmount: amount + c.taken,
            reserved: amount - c.unreserved,
            period: period,
            cdrRoot: c.cdrRoot
        });
    }

    /// @notice End of the claim's challenge window (disputes allowed up to and including it).
    function deadline(Record storage c, uint40 window) internal view returns (uint40) {
        return c.windowStart + window;
    }

    /// @notice Reverts with {IRoamingSettlement.SettlementChallengeWindowClosed} after the deadline.
    function checkWindow(Record storage c, uint256 claimId, uint40 window, uint40 clock) internal view {
        uint40 end = deadline(c, window);
        if (clock > end) revert IRoamingSettlement.SettlementChallengeWindowClosed(claimId, end);
    }

    /// @notice True if the claim no longer holds up its pair's netting: rejected, or no open dispute
    /// and accepted or past its window.
    function isFinal(Record storage c, uint40 window, uint40 clock) internal view returns (bool) {
        IRoamingSettlement.ClaimStatus status = c.status;
        if (status == IRoamingSettlement.ClaimStatus.Rejected) return true;
        if (c.openDisputes != 0) return false;
        return status == IRoamingSettlement.ClaimStatus.Accepted
            || (status == IRoamingSettlement.ClaimStatus.Pending && clock > deadline(c, window));
    }

    /// @notice Counts a new dispute of the claim; a claim-level one puts the claim on hold, once.
    function addDispute(Record storage c, uint256 claimId, IRoamingSettlement.DisputeKind kind) internal {
        if (kind == IRoamingSettlement.DisputeKind.Claim) {
            if (c.claimDisputed) revert IRoamingSettlement.SettlementClaimAlreadyDisputed(claimId);
            (c.claimDisputed, c.onHold) = (true, true);
        }
        c.openDisputes += 1;
    }

    /// @notice Applies a ruling on a dispute of `kind` over `disputedAmount`, except the cut itself.
    /// Upheld, a CDR dispute costs the claim the leaf's amount (never below zero) and a claim-level one
    /// rejects the claim (all of it); not upheld, a claim-level one puts the claim back to pending
    /// with a fresh window from `clock` (the debtor sees the package only now).
    /// @return lost What the claim's amount must lose (see {shrink}).
    function rule(
        Record storage c,
        Terms storage t,
        IRoamingSettlement.DisputeKind kind,
        uint128 disputedAmount,
        bool upheld,
        uint40 clock
    ) internal returns (uint96 lost) {
        c.openDisputes -= 1;
        bool wholeClaim = kind == IRoamingSettlement.DisputeKind.Claim;
        if (upheld) {
            uint96 amount = t.amount;
            // Safe cast: below `amount`, a uint96, in the second branch.
            lost = wholeClaim || disputedAmount >= amount ? amount : uint96(disputedAmount);
        }
        if (wholeClaim) {
            c.onHold = false;
            if (upheld) c.status = IRoamingSettlement.ClaimStatus.Rejected;
            else c.windowStart = clock;
        }
    }

    /// @notice Takes `lost` (at most the current amount) off the claim's amount, counts it as taken,
    /// and cuts the reservation to the new amount where it exceeds it.
    /// @return released What the reservation lost.
    function shrink(Record storage c, Terms storage t, uint96 lost) internal returns (uint96 released) {
        uint96 unreserved = c.unreserved;
        // reserved = amount - unreserved exceeds the new amount exactly when lost > unreserved.
        if (lost > unreserved) {
            released = lost - unreserved;
            if (unreserved != 0) c.unreserved = 0;
        } else {
            c.unreserved = unreserved - lost;
        }
        t.amount -= lost;
        c.taken += lost; // Safe: amount + taken stays the claimed amount, a uint96.
    }
}
