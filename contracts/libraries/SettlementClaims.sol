// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title The life cycle of one claim
/// @notice Challenge window, finality, disputes of either kind and what a ruling does to the claim.
/// Times are on the contract's clock (which stops while paused). Money stays with the contract:
/// these functions say by how much a claim and its reservation shrank; the caller releases the lock.
library SettlementClaims {
    /// @notice End of the claim's challenge window (disputes allowed up to and including it).
    function deadline(IRoamingSettlement.Claim storage c, uint40 window) internal view returns (uint40) {
        return c.windowStart + window;
    }

    /// @notice Reverts with {IRoamingSettlement.SettlementChallengeWindowClosed} after the deadline.
    function checkWindow(IRoamingSettlement.Claim storage c, uint256 claimId, uint40 window, uint40 clock)
        internal
        view
    {
        uint40 end = deadline(c, window);
        if (clock > end) revert IRoamingSettlement.SettlementChallengeWindowClosed(claimId, end);
    }

    /// @notice True if the claim no longer holds up its pair's netting: rejected, or no open dispute
    /// and accepted or past its window.
    function isFinal(IRoamingSettlement.Claim storage c, uint40 window, uint40 clock) internal view returns (bool) {
        IRoamingSettlement.ClaimStatus status = c.status;
        if (status == IRoamingSettlement.ClaimStatus.Rejected) return true;
        if (c.openDisputes != 0) return false;
        return status == IRoamingSettlement.ClaimStatus.Accepted
            || (status == IRoamingSettlement.ClaimStatus.Pending && clock > deadline(c, window));
    }

    /// @notice Counts a new dispute of the claim; a claim-level one puts the claim on hold, once.
    function addDispute(IRoamingSettlement.Claim storage c, uint256 claimId, IRoamingSettlement.DisputeKind kind)
        internal
    {
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
        IRoamingSettlement.Claim storage c,
        IRoamingSettlement.DisputeKind kind,
        uint128 disputedAmount,
        bool upheld,
        uint40 clock
    ) internal returns (uint96 lost) {
        c.openDisputes -= 1;
        bool wholeClaim = kind == IRoamingSettlement.DisputeKind.Claim;
        if (upheld) {
            uint96 amount = c.amount;
            // Safe cast: below `amount`, a uint96, in the second branch.
            lost = wholeClaim || disputedAmount >= amount ? amount : uint96(disputedAmount);
        }
        if (wholeClaim) {
            c.onHold = false;
            if (upheld) c.status = IRoamingSettlement.ClaimStatus.Rejected;
            else c.windowStart = clock;
        }
    }

    /// @notice Sets the claim's amount to `amount` (not above the current one) and cuts its
    /// reservation to match. @return released What the reservation lost.
    function shrink(IRoamingSettlement.Claim storage c, uint96 amount) internal returns (uint96 released) {
        uint96 reserved = c.reserved;
        c.amount = amount;
        if (reserved > amount) {
            released = reserved - amount;
            c.reserved = amount;
        }
    }
}
