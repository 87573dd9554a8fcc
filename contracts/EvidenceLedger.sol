// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IEvidenceLedger} from "./interfaces/IEvidenceLedger.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {EvidenceTypes} from "./libraries/EvidenceTypes.sol";

/// @title EvidenceLedger
/// @notice Write-once anchors of evidence roots and digests, EIP-712 NRO/NRR records, batch
/// acknowledgements and refusals of receipt.
contract EvidenceLedger is EIP712, IEvidenceLedger {
    uint8 private constant _AWAITING_RECEIPT = 1;
    uint8 private constant _RECEIPTED = 2;
    uint8 private constant _REFUSED = 3;

    /// @notice Tolerated clock skew between a signer and the chain, in seconds.
    uint256 public constant CLOCK_SKEW = 300;
    /// @notice Longest receipt deadline after recording an NRO.
    uint256 public constant MAX_RECEIPT_WINDOW = 30 days;

    /// @notice The registry of participants, roles and signing keys.
    IParticipantRegistry public immutable REGISTRY;
    bytes32 private immutable _SUBMITTER_ROLE;

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(bytes32 root => mapping(address party => uint40)) private _acks;
    mapping(bytes32 digest => Origin) private _origins;
    mapping(bytes32 nroDigest => Receipt) private _receipts;
    mapping(address party => mapping(bytes32 nonce => bool)) private _usedNonces;

    constructor(IParticipantRegistry registry) EIP712("V2G Evidence Ledger", "1") {
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
    function acknowledgeBatch(bytes32 root) external {
        _checkSubmitter();
        Anchor memory a = _anchors[root];
        if (a.submitter == address(0)) revert EvidenceNotFound(root);
        if (a.submitter == msg.sender) revert EvidenceSelfAcknowledgement(root);
        if (_acks[root][msg.sender] != 0) revert EvidenceAlreadyAcknowledged(root, msg.sender);
        uint40 now_ = _time();
        _acks[root][msg.sender] = now_;
        emit BatchAcknowledged(root, msg.sender, now_);
    }

    /// @inheritdoc IEvidenceLedger
    function recordOrigin(
        uint8 messageType,
        EvidenceTypes.Header calldata header,
        bytes32 bodyHash,
        address party,
        uint40 receiptDeadline,
        bytes calldata signature
    ) external returns (bytes32 digest) {
        if (messageType >= EvidenceTypes.MESSAGE_TYPE_COUNT) revert EvidenceUnknownMessageType(messageType);
        uint40 now_ = _time();
        if (uint256(header.issuedAt) > now_ + CLOCK_SKEW || now_ > header.expiresAt) {
            revert EvidenceOutsideValidity(header.issuedAt, header.expiresAt, now_);
        }
        if (receiptDeadline <= now_ || receiptDeadline > now_ + MAX_RECEIPT_WINDOW) {
            revert EvidenceInvalidDeadline(receiptDeadline);
        }
        digest = _hashTypedDataV4(EvidenceTypes.hashMessage(messageType, header, bodyHash));
        if (_origins[digest].status != 0) revert EvidenceAlreadyRecorded(digest);
        _checkSigner(party, digest, signature, header.issuedAt);
        _useNonce(party, header.nonce);
        _origins[digest] =
            Origin({origin: party, recordedAt: now_, receiptDeadline: receiptDeadline, status: _AWAITING_RECEIPT});
        emit OriginRecorded(digest, party, messageType, header.sessionId, receiptDeadline);
    }

    /// @inheritdoc IEvidenceLedger
    function recordReceipt(EvidenceTypes.Receipt calldata receipt, address receiver, bytes calldata signature)
        external
        returns (bytes32 digest)
    {
        Origin storage o = _origins[receipt.nroDigest];
        uint8 status = o.status;
        if (status == 0) revert EvidenceNotFound(receipt.nroDigest);
        if (status != _AWAITING_RECEIPT) revert EvidenceReceiptNotExpected(receipt.nroDigest, status);
        uint40 now_ = _time();
        if (uint256(receipt.receivedAt) > now_ + CLOCK_SKEW) {
            revert EvidenceOutsideValidity(receipt.receivedAt, receipt.receivedAt, now_);
        }
        digest = _hashTypedDataV4(EvidenceTypes.hashReceipt(receipt));
        // A receipt proves what another party received: the origin cannot receipt itself.
        if (receiver == o.origin) revert EvidenceInvalidSigner(receiver, receiver);
        _checkSigner(receiver, digest, signature, receipt.receivedAt);
        _useNonce(receiver, receipt.nonce);
        o.status = _RECEIPTED;
        uint40 receivedAt = uint40(receipt.receivedAt);
        _receipts[receipt.nroDigest] = Receipt({receiver: receiver, receivedAt: receivedAt, recordedAt: now_});
        emit ReceiptRecorded(receipt.nroDigest, receiver, digest, receivedAt);
    }

    /// @inheritdoc IEvidenceLedger
    function recordRefusal(bytes32 nroDigest) external {
        Origin storage o = _origins[nroDigest];
        uint8 status = o.status;
        if (status == 0) revert EvidenceNotFound(nroDigest);
        if (o.origin != msg.sender) revert EvidenceNotOrigin(nroDigest, msg.sender);
        if (status != _AWAITING_RECEIPT) revert EvidenceReceiptNotExpected(nroDigest, status);
        uint40 deadline = o.receiptDeadline;
        if (_time() <= deadline) revert EvidenceDeadlineNotReached(nroDigest, deadline);
        o.status = _REFUSED;
        emit ReceiptRefused(nroDigest, msg.sender, deadline);
    }

    /// @inheritdoc IEvidenceLedger
    function anchorOf(bytes32 root) external view returns (Anchor memory a) {
        a = _anchors[root];
        if (a.submitter == address(0)) revert EvidenceNotFound(root);
    }

    /// @inheritdoc IEvidenceLedger
    function verifyInclusion(bytes32 root, bytes32 leafValue, bytes32[] calldata proof) external view returns (bool) {
        if (_anchors[root].submitter == address(0)) return false;
        // StandardMerkleTree leaf (double hash): a 64-byte inner node can never pass as a leaf.
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(leafValue))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IEvidenceLedger
    function acknowledgementOf(bytes32 root, address party) external view returns (uint40 time) {
        time = _acks[root][party];
        if (time == 0) revert EvidenceNotFound(root);
    }

    /// @inheritdoc IEvidenceLedger
    function originOf(bytes32 digest) external view returns (Origin memory o) {
        o = _origins[digest];
        if (o.status == 0) revert EvidenceNotFound(digest);
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

    /// @dev The clock; a test contract overrides it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    function _anchor(bytes32 root, uint32 count, uint8 kind) private {
        if (root == bytes32(0) || count == 0) revert EvidenceInvalidAnchor(root, count, kind);
        if (_anchors[root].submitter != address(0)) revert EvidenceAlreadyAnchored(root);
        uint40 now_ = _time();
        _anchors[root] = Anchor({submitter: msg.sender, anchoredAt: now_, count: count, kind: kind});
        emit BatchAnchored(root, msg.sender, count, kind, now_);
    }

    function _checkSubmitter() private view {
        if (!REGISTRY.hasRole(_SUBMITTER_ROLE, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, _SUBMITTER_ROLE);
        }
    }

    /// @dev Recovers the signer (OpenZeppelin ECDSA: rejects wrong lengths, bad v and high s) and
    /// requires a key of `party` valid both at signing time and now.
    function _checkSigner(address party, bytes32 digest, bytes calldata signature, uint256 signedAt) private view {
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
