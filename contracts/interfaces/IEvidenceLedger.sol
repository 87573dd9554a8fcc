// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EvidenceTypes} from "../libraries/EvidenceTypes.sol";

/// @title Non-repudiation evidence ledger
/// @notice Anchors batch roots and single digests of signed V2G evidence, records proofs of
/// origin (NRO) and of receipt (NRR) signed with EIP-712, acknowledgements of batches, and
/// refusals of receipt after a deadline. Only digests, salted session ids and Merkle roots are
/// stored or emitted: never a vehicle or user identifier.
interface IEvidenceLedger {
    /// @notice An anchored batch root or single digest. Packed into one storage slot.
    /// @param submitter Account that anchored it (its attribution).
    /// @param anchoredAt Block time of anchoring.
    /// @param count Number of leaves under the root (1 for a single digest).
    /// @param kind Application-defined kind of the evidence (see `EvidenceTypes`).
    struct Anchor {
        address submitter;
        uint40 anchoredAt;
        uint32 count;
        uint8 kind;
    }

    /// @notice A proof of origin recorded on-chain. One slot.
    /// @param origin Participant whose registered key signed the message.
    /// @param recordedAt Block time of recording.
    /// @param receiptDeadline Time by which the receiver must sign a receipt.
    /// @param status 0 none, 1 awaiting receipt, 2 receipted, 3 receipt refused.
    struct Origin {
        address origin;
        uint40 recordedAt;
        uint40 receiptDeadline;
        uint8 status;
    }

    /// @notice A proof of receipt recorded on-chain. One slot.
    struct Receipt {
        address receiver;
        uint40 receivedAt;
        uint40 recordedAt;
    }

    /// @notice Emitted when a batch root is anchored.
    event BatchAnchored(bytes32 indexed root, address indexed submitter, uint32 count, uint8 kind, uint40 anchoredAt);

    /// @notice Emitted when an anchored batch is acknowledged by a counterparty (on-chain NRR of a batch).
    event BatchAcknowledged(bytes32 indexed root, address indexed party, uint40 acknowledgedAt);

    /// @notice Emitted when a signed message (NRO) is recorded.
    event OriginRecorded(
        bytes32 indexed digest, address indexed origin, uint8 messageType, bytes32 sessionId, uint40 receiptDeadline
    );

    /// @notice Emitted when a signed receipt (NRR) over a recorded NRO is recorded.
    event ReceiptRecorded(bytes32 indexed nroDigest, address indexed receiver, bytes32 receiptDigest, uint40 receivedAt);

    /// @notice Emitted when the sender records that no receipt came by the deadline.
    event ReceiptRefused(bytes32 indexed nroDigest, address indexed origin, uint40 deadline);

    /// @notice Thrown when a root or digest is already anchored (evidence is write-once).
    error EvidenceAlreadyAnchored(bytes32 root);

    /// @notice Thrown when an NRO digest is already recorded (replay).
    error EvidenceAlreadyRecorded(bytes32 digest);

    /// @notice Thrown when a participant's nonce was already used (replay under another digest).
    error EvidenceNonceUsed(address origin, bytes32 nonce);

    /// @notice Thrown when a root, digest or acknowledgement does not exist.
    error EvidenceNotFound(bytes32 id);

    /// @notice Thrown when a root is zero, a count is zero, or a kind is out of range.
    error EvidenceInvalidAnchor(bytes32 root, uint32 count, uint8 kind);

    /// @notice Thrown when a message type is unknown.
    error EvidenceUnknownMessageType(uint8 messageType);

    /// @notice Thrown when a message is used outside its validity window `[issuedAt, expiresAt]`.
    error EvidenceOutsideValidity(uint64 issuedAt, uint64 expiresAt, uint256 time);

    /// @notice Thrown when the recovered signer is not a key of `party` valid now.
    error EvidenceInvalidSigner(address party, address signer);

    /// @notice Thrown when a receipt is recorded for an NRO that is no longer awaiting one.
    error EvidenceReceiptNotExpected(bytes32 nroDigest, uint8 status);

