// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IDisputeRecords} from "./interfaces/IDisputeRecords.sol";
import {IEscrowOpenings} from "./interfaces/IEscrowOpenings.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @title EscrowOpenings
/// @notice Write-once records of escrow disputes grounded in on-chain dispute records, their
/// k-of-n arbiter approvals, and the openings.
contract EscrowOpenings is IEscrowOpenings {
    /// @inheritdoc IEscrowOpenings
    IParticipantRegistry public immutable REGISTRY;
    /// @inheritdoc IEscrowOpenings
    uint8 public immutable THRESHOLD;
    bytes32 private immutable _ARBITER_ROLE;
    bytes32 private immutable _REGISTRAR_ROLE;
    bytes32 private constant _DEFAULT_ADMIN_ROLE = 0x00;

    mapping(address recorder => bool) private _recorders;
    mapping(bytes32 disputeId => Dispute) private _disputes;
    mapping(bytes32 disputeId => mapping(address arbiter => bool)) private _approved;
    mapping(bytes32 disputeId => address[]) private _approvers;
    mapping(bytes32 disputeId => Opening) private _openings;

    /// @param registry The registry whose roles authorise the calls.
    /// @param threshold Number of distinct arbiters who must approve an opening (at least 1).
    /// @param recorders The contracts whose disputes openings may point at (more can be added).
    constructor(IParticipantRegistry registry, uint8 threshold, IDisputeRecords[] memory recorders) {
        if (threshold == 0) revert EscrowInvalidThreshold(threshold);
        REGISTRY = registry;
        THRESHOLD = threshold;
        _ARBITER_ROLE = registry.ARBITER_ROLE();
        _REGISTRAR_ROLE = registry.REGISTRAR_ROLE();
        for (uint256 i = 0; i < recorders.length; ++i) {
            _addRecorder(address(recorders[i]));
        }
    }

    /// @inheritdoc IEscrowOpenings
    function addDisputeRecorder(IDisputeRecords recorder) external {
        _checkRole(_DEFAULT_ADMIN_ROLE);
        _addRecorder(address(recorder));
    }

    /// @inheritdoc IEscrowOpenings
    function isDisputeRecorder(address recorder) external view returns (bool) {
        return _recorders[recorder];
    }

    /// @inheritdoc IEscrowOpenings
    function recordDispute(
        bytes32 disputeId,
        IDisputeRecords recorder,
        bytes32 recordId,
        bytes32 authDigest,
        bytes32 reasonHash
    ) external {
        _checkApprover(disputeId);
        if (disputeId == bytes32(0) || authDigest == bytes32(0)) revert EscrowInvalidDispute(disputeId, authDigest);
        if (_disputes[disputeId].requester != address(0)) revert EscrowDisputeAlreadyRecorded(disputeId);
        if (!_recorders[address(recorder)]) revert EscrowUnknownRecorder(address(recorder));
        (address openedBy,) = recorder.disputeRecordOf(recordId);
        if (openedBy == address(0)) revert EscrowNoDisputeRecord(address(recorder), recordId);
        // Nobody rules on grounds of its own making, and the CA never makes the grounds it opens on.
        if (openedBy == msg.sender || REGISTRY.hasRole(_REGISTRAR_ROLE, openedBy)) {
            revert EscrowGroundsNotIndependent(disputeId, openedBy);
        }
        uint40 now_ = _time();
        _disputes[disputeId] = Dispute({
            authDigest: authDigest,
            reasonHash: reasonHash,
            recordId: recordId,
            requester: msg.sender,
            requestedAt: now_,
            approvals: 1,
            recorder: recorder
        });
        _approved[disputeId][msg.sender] = true;
        _approvers[disputeId].push(msg.sender);
        emit OpeningRequested(disputeId, authDigest, msg.sender, reasonHash, now_);
        emit OpeningGrounds(disputeId, address(recorder), recordId);
        emit OpeningApproved(disputeId, msg.sender, 1);
    }

    /// @inheritdoc IEscrowOpenings
    function approveOpening(bytes32 disputeId) external {
        _checkApprover(disputeId);
        Dispute storage d = _disputes[disputeId];
        if (d.requester == address(0)) revert EscrowUnknownDispute(disputeId);
        if (_approved[disputeId][msg.sender]) revert EscrowAlreadyApproved(disputeId, msg.sender);
        if (_openings[disputeId].opener != address(0)) revert EscrowAlreadyOpened(disputeId);
        (address openedBy,) = d.recorder.disputeRecordOf(d.recordId);
        if (openedBy == msg.sender) revert EscrowGroundsNotIndependent(disputeId, openedBy);
        _approved[disputeId][msg.sender] = true;
        _approvers[disputeId].push(msg.sender);
        uint8 approvals = d.approvals + 1;
        d.approvals = approvals;
        emit OpeningApproved(disputeId, msg.sender, approvals);
    }

    /// @inheritdoc IEscrowOpenings
    function hasApproved(bytes32 disputeId, address arbiter) external view returns (bool) {
        return _approved[disputeId][arbiter];
    }

    /// @inheritdoc IEscrowOpenings
    function currentApprovals(bytes32 disputeId) public view returns (uint8 count) {
        address[] storage approvers = _approvers[disputeId];
        uint256 n = approvers.length;
        for (uint256 i = 0; i < n && count < type(uint8).max; ++i) {
            address a = approvers[i];
            if (REGISTRY.hasRole(_ARBITER_ROLE, a) && !REGISTRY.hasRole(_REGISTRAR_ROLE, a)) ++count;
        }
    }

    /// @inheritdoc IEscrowOpenings
    function recordOpening(bytes32 disputeId, bytes32 commitment) external {
        _checkRole(_REGISTRAR_ROLE);
        Dispute storage d = _disputes[disputeId];
        address requester = d.requester;
        if (requester == address(0)) revert EscrowUnknownDispute(disputeId);
        if (commitment == bytes32(0)) revert EscrowInvalidCommitment(disputeId);
        if (_openings[disputeId].opener != address(0)) revert EscrowAlreadyOpened(disputeId);
        if (_approved[disputeId][msg.sender]) revert EscrowOpenerNotIndependent(disputeId, msg.sender);
        uint8 current = currentApprovals(disputeId);
        if (current < THRESHOLD) revert EscrowNotEnoughApprovals(disputeId, current, THRESHOLD);
        uint40 now_ = _time();
        _openings[disputeId] = Opening({commitment: commitment, opener: msg.sender, openedAt: now_});
        emit EscrowOpened(disputeId, requester, msg.sender, commitment, now_);
    }

    /// @inheritdoc IEscrowOpenings
    function disputeOf(bytes32 disputeId) external view returns (Dispute memory d) {
        d = _disputes[disputeId];
        if (d.requester == address(0)) revert EscrowUnknownDispute(disputeId);
    }

    /// @inheritdoc IEscrowOpenings
    function openingOf(bytes32 disputeId) external view returns (Opening memory o) {
        o = _openings[disputeId];
        if (o.opener == address(0)) revert EscrowNotOpened(disputeId);
    }

    /// @inheritdoc IEscrowOpenings
    function isOpened(bytes32 disputeId) external view returns (bool) {
        return _openings[disputeId].opener != address(0);
    }

    /// @inheritdoc IEscrowOpenings
    function openingCommitment(bytes32 disputeId, bytes32 salt, bytes32 publicKey) public pure returns (bytes32) {
        return keccak256(abi.encode(disputeId, salt, publicKey));
    }

    /// @inheritdoc IEscrowOpenings
    function verifyOpening(bytes32 disputeId, bytes32 salt, bytes32 publicKey) external view returns (bool) {
        Opening memory o = _openings[disputeId];
        return o.opener != address(0) && o.commitment == openingCommitment(disputeId, salt, publicKey);
    }

    /// @dev The clock: block time in the width the records store.
    function _time() private view returns (uint40) {
        return uint40(block.timestamp);
    }

    function _addRecorder(address recorder) private {
        if (recorder.code.length == 0 || _recorders[recorder]) revert EscrowInvalidRecorder(recorder);
        _recorders[recorder] = true;
        emit DisputeRecorderAdded(recorder);
    }

    /// @dev Reverts unless the caller is an arbiter and not also the CA (who opens, so never approves).
    function _checkApprover(bytes32 disputeId) private view {
        _checkRole(_ARBITER_ROLE);
        if (REGISTRY.hasRole(_REGISTRAR_ROLE, msg.sender)) revert EscrowApproverNotIndependent(disputeId, msg.sender);
    }

    /// @dev Reverts unless the caller holds `role` in the registry.
    function _checkRole(bytes32 role) private view {
        if (!REGISTRY.hasRole(role, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
        }
    }
}
