// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IDisputeRecords} from "./interfaces/IDisputeRecords.sol";
import {IEvidenceLedger} from "./interfaces/IEvidenceLedger.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {EvidenceTypes} from "./libraries/EvidenceTypes.sol";

/// @title EvidenceLedger
/// @notice Write-once anchors of evidence roots and digests keyed by their submitter, EIP-712
/// NRO/NRR records, batch acknowledgements, refusals of receipt and disputes over anchors.
contract EvidenceLedger is EIP712, IEvidenceLedger {
    /// @inheritdoc IEvidenceLedger
    uint256 public constant CLOCK_SKEW = 300;
    /// @inheritdoc IEvidenceLedger
    uint256 public constant MIN_RECEIPT_WINDOW = 5 minutes;
    /// @inheritdoc IEvidenceLedger
    uint256 public constant MAX_RECEIPT_WINDOW = 30 days;

    /// @inheritdoc IEvidenceLedger
    IParticipantRegistry public immutable REGISTRY;
    bytes32 private immutable _SUBMITTER_ROLE;

    mapping(address submitter => mapping(bytes32 root => Anchor)) private _anchors;
    mapping(address submitter => mapping(bytes32 root => mapping(address party => uint40))) private _acks;
    mapping(bytes32 digest => Origin) private _origins;
    mapping(bytes32 nroDigest => Receipt) private _receipts;
    mapping(address party => mapping(bytes32 nonce => bool)) private _usedNonces;
    mapping(bytes32 disputeId => EvidenceDispute) private _disputes;
    uint256 private _disputeCount;

    constructor(IParticipantRegistry registry) EIP712("V2G Evidence Ledger", "2") {
        REGISTRY = registry;
        _SUBMITTER_ROLE = registry.SUBMITTER_ROLE();
    }

    /// @inheritdoc IEvidenceLedger
    function anchorBatch(bytes32 root, uint32 count, uint8 kind) external {
        _checkSubmitter();
        _anchor(root, count, kind);
    }

    /// @inheritdoc IEvidenceLedger
    function anchorDigest(bytes32 digest, uint8 kind) external {
        _checkSubmitter();
        _anchor(digest, 1, kind);
    }

    /// @inheritdoc IEvidenceLedger
    function acknowledgeBatch(address submitter, bytes32 root) external {
        _checkSubmitter();
        if (_anchors[submitter][root].submitter == address(0)) revert EvidenceAnchorNotFound(submitter, root);
        if (submitter == msg.sender) revert EvidenceSelfAcknowledgement(root);
        if (_acks[submitter][root][msg.sender] != 0) revert EvidenceAlreadyAcknowledged(submitter, root, msg.sender);
        uint40 now_ = _time();
        _acks[submitter][root][msg.sender] = now_;
        emit BatchAcknowledged(root, submitter, msg.sender, now_);
    }

    /// @inheritdoc IEvidenceLedger
    function recordOrigin(
        uint8 messageType,
        EvidenceTypes.Header calldata header,
        bytes32 bodyHash,
        address party,
        bytes calldata signature
    ) external returns (bytes32 digest) {
        if (messageType >= EvidenceTypes.MESSAGE_TYPE_COUNT) revert EvidenceUnknownMessageType(messageType);
        if (msg.sender != party && !REGISTRY.hasRole(_SUBMITTER_ROLE, msg.sender)) {
            revert EvidenceUnauthorizedRecorder(party, msg.sender);
        }
        uint40 now_ = _time();
        if (uint256(header.issuedAt) > now_ + CLOCK_SKEW || now_ > header.expiresAt) {
            revert EvidenceOutsideValidity(header.issuedAt, header.expiresAt, now_);
        }
        address receiver = header.receiver;
        if (receiver == address(0) || receiver == party || !REGISTRY.isParticipant(receiver)) {
            revert EvidenceInvalidReceiver(receiver);
        }
        uint64 deadline = header.receiptDeadline;
        if (deadline < now_ + MIN_RECEIPT_WINDOW || deadline > now_ + MAX_RECEIPT_WINDOW) {
            revert EvidenceInvalidDeadline(deadline, now_ + MIN_RECEIPT_WINDOW, now_ + MAX_RECEIPT_WINDOW);
        }
        digest = _hashTypedDataV4(EvidenceTypes.hashMessage(messageType, header, bodyHash));
        if (_origins[digest].status != OriginStatus.None) revert EvidenceAlreadyRecorded(digest);
        _checkSigner(party, digest, signature, header.issuedAt);
        _useNonce(party, header.nonce);
        _origins[digest] = Origin({
            origin: party,
            recordedAt: now_,
            receiptDeadline: uint40(deadline),
            status: OriginStatus.AwaitingReceipt,
            receiver: receiver,
            issuedAt: header.issuedAt
        });
        emit OriginRecorded(digest, party, receiver, messageType, header.sessionId, uint40(deadline));
    }

    /// @inheritdoc IEvidenceLedger
    function recordReceipt(EvidenceTypes.Receipt calldata receipt, bytes calldata signature)
        external
        returns (bytes32 digest)
    {
        Origin storage o = _origins[receipt.nroDigest];
        OriginStatus status = o.status;
        if (status == OriginStatus.None) revert EvidenceNotFound(receipt.nroDigest);
        if (status != OriginStatus.AwaitingReceipt) revert EvidenceReceiptNotExpected(receipt.nroDigest, status);
        uint40 now_ = _time();
        uint64 issuedAt = o.issuedAt;
        uint256 earliest = issuedAt > CLOCK_SKEW ? issuedAt - CLOCK_SKEW : 0;
        if (receipt.receivedAt < earliest || uint256(receipt.receivedAt) > now_ + CLOCK_SKEW) {
            revert EvidenceInvalidReceiptTime(receipt.receivedAt, earliest, now_ + CLOCK_SKEW);
        }
        digest = _hashTypedDataV4(EvidenceTypes.hashReceipt(receipt));
        // Only the receiver the origin named can receipt: nobody else can take its slot.
        address receiver = o.receiver;
        _checkSigner(receiver, digest, signature, receipt.receivedAt);
        _useNonce(receiver, receipt.nonce);
        o.status = OriginStatus.Receipted;
        uint40 receivedAt = uint40(receipt.receivedAt);
        _receipts[receipt.nroDigest] = Receipt({receiver: receiver, receivedAt: receivedAt, recordedAt: now_});
        emit ReceiptRecorded(receipt.nroDigest, receiver, digest, receivedAt);
    }

    /// @inheritdoc IEvidenceLedger
    function recordRefusal(bytes32 nroDigest) external {
        Origin storage o = _origins[nroDigest];
        OriginStatus status = o.status;
        if (status == OriginStatus.None) revert EvidenceNotFound(nroDigest);
        if (o.origin != msg.sender) revert EvidenceNotOrigin(nroDigest, msg.sender);
        if (status != OriginStatus.AwaitingReceipt) revert EvidenceReceiptNotExpected(nroDigest, status);
        uint40 deadline = o.receiptDeadline;
        if (_time() <= deadline) revert EvidenceDeadlineNotReached(nroDigest, deadline);
        o.status = OriginStatus.Refused;
        emit ReceiptRefused(nroDigest, msg.sender, deadline);
    }

    /// @inheritdoc IEvidenceLedger
    function recordDispute(address submitter, bytes32 root, bytes32 reasonHash) external returns (bytes32 disputeId) {
        if (!REGISTRY.isParticipant(msg.sender)) revert EvidenceNotAParticipant(msg.sender);
        if (_anchors[submitter][root].submitter == address(0)) revert EvidenceAnchorNotFound(submitter, root);
        if (submitter == msg.sender) revert EvidenceSelfDispute(root);
        disputeId = bytes32(++_disputeCount);
        _disputes[disputeId] = EvidenceDispute({openedBy: msg.sender, openedAt: _time()});
        emit EvidenceDisputeRecorded(disputeId, submitter, root, msg.sender, reasonHash);
    }

    /// @inheritdoc IDisputeRecords
    function disputeRecordOf(bytes32 disputeId) external view returns (address openedBy, uint40 openedAt) {
        EvidenceDispute memory d = _disputes[disputeId];
        return (d.openedBy, d.openedAt);
    }

    /// @inheritdoc IEvidenceLedger
    function anchorOf(address submitter, bytes32 root) external view returns (Anchor memory a) {
        a = _anchors[submitter][root];
        if (a.submitter == address(0)) revert EvidenceAnchorNotFound(submitter, root);
    }

    /// @inheritdoc IEvidenceLedger
    function verifyInclusion(address submitter, bytes32 root, bytes32 leafValue, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (_anchors[submitter][root].submitter == address(0)) return false;
        // StandardMerkleTree leaf (double hash): a 64-byte inner node can never pass as a leaf.
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(leafValue))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IEvidenceLedger
    function acknowledgementOf(address submitter, bytes32 root, address party) external view returns (uint40 time) {
        time = _acks[submitter][root][party];
        if (time == 0) revert EvidenceAnchorNotFound(submitter, root);
    }

    /// @inheritdoc IEvidenceLedger
    function originOf(bytes32 digest) external view returns (Origin memory o) {
        o = _origins[digest];
        if (o.status == OriginStatus.None) revert EvidenceNotFound(digest);
    }

    /// @inheritdoc IEvidenceLedger
    function receiptOf(bytes32 nroDigest) external view returns (Receipt memory r) {
        r = _receipts[nroDigest];
        if (r.receiver == address(0)) revert EvidenceNotFound(nroDigest);
    }

    /// @inheritdoc IEvidenceLedger
    function hashMessage(uint8 messageType, EvidenceTypes.Header calldata header, bytes32 bodyHash)
        external
        view
        returns (bytes32)
    {
        if (messageType >= EvidenceTypes.MESSAGE_TYPE_COUNT) revert EvidenceUnknownMessageType(messageType);
        return _hashTypedDataV4(EvidenceTypes.hashMessage(messageType, header, bodyHash));
    }

    /// @inheritdoc IEvidenceLedger
    function hashReceipt(EvidenceTypes.Receipt calldata receipt) external view returns (bytes32) {
        return _hashTypedDataV4(EvidenceTypes.hashReceipt(receipt));
    }

    /// @dev The clock: block time in the width the records store.
    function _time() private view returns (uint40) {
        return uint40(block.timestamp);
    }

    function _anchor(bytes32 root, uint32 count, uint8 kind) private {
        if (root == bytes32(0) || count == 0 || kind >= EvidenceTypes.ANCHOR_KIND_COUNT) {
            revert EvidenceInvalidAnchor(root, count, kind);
        }
        mapping(bytes32 => Anchor) storage own = _anchors[msg.sender];
        if (own[root].submitter != address(0)) revert EvidenceAlreadyAnchored(msg.sender, root);
        uint40 now_ = _time();
        own[root] = Anchor({submitter: msg.sender, anchoredAt: now_, count: count, kind: kind});
        emit BatchAnchored(root, msg.sender, count, kind, now_);
    }

    function _checkSubmitter() private view {
        if (!REGISTRY.hasRole(_SUBMITTER_ROLE, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, _SUBMITTER_ROLE);
        }
    }

    /// @dev Requires `party` to hold a participant role now, recovers the signer (OpenZeppelin ECDSA:
    /// rejects wrong lengths, bad v and high s) and requires a key of `party` valid both at signing
    /// time and now.
    function _checkSigner(address party, bytes32 digest, bytes calldata signature, uint256 signedAt) private view {
        if (!REGISTRY.isParticipant(party)) revert EvidenceNotAParticipant(party);
        address signer = ECDSA.recoverCalldata(digest, signature);
        if (!REGISTRY.isKeyValid(party, signer, signedAt) || !REGISTRY.isKeyValid(party, signer, _time())) {
            revert EvidenceInvalidSigner(party, signer);
        }
    }

    function _useNonce(address party, bytes32 nonce) private {
        if (_usedNonces[party][nonce]) revert EvidenceNonceUsed(party, nonce);
        _usedNonces[party][nonce] = true;
    }
}
