// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeRecords} from "./IDisputeRecords.sol";
import {IParticipantRegistry} from "./IParticipantRegistry.sol";

/// @title Escrow openings of anonymous vehicle authentications
/// @notice Every anonymous authentication carries an escrow of the vehicle's public key that only
/// the CA can open. An opening is allowed only for an escrow dispute that points at a real dispute
/// recorded on-chain by a contract the deployment knows (a settlement dispute, or a dispute over
/// anchored evidence), and only once `THRESHOLD` distinct arbiters approved it; the CA who opens
/// is never one of them. The opening itself is recorded: who asked, why (a salted hash of the
/// reason), which authentication (the digest of its transcript) and a salted commitment to the
/// opened key. Nothing here names a vehicle: the key is revealed off-chain to the arbiter, who
/// checks it against the commitment.
/// @dev Roles are read from the ParticipantRegistry: ARBITER_ROLE (administered by the default
/// admin) records and approves escrow disputes, REGISTRAR_ROLE (the CA) records openings, the
/// registry's default admin adds dispute recorders. Records are write-once.
interface IEscrowOpenings {
    /// @notice A recorded request to open the escrow of one authentication. Four slots.
    /// @param authDigest Digest of the authentication transcript whose escrow may be opened.
    /// @param reasonHash Salted hash of the dispute's reason (the document stays off-chain).
    /// @param recordId Id of the underlying dispute at `recorder`.
    /// @param requester Arbiter who recorded the escrow dispute (its first approval).
    /// @param requestedAt Time of recording.
    /// @param approvals Number of distinct arbiters who approved the opening, the requester included
    /// (as recorded; {currentApprovals} says how many count now).
    /// @param recorder The contract that recorded the underlying dispute.
    struct Dispute {
        bytes32 authDigest;
        bytes32 reasonHash;
        bytes32 recordId;
        address requester;
        uint40 requestedAt;
        uint8 approvals;
        IDisputeRecords recorder;
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

    /// @notice Emitted with the underlying dispute record an escrow dispute points at.
    event OpeningGrounds(bytes32 indexed disputeId, address indexed recorder, bytes32 indexed recordId);

    /// @notice Emitted when an arbiter approves the opening of dispute `disputeId`.
    event OpeningApproved(bytes32 indexed disputeId, address indexed arbiter, uint8 approvals);

    /// @notice Emitted when the CA records that it opened the escrow of dispute `disputeId`.
    event EscrowOpened(
        bytes32 indexed disputeId, address indexed requester, address indexed opener, bytes32 commitment, uint40 openedAt
    );

    /// @notice Emitted when the default admin adds a contract whose disputes openings may point at.
    event DisputeRecorderAdded(address indexed recorder);

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

    /// @notice Thrown when an escrow dispute names a recorder the deployment does not know.
    error EscrowUnknownRecorder(address recorder);

    /// @notice Thrown when the named recorder has no dispute `recordId`.
    error EscrowNoDisputeRecord(address recorder, bytes32 recordId);

    /// @notice Thrown when a recorder is added twice or is not a contract.
    error EscrowInvalidRecorder(address recorder);

    /// @notice Thrown when an arbiter approves the same opening twice.
    error EscrowAlreadyApproved(bytes32 disputeId, address arbiter);

    /// @notice Thrown when an opening is recorded before `threshold` arbiters approved it.
    error EscrowNotEnoughApprovals(bytes32 disputeId, uint8 approvals, uint8 threshold);

    /// @notice Thrown when the opener requested or approved the opening itself.
    error EscrowOpenerNotIndependent(bytes32 disputeId, address opener);

    /// @notice Thrown when the dispute an escrow dispute points at was opened by the arbiter who
    /// requests or approves the opening, or by a holder of the registrar (CA) role.
    error EscrowGroundsNotIndependent(bytes32 disputeId, address openedBy);

    /// @notice Thrown when an arbiter who also holds the registrar (CA) role requests or approves an
    /// opening: the CA opens, so it never approves.
    error EscrowApproverNotIndependent(bytes32 disputeId, address arbiter);

    /// @notice Thrown when the approval threshold is zero.
    error EscrowInvalidThreshold(uint8 threshold);

    /// @notice The registry whose roles this contract reads.
    function REGISTRY() external view returns (IParticipantRegistry);

    /// @notice Number of distinct arbiters who must approve an opening (k of the n arbiters).
    function THRESHOLD() external view returns (uint8);

    /// @notice Adds `recorder` to the contracts whose disputes escrow disputes may point at.
    /// @dev Only the registry's default admin; add-only, so recorded disputes keep their grounds.
    function addDisputeRecorder(IDisputeRecords recorder) external;

    /// @notice True if escrow disputes may point at disputes recorded by `recorder`.
    function isDisputeRecorder(address recorder) external view returns (bool);

    /// @notice Records escrow dispute `disputeId`, requesting the opening of the escrow of the
    /// authentication whose transcript digest is `authDigest`, for the reason hashed in `reasonHash`,
    /// on the grounds of dispute `recordId` recorded by `recorder`. Counts as the caller's approval.
    /// @dev Only holders of the registry's ARBITER_ROLE; others revert with
    /// `AccessControlUnauthorizedAccount(caller, ARBITER_ROLE)`, a caller also holding REGISTRAR_ROLE
    /// with {EscrowApproverNotIndependent}. The underlying dispute must not have been opened by the
    /// caller or by a holder of REGISTRAR_ROLE ({EscrowGroundsNotIndependent}). Write-once.
    function recordDispute(
        bytes32 disputeId,
        IDisputeRecords recorder,
        bytes32 recordId,
        bytes32 authDigest,
        bytes32 reasonHash
    ) external;

    /// @notice Approves the opening of dispute `disputeId` (one approval per arbiter).
    /// @dev Only holders of the registry's ARBITER_ROLE who do not hold REGISTRAR_ROLE
    /// ({EscrowApproverNotIndependent}) and did not open the underlying dispute
    /// ({EscrowGroundsNotIndependent}).
    function approveOpening(bytes32 disputeId) external;

    /// @notice Approvals of `disputeId` that count now: those of approvers (the requester included)
    /// who still hold ARBITER_ROLE and do not hold REGISTRAR_ROLE. An arbiter whose role was revoked
    /// after it approved, or who became a CA since, no longer counts; `Dispute.approvals` is the
    /// number ever recorded.
    function currentApprovals(bytes32 disputeId) external view returns (uint8);

    /// @notice True if `arbiter` approved (or requested) the opening of `disputeId`.
    function hasApproved(bytes32 disputeId, address arbiter) external view returns (bool);

    /// @notice Records that the CA opened the escrow of dispute `disputeId`, with a salted commitment
    /// to the opened public key.
    /// @dev Only holders of the registry's REGISTRAR_ROLE; others revert with
    /// `AccessControlUnauthorizedAccount(caller, REGISTRAR_ROLE)`. The dispute must exist and have
    /// `THRESHOLD` approvals that count now ({currentApprovals}), none of them the caller's. Write-once.
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
