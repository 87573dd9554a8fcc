// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title Book-keeping of disputes
/// @notice Disputes of single CDR leaves and of whole claims share one numbering from 1; each CDR
/// leaf of a claim can be disputed once (the claim-level limit lives in the claim itself).
library SettlementDisputes {
    /// @notice All disputes and the leaves already disputed per claim.
    struct Book {
        uint256 count;
        mapping(uint256 disputeId => IRoamingSettlement.Dispute) disputes;
        mapping(uint256 claimId => mapping(bytes32 leaf => bool)) disputed;
    }

    /// @notice The StandardMerkleTree leaf of a CDR: types `["bytes32","uint256"]`, double hashed so
    /// that no leaf can be mistaken for a 64-byte inner node.
    function leaf(bytes32 cdrDigest, uint256 amount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(cdrDigest, amount))));
    }

    /// @notice Opens a dispute of the leaf `(cdrDigest, amount)` of `claimId`, with the fee in force.
    /// @dev Reverts with {IRoamingSettlement.SettlementAlreadyDisputed} for a leaf disputed before.
    function open(
        Book storage b,
        uint256 claimId,
        bytes32 cdrDigest,
        uint256 amount,
        bytes32 reason,
        uint256 fee,
        uint40 now_
    ) internal returns (uint256 disputeId) {
        bytes32 key = leaf(cdrDigest, amount);
        if (b.disputed[claimId][key]) revert IRoamingSettlement.SettlementAlreadyDisputed(claimId, cdrDigest);
        b.disputed[claimId][key] = true;
        // The amount saturates: a claim never exceeds 128 bits.
        uint128 amount128 = uint128(Math.min(amount, type(uint128).max));
        disputeId = _create(b, claimId, IRoamingSettlement.DisputeKind.Cdr, amount128, reason, fee, now_);
        b.disputes[disputeId].cdrDigest = cdrDigest;
    }

    /// @notice Opens a claim-level dispute of `claimId`, whose amount is now `amount`, with the fee in
    /// force. The caller checks that the claim was not disputed as a whole before.
    function openClaimLevel(Book storage b, uint256 claimId, uint128 amount, bytes32 reason, uint256 fee, uint40 now_)
        internal
        returns (uint256 disputeId)
    {
        return _create(b, claimId, IRoamingSettlement.DisputeKind.Claim, amount, reason, fee, now_);
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

    function _create(
        Book storage b,
        uint256 claimId,
        IRoamingSettlement.DisputeKind kind,
        uint128 amount,
        bytes32 reason,
        uint256 fee,
        uint40 now_
    ) private returns (uint256 disputeId) {
        disputeId = ++b.count;
        IRoamingSettlement.Dispute storage d = b.disputes[disputeId];
        // Safe casts: claim ids are `(uint32 period << 32) | uint32 index` < 2^64; the fee is set through
        // SafeCast to 128 bits.
        (d.claimId, d.status, d.kind) = (uint64(claimId), IRoamingSettlement.DisputeStatus.Open, kind);
        (d.openedAt, d.amount, d.fee, d.reason) = (now_, amount, uint128(fee), reason);
    }
}
