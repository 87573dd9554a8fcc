// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IParticipantRegistry} from "./IParticipantRegistry.sol";

/// @title Escrow openings of anonymous vehicle authentications
/// @notice Every anonymous authentication carries an escrow of the vehicle's public key that only
/// the CA can open. An opening is allowed only for a dispute an arbiter recorded here first, and the
/// opening itself is recorded: who asked, why (a salted hash of the reason), which authentication
/// (the digest of its transcript) and a salted commitment to the opened key. Nothing here names a
/// vehicle: the key is revealed off-chain to the arbiter, who checks it against the commitment.
/// @dev Roles are read from the ParticipantRegistry: ARBITER_ROLE records disputes, REGISTRAR_ROLE
/// (the CA) records openings. Both records are write-once.
interface IEscrowOpenings {
    /// @notice A recorded request to open the escrow of one authentication. Two slots.
    /// @param authDigest Digest of the authentication transcript whose escrow may be opened.
    /// @param reasonHash Salted hash of the dispute's reason (the document stays off-chain).
    /// @param requester Arbiter who recorded the dispute.
    /// @param requestedAt Time of recording.
    struct Dispute {
        bytes32 authDigest;
        bytes32 reasonHash;
        address requester;
        uint40 requestedAt;
    }

    /// @notice A recorded opening. Two slots.
    /// @param commitment `keccak256(abi.encode(disputeId, salt, publicKey))` of the opened key.
    /// @param opener CA account that opened the escrow.
    /// @param openedAt Time of recording.
    struct Opening {
        bytes32 commitment;
        address opener;
        uint40 openedAt;
    }

    /// @notice Emitted when an arbiter requests the opening of the escrow of `authDigest`.
    event OpeningRequested(
        bytes32 indexed disputeId,
        bytes32 indexed authDigest,
        address indexed requester,
        bytes32 reasonHash,
        uint40 requestedAt
    );

    /// @notice Emitted when the CA records that it opened the escrow of dispute `disputeId`.
    event EscrowOpened(
        bytes32 indexed disputeId, address indexed requester, address indexed opener, bytes32 commitment, uint40 openedAt
    );

    /// @notice Thrown when a dispute id is recorded twice (disputes are write-once).
    error EscrowDisputeAlreadyRecorded(bytes32 disputeId);

    /// @notice Thrown when no dispute with this id was recorded.
    error EscrowUnknownDispute(bytes32 disputeId);

    /// @notice Thrown when the escrow of a dispute is opened twice (openings are write-once).
    error EscrowAlreadyOpened(bytes32 disputeId);

    /// @notice Thrown when the opening of a dispute is read before it was recorded.
    error EscrowNotOpened(bytes32 disputeId);

    /// @notice Thrown when a dispute id or authentication digest is zero.
    error EscrowInvalidDispute(bytes32 disputeId, bytes32 authDigest);

    /// @notice Thrown when an opening commitment is zero.
    error EscrowInvalidCommitment(bytes32 disputeId);

    /// @notice The registry whose roles this contract reads.
    function REGISTRY() external view returns (IParticipantRegistry);

    /// @notice Records dispute `disputeId`, requesting the opening of the escrow of the authentication
    /// whose transcript digest is `authDigest`, for the reason hashed in `reasonHash`.
    /// @dev Only holders of the registry's ARBITER_ROLE; others revert with
    /// `AccessControlUnauthorizedAccount(caller, ARBITER_ROLE)`. Write-once.
    function recordDispute(bytes32 disputeId, bytes32 authDigest, bytes32 reasonHash) external;

    /// @notice Records that the CA opened the escrow of dispute `disputeId`, with a salted commitment
    /// to the opened public key.
    /// @dev Only holders of the registry's REGISTRAR_ROLE; others revert with
    /// `AccessControlUnauthorizedAccount(caller, REGISTRAR_ROLE)`. The dispute must exist. Write-once.
    function recordOpening(bytes32 disputeId, bytes32 commitment) external;

    /// @notice The dispute `disputeId`; reverts with {EscrowUnknownDispute} if absent.
    function disputeOf(bytes32 disputeId) external view returns (Dispute memory);

    /// @notice The opening of dispute `disputeId`; reverts with {EscrowNotOpened} if absent.
    function openingOf(bytes32 disputeId) external view returns (Opening memory);

    /// @notice True once the escrow of dispute `disputeId` was opened.
    function isOpened(bytes32 disputeId) external view returns (bool);

    /// @notice The commitment to `publicKey` under `salt` for dispute `disputeId`.
    function openingCommitment(bytes32 disputeId, bytes32 salt, bytes32 publicKey) external pure returns (bytes32);

    /// @notice True if the recorded opening of `disputeId` commits to `publicKey` under `salt`.
    function verifyOpening(bytes32 disputeId, bytes32 salt, bytes32 publicKey) external view returns (bool);
}
