// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title Book-keeping of single-CDR disputes
/// @notice Disputes are numbered from 1; each CDR leaf of a claim can be disputed once.
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
        disputeId = ++b.count;
        IRoamingSettlement.Dispute storage d = b.disputes[disputeId];
        // Safe casts: claim ids are `(uint32 period << 32) | uint32 index` < 2^64; the amount saturates (a claim
        // never exceeds 128 bits); the fee is set through SafeCast to 128 bits.
        (d.claimId, d.status, d.openedAt) = (uint64(claimId), IRoamingSettlement.DisputeStatus.Open, now_);
        (d.amount, d.fee) = (uint128(Math.min(amount, type(uint128).max)), uint128(fee));
        (d.cdrDigest, d.reason) = (cdrDigest, reason);
    }

    /// @notice Closes open dispute `disputeId` with a ruling resting on `bundleDigest`.
    /// @dev Reverts for an unknown or closed dispute and for a zero bundle digest.
    function close(Book storage b, uint256 disputeId, bool upheld, bytes32 bundleDigest, uint40 now_)
        internal
        returns (IRoamingSettlement.Dispute storage d)
    {
        d = b.disputes[disputeId];
        if (d.status == IRoamingSettlement.DisputeStatus.None) {
            revert IRoamingSettlement.SettlementUnknownDispute(disputeId);
        }
        if (d.status != IRoamingSettlement.DisputeStatus.Open) revert IRoamingSettlement.SettlementDisputeClosed(disputeId);
        if (bundleDigest == bytes32(0)) revert IRoamingSettlement.SettlementInvalidBundle(disputeId);
        d.status = upheld ? IRoamingSettlement.DisputeStatus.Upheld : IRoamingSettlement.DisputeStatus.Rejected;
        (d.resolvedAt, d.bundleDigest) = (now_, bundleDigest);
    }
}
