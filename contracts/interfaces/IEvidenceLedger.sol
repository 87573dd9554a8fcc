// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeRecords} from "./IDisputeRecords.sol";
import {IParticipantRegistry} from "./IParticipantRegistry.sol";
import {EvidenceTypes} from "../libraries/EvidenceTypes.sol";

/// @title Non-repudiation evidence ledger
/// @notice Anchors batch roots and single digests of signed V2G evidence, records proofs of
/// origin (NRO) and of receipt (NRR) signed with EIP-712, acknowledgements of batches, refusals
/// of receipt after a deadline, and disputes over anchored evidence. Only digests, salted session
/// ids and Merkle roots are stored or emitted: never a vehicle or user identifier.
/// @dev Anchors are keyed by (submitter, root): anchoring a root someone else anchored creates the
/// caller's own anchor and never touches the other's, so copying a root steals nothing.
interface IEvidenceLedger is IDisputeRecords {
    /// @notice The state of a recorded proof of origin.
    enum OriginStatus {
        None,
        AwaitingReceipt,
        Receipted,
        Refused
    }

    /// @notice An anchored batch root or single digest. Packed into one storage slot.
    /// @param submitter Account that anchored it (its attribution; part of the anchor's key).
    /// @param anchoredAt Block time of anchoring.
    /// @param count Number of leaves under the root (1 for a single digest).
    /// @param kind Kind of the evidence, below `EvidenceTypes.ANCHOR_KIND_COUNT`.
    struct Anchor {
        address submitter;
        uint40 anchoredAt;
        uint32 count;
        uint8 kind;
    }

    /// @notice A proof of origin recorded on-chain. Two slots.
    /// @param origin Participant whose registered key signed the message.
    /// @param recordedAt Block time of recording.
    /// @param receiptDeadline The signed header's receipt deadline.
    /// @param status Awaiting receipt, receipted or refused.
    /// @param receiver The signed header's intended receiver: the only party whose receipt counts.
    /// @param issuedAt The signed header's signing time (a receipt may not predate it beyond the skew).
    struct Origin {
        address origin;
        uint40 recordedAt;
        uint40 receiptDeadline;
        OriginStatus status;
        address receiver;
        uint64 issuedAt;
    }

    /// @notice A proof of receipt recorded on-chain. One slot.
    struct Receipt {
        address receiver;
        uint40 receivedAt;
        uint40 recordedAt;
    }

    /// @notice A recorded dispute over an anchor. One slot.
    struct EvidenceDispute {
        address openedBy;
        uint40 openedAt;
    }

    /// @notice Emitted when a batch root is anchored.
    event BatchAnchored(bytes32 indexed root, address indexed submitter, uint32 count, uint8 kind, uint40 anchoredAt);

    /// @notice Emitted when `submitter`'s anchor of `root` is acknowledged by a counterparty (on-chain NRR of a batch).
    event BatchAcknowledged(
        bytes32 indexed root, address indexed submitter, address indexed party, uint40 acknowledgedAt
    );

    /// @notice Emitted when a signed message (NRO) is recorded.
    event OriginRecorded(
        bytes32 indexed digest,
        address indexed origin,
        address indexed receiver,
        uint8 messageType,
        bytes32 sessionId,
        uint40 receiptDeadline
    );

    /// @notice Emitted when a signed receipt (NRR) over a recorded NRO is recorded.
    event ReceiptRecorded(bytes32 indexed nroDigest, address indexed receiver, bytes32 receiptDigest, uint40 receivedAt);

    /// @notice Emitted when the sender records that no receipt came by the deadline.
    event ReceiptRefused(bytes32 indexed nroDigest, address indexed origin, uint40 deadline);

    /// @notice Emitted when a participant records a dispute over `submitter`'s anchor of `root`.
    event EvidenceDisputeRecorded(
        bytes32 indexed disputeId, address indexed submitter, bytes32 indexed root, address openedBy, bytes32 reasonHash
    );

    /// @notice Thrown when the caller already anchored this root (its anchors are write-once).
    error EvidenceAlreadyAnchored(address submitter, bytes32 root);

    /// @notice Thrown when an NRO digest is already recorded (replay).
    error EvidenceAlreadyRecorded(bytes32 digest);

    /// @notice Thrown when a participant's nonce was already used (replay under another digest).
    error EvidenceNonceUsed(address origin, bytes32 nonce);

    /// @notice Thrown when a digest, NRO, receipt or dispute does not exist.
    error EvidenceNotFound(bytes32 id);

    /// @notice Thrown when `submitter` has no anchor of `root` (or `party` did not acknowledge it).
    error EvidenceAnchorNotFound(address submitter, bytes32 root);

    /// @notice Thrown when a root is zero, a count is zero, or a kind is out of range.
    error EvidenceInvalidAnchor(bytes32 root, uint32 count, uint8 kind);

    /// @notice Thrown when a message type is unknown.
    error EvidenceUnknownMessageType(uint8 messageType);

    /// @notice Thrown when a message is used outside its validity window `[issuedAt, expiresAt]`.
    error EvidenceOutsideValidity(uint64 issuedAt, uint64 expiresAt, uint256 time);

    /// @notice Thrown when the recovered signer is not a key of `party` valid at signing time and now.
    error EvidenceInvalidSigner(address party, address signer);

    /// @notice Thrown when `party` holds no participant role any more (its keys no longer sign new records).
    error EvidenceNotAParticipant(address party);

