// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";
import {SettlementCdrTrees} from "./SettlementCdrTrees.sol";

/// @title Book-keeping of disputes
/// @notice Disputes of single CDR leaves and of whole claims share one numbering from 1; each CDR
/// leaf of a claim can be disputed once (the claim-level limit lives in the claim itself). Every
/// dispute records the bond its opener escrowed.
library SettlementDisputes {
    /// @notice All disputes and the leaves already disputed per claim.
    struct Book {
        uint256 count;
        mapping(uint256 disputeId => IRoamingSettlement.Dispute) disputes;
        mapping(uint256 claimId => mapping(bytes32 leaf => bool)) disputed;
    }

    /// @notice Opens a dispute of the leaf `(cdrDigest, amount)` of `claimId`.
    /// @dev Reverts with {IRoamingSettlement.SettlementAlreadyDisputed} for a leaf disputed before.
    function open(
        Book storage b,
        uint256 claimId,
        bytes32 cdrDigest,
        uint256 amount,
        bytes32 reason,
        uint128 bond,
        uint40 now_
    ) internal returns (uint256 disputeId) {
        bytes32 leafHash = SettlementCdrTrees.leaf(cdrDigest, amount);
        if (b.disputed[claimId][leafHash]) revert IRoamingSettlement.SettlementAlreadyDisputed(claimId, cdrDigest);
        b.disputed[claimId][leafHash] = true;
        // The amount saturates: a claim never exceeds 96 bits.
        uint128 amount128 = amount > type(uint96).max ? type(uint96).max : uint128(amount);
        disputeId = create(b, claimId, IRoamingSettlement.DisputeKind.Cdr, amount128, reason, bond, now_);
        b.disputes[disputeId].cdrDigest = cdrDigest;
    }

    /// @notice Closes open dispute `disputeId` of `kind` with a ruling resting on `bundleDigest`.
    /// @dev Reverts for an unknown dispute, one of the other kind, a closed one, and a zero bundle digest.
    function close(
        Book storage b,
        uint256 disputeId,
        IRoamingSettlement.DisputeKind kind,
        bool upheld,
        bytes32 bundleDigest,
        uint40 now_
    ) internal returns (IRoamingSettlement.Dispute storage d) {
        d = b.disputes[disputeId];
        IRoamingSettlement.DisputeStatus status = d.status;
        if (status == IRoamingSettlement.DisputeStatus.None) {
            revert IRoamingSettlement.SettlementUnknownDispute(disputeId);
        }
        if (d.kind != kind) revert IRoamingSettlement.SettlementWrongDisputeKind(disputeId, d.kind);
        if (status != IRoamingSettlement.DisputeStatus.Open) {
            revert IRoamingSettlement.SettlementDisputeClosed(disputeId);
        }
        if (bundleDigest == bytes32(0)) revert IRoamingSettlement.SettlementInvalidBundle(disputeId);
        d.status = upheld ? IRoamingSettlement.DisputeStatus.Upheld : IRoamingSettlement.DisputeStatus.Rejected;
        (d.resolvedAt, d.bundleDigest) = (now_, bundleDigest);
    }

    /// @notice Records a new open dispute of `kind`; the caller checks the claim-level limit.
    function create(
        Book storage b,
        uint256 claimId,
        IRoamingSettlement.DisputeKind kind,
        uint128 amount,
        bytes32 reason,
        uint128 bond,
        uint40 now_
    ) internal returns (uint256 disputeId) {
        disputeId = ++b.count;
        IRoamingSettlement.Dispute storage d = b.disputes[disputeId];
        // Safe cast: claim ids are `(uint32 period << 32) | uint32 index` < 2^64.
        (d.claimId, d.status, d.kind) = (uint64(claimId), IRoamingSettlement.DisputeStatus.Open, kind);
        (d.openedAt, d.amount, d.bond, d.reason) = (now_, amount, bond, reason);
    }
}
