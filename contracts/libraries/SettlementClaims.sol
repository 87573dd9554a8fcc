// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title The life cycle of one claim
/// @notice Challenge window, finality, disputes of either kind and what a ruling does to the claim.
/// Money stays with the contract: these functions say by how much a claim shrank, the caller releases
/// that much of the debtor's lock.
library SettlementClaims {
    /// @notice End of the claim's challenge window (disputes allowed up to and including it).
    function deadline(IRoamingSettlement.Claim storage c, uint40 window) internal view returns (uint40) {
        return c.submittedAt + window;
    }

    /// @notice Reverts with {IRoamingSettlement.SettlementChallengeWindowClosed} after the deadline.
    function checkWindow(IRoamingSettlement.Claim storage c, uint256 claimId, uint40 window, uint40 now_)
        internal
        view
    {
        uint40 end = deadline(c, window);
        if (now_ > end) revert IRoamingSettlement.SettlementChallengeWindowClosed(claimId, end);
    }

    /// @notice True if the claim no longer holds up its period's netting: rejected, or no open dispute
    /// and accepted or past its window.
    function isFinal(IRoamingSettlement.Claim storage c, uint40 window, uint40 now_) internal view returns (bool) {
        IRoamingSettlement.ClaimStatus status = c.status;
        if (status == IRoamingSettlement.ClaimStatus.Rejected) return true;
        if (c.openDisputes != 0) return false;
        return status == IRoamingSettlement.ClaimStatus.Accepted
            || (status == IRoamingSettlement.ClaimStatus.Pending && now_ > deadline(c, window));
    }

    /// @notice Counts a new dispute of the claim; a claim-level one puts the claim on hold, once.
    /// @dev Reverts with {IRoamingSettlement.SettlementClaimAlreadyDisputed} for a second claim-level one.
    function addDispute(IRoamingSettlement.Claim storage c, uint256 claimId, IRoamingSettlement.DisputeKind kind)
        internal
    {
        if (kind == IRoamingSettlement.DisputeKind.Claim) {
            if (c.claimDisputed) revert IRoamingSettlement.SettlementClaimAlreadyDisputed(claimId);
            c.claimDisputed = true;
        }
        c.openDisputes += 1;
    }

    /// @notice Applies a ruling on a dispute of `kind` over `disputedAmount`. Upheld, a CDR dispute
    /// takes the leaf's amount off the claim (never below zero) and a claim-level one rejects the claim
    /// (all of it); not upheld, a claim-level one accepts the claim (still Pending: on hold, it could be
    /// neither accepted nor netted).
    /// @return lost What the claim's amount lost.
    function rule(
        IRoamingSettlement.Claim storage c,
        IRoamingSettlement.DisputeKind kind,
        uint128 disputedAmount,
        bool upheld
    ) internal returns (uint128 lost) {
        c.openDisputes -= 1;
        uint128 amount = c.amount;
        bool wholeClaim = kind == IRoamingSettlement.DisputeKind.Claim;
        if (upheld) {
            lost = wholeClaim || disputedAmount > amount ? amount : disputedAmount;
            c.amount = amount - lost;
        }
        if (wholeClaim) {
            c.status = upheld ? IRoamingSettlement.ClaimStatus.Rejected : IRoamingSettlement.ClaimStatus.Accepted;
        }
    }
}