    /// @notice Thrown when a refusal is recorded before the receipt deadline.
    error EvidenceDeadlineNotReached(bytes32 nroDigest, uint40 deadline);

    /// @notice Thrown when an acknowledgement is repeated.
    error EvidenceAlreadyAcknowledged(bytes32 root, address party);

    /// @notice Thrown when someone other than the origin records a refusal.
    error EvidenceNotOrigin(bytes32 nroDigest, address caller);

    /// @notice Thrown when a submitter acknowledges its own batch.
    error EvidenceSelfAcknowledgement(bytes32 root);

    /// @notice Thrown when the receipt deadline does not lie within the allowed window.
    error EvidenceInvalidDeadline(uint40 deadline);

    /// @notice Anchors the Merkle root of a batch of `count` evidence digests of kind `kind`.
    /// @dev Submitter must hold the registry's SUBMITTER_ROLE. Write-once.
    function anchorBatch(bytes32 root, uint32 count, uint8 kind) external;

    /// @notice Anchors a single evidence digest (a batch of one).
    function anchorDigest(bytes32 digest, uint8 kind) external;

    /// @notice Acknowledges an anchored batch: the caller's on-chain NRR for every leaf under `root`.
    /// @dev Caller must hold the registry's SUBMITTER_ROLE. One acknowledgement per party.
    function acknowledgeBatch(bytes32 root) external;

    /// @notice Records a proof of origin: an EIP-712 message `{header, body}` of type
    /// `messageType` signed by a key registered for `party` and valid now.
    /// @param bodyHash EIP-712 struct hash of the message body (the body itself stays off-chain).
    /// @param receiptDeadline Time by which the receiver must sign a receipt (at most 30 days ahead).
    /// @return digest The EIP-712 digest of the message (the NRO digest).
    function recordOrigin(
        uint8 messageType,
        EvidenceTypes.Header calldata header,
        bytes32 bodyHash,
        address party,
        uint40 receiptDeadline,
        bytes calldata signature
    ) external returns (bytes32 digest);

    /// @notice Records a proof of receipt: `receipt` signed by a key registered for `receiver`.
    /// @dev Anyone may submit it; it is attributed to `receiver`, never to the submitter.
    /// @return digest The EIP-712 digest of the receipt.
    function recordReceipt(EvidenceTypes.Receipt calldata receipt, address receiver, bytes calldata signature)
        external
        returns (bytes32 digest);

    /// @notice Records that no receipt for `nroDigest` arrived by its deadline. Only the origin.
    function recordRefusal(bytes32 nroDigest) external;

    /// @notice The anchor of `root`; reverts with {EvidenceNotFound} if absent.
    function anchorOf(bytes32 root) external view returns (Anchor memory);

    /// @notice True if `root` is anchored and `leafValue` (a bytes32 digest) is a leaf of it under
    /// `proof` (OpenZeppelin StandardMerkleTree with leaf type `bytes32`).
    function verifyInclusion(bytes32 root, bytes32 leafValue, bytes32[] calldata proof) external view returns (bool);

    /// @notice Time `party` acknowledged `root`; reverts with {EvidenceNotFound} if it did not.
    function acknowledgementOf(bytes32 root, address party) external view returns (uint40);

    /// @notice The recorded NRO `digest`; reverts with {EvidenceNotFound} if absent.
    function originOf(bytes32 digest) external view returns (Origin memory);

    /// @notice The recorded NRR for `nroDigest`; reverts with {EvidenceNotFound} if absent.
    function receiptOf(bytes32 nroDigest) external view returns (Receipt memory);

    /// @notice EIP-712 digest of a message of `messageType` with `header` and `bodyHash` under this
    /// ledger's domain (chain id and address).
    function hashMessage(uint8 messageType, EvidenceTypes.Header calldata header, bytes32 bodyHash)
        external
        view
        returns (bytes32);

    /// @notice EIP-712 digest of `receipt` under this ledger's domain.
    function hashReceipt(EvidenceTypes.Receipt calldata receipt) external view returns (bytes32);
}