    /// @notice Thrown when someone other than the origin or an evidence submitter records an NRO.
    error EvidenceUnauthorizedRecorder(address party, address caller);

    /// @notice Thrown when an NRO's intended receiver is zero, the origin itself or not a participant.
    error EvidenceInvalidReceiver(address receiver);

    /// @notice Thrown when a receipt is recorded for an NRO that is no longer awaiting one.
    error EvidenceReceiptNotExpected(bytes32 nroDigest, OriginStatus status);

    /// @notice Thrown when a receipt's time lies before `earliest` (the NRO's issuedAt minus the skew)
    /// or after `latest` (now plus the skew).
    error EvidenceInvalidReceiptTime(uint64 receivedAt, uint256 earliest, uint256 latest);

    /// @notice Thrown when a refusal is recorded before the receipt deadline.
    error EvidenceDeadlineNotReached(bytes32 nroDigest, uint40 deadline);

    /// @notice Thrown when an acknowledgement is repeated.
    error EvidenceAlreadyAcknowledged(address submitter, bytes32 root, address party);

    /// @notice Thrown when someone other than the origin records a refusal.
    error EvidenceNotOrigin(bytes32 nroDigest, address caller);

    /// @notice Thrown when a submitter acknowledges its own batch.
    error EvidenceSelfAcknowledgement(bytes32 root);

    /// @notice Thrown when a submitter records a dispute over its own anchor.
    error EvidenceSelfDispute(bytes32 root);

    /// @notice Thrown when the signed receipt deadline lies outside `[earliest, latest]`.
    error EvidenceInvalidDeadline(uint64 deadline, uint256 earliest, uint256 latest);

    /// @notice The registry of participants, roles and signing keys.
    function REGISTRY() external view returns (IParticipantRegistry);

    /// @notice Tolerated clock skew between a signer and the chain, in seconds.
    function CLOCK_SKEW() external view returns (uint256);

    /// @notice Shortest time a receiver is given to receipt, from the NRO's recording.
    function MIN_RECEIPT_WINDOW() external view returns (uint256);

    /// @notice Longest receipt deadline after recording an NRO.
    function MAX_RECEIPT_WINDOW() external view returns (uint256);

    /// @notice Anchors the Merkle root of a batch of `count` evidence digests of kind `kind`.
    /// @dev Submitter must hold the registry's SUBMITTER_ROLE. Write-once per (submitter, root).
    function anchorBatch(bytes32 root, uint32 count, uint8 kind) external;

    /// @notice Anchors a single evidence digest (a batch of one).
    function anchorDigest(bytes32 digest, uint8 kind) external;

    /// @notice Acknowledges `submitter`'s anchor of `root`: the caller's on-chain NRR for every leaf under it.
    /// @dev Caller must hold the registry's SUBMITTER_ROLE. One acknowledgement per party.
    function acknowledgeBatch(address submitter, bytes32 root) external;

    /// @notice Records a proof of origin: an EIP-712 message `{header, body}` of type
    /// `messageType` signed by a key registered for `party` and valid at signing time and now.
    /// @dev Only `party` itself or a holder of SUBMITTER_ROLE may record it; `party` and
    /// `header.receiver` must hold a participant role; `header.receiptDeadline` must lie in
    /// `[now + MIN_RECEIPT_WINDOW, now + MAX_RECEIPT_WINDOW]`.
    /// @param bodyHash EIP-712 struct hash of the message body (the body itself stays off-chain).
    /// @return digest The EIP-712 digest of the message (the NRO digest).
    function recordOrigin(
        uint8 messageType,
        EvidenceTypes.Header calldata header,
        bytes32 bodyHash,
        address party,
        bytes calldata signature
    ) external returns (bytes32 digest);

    /// @notice Records a proof of receipt: `receipt` signed by a key of the NRO's intended receiver.
    /// @dev Anyone may submit it; it is attributed to the receiver, never to the submitter.
    /// @return digest The EIP-712 digest of the receipt.
    function recordReceipt(EvidenceTypes.Receipt calldata receipt, bytes calldata signature)
        external
        returns (bytes32 digest);

    /// @notice Records that no receipt for `nroDigest` arrived by its deadline. Only the origin.
    function recordRefusal(bytes32 nroDigest) external;

    /// @notice Records a dispute over `submitter`'s anchor of `root`, for the reason hashed in `reasonHash`.
    /// @dev Caller must hold a participant role and not be `submitter` ({EvidenceSelfDispute}: a
    /// dispute is between parties). Dispute ids count up from 1 (`bytes32(uint256(n))`).
    /// @return disputeId The id by which {disputeRecordOf} answers for it.
    function recordDispute(address submitter, bytes32 root, bytes32 reasonHash) external returns (bytes32 disputeId);

    /// @notice `submitter`'s anchor of `root`; reverts with {EvidenceAnchorNotFound} if absent.
    function anchorOf(address submitter, bytes32 root) external view returns (Anchor memory);

    /// @notice True if `submitter` anchored `root` and `leafValue` (a bytes32 digest) is a leaf of it
    /// under `proof` (OpenZeppelin StandardMerkleTree with leaf type `bytes32`).
    function verifyInclusion(address submitter, bytes32 root, bytes32 leafValue, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice Time `party` acknowledged `submitter`'s anchor of `root`; reverts with
    /// {EvidenceAnchorNotFound} if it did not.
    function acknowledgementOf(address submitter, bytes32 root, address party) external view returns (uint40);

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
