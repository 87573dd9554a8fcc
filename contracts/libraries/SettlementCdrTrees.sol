// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @title A claim's CDR tree
/// @notice OpenZeppelin StandardMerkleTree over `(cdrDigest, amount)` leaves: the leaf hash, a
/// multiproof of several leaves, and the sum of the complete leaf set.
library SettlementCdrTrees {
    /// @notice The StandardMerkleTree leaf of a CDR: types `["bytes32","uint256"]`, double hashed so
    /// that no leaf can be mistaken for a 64-byte inner node.
    function leaf(bytes32 cdrDigest, uint256 amount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(cdrDigest, amount))));
    }

    /// @notice The leaf hashes of `cdrs`, in order.
    function leaves(IRoamingSettlement.Cdr[] calldata cdrs) internal pure returns (bytes32[] memory hashes) {
        uint256 n = cdrs.length;
        hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            hashes[i] = leaf(cdrs[i].digest, cdrs[i].amount);
        }
    }

    /// @notice True if `cdrs` are leaves of the tree `root` by the multiproof `(proof, proofFlags)`.
    function verify(
        bytes32 root,
        IRoamingSettlement.Cdr[] calldata cdrs,
        bytes32[] calldata proof,
        bool[] calldata proofFlags
    ) internal pure returns (bool) {
        // A malformed multiproof reverts inside OpenZeppelin with MerkleProofInvalidMultiproof.
        return MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves(cdrs));
    }

    /// @notice True and the sum of the amounts if `cdrs` are all the leaves of the tree `root`: they
    /// rebuild the root with no proof hash at all (every flag true), so no leaf is left out. The order
    /// is that of a multiproof of every leaf (`getMultiProof` of all indices).
    function sumOfAll(bytes32 root, IRoamingSettlement.Cdr[] calldata cdrs)
        internal
        pure
        returns (bool complete, uint256 sum)
    {
        uint256 n = cdrs.length;
        if (n == 0) return (false, 0);
        bool[] memory flags = new bool[](n - 1);
        for (uint256 i; i + 1 < n; ++i) {
            flags[i] = true;
            sum += cdrs[i].amount;
        }
        sum += cdrs[n - 1].amount;
        complete = MerkleProof.processMultiProof(new bytes32[](0), flags, leaves(cdrs)) == root;
    }
}
