// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IEscrowOpenings} from "./interfaces/IEscrowOpenings.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @title EscrowOpenings
/// @notice Write-once records of disputes that request an escrow opening, and of the openings.
contract EscrowOpenings is IEscrowOpenings {
    /// @inheritdoc IEscrowOpenings
    IParticipantRegistry public immutable REGISTRY;
    bytes32 private immutable _ARBITER_ROLE;
    bytes32 private immutable _REGISTRAR_ROLE;

    mapping(bytes32 disputeId => Dispute) private _disputes;
    mapping(bytes32 disputeId => Opening) private _openings;

    /// @param registry The registry whose ARBITER_ROLE and REGISTRAR_ROLE authorise the calls.
    constructor(IParticipantRegistry registry) {
        REGISTRY = registry;
        _ARBITER_ROLE = registry.ARBITER_ROLE();
        _REGISTRAR_ROLE = registry.REGISTRAR_ROLE();
    }

    /// @inheritdoc IEscrowOpenings
    function recordDispute(bytes32 disputeId, bytes32 authDigest, bytes32 reasonHash) external {
        _checkRole(_ARBITER_ROLE);
        if (disputeId == bytes32(0) || authDigest == bytes32(0)) revert EscrowInvalidDispute(disputeId, authDigest);
        if (_disputes[disputeId].requester != address(0)) revert EscrowDisputeAlreadyRecorded(disputeId);
        uint40 now_ = _time();
        _disputes[disputeId] =
            Dispute({authDigest: authDigest, reasonHash: reasonHash, requester: msg.sender, requestedAt: now_});
        emit OpeningRequested(disputeId, authDigest, msg.sender, reasonHash, now_);
    }

    /// @inheritdoc IEscrowOpenings
    function recordOpening(bytes32 disputeId, bytes32 commitment) external {
        _checkRole(_REGISTRAR_ROLE);
        address requester = _disputes[disputeId].requester;
        if (requester == address(0)) revert EscrowUnknownDispute(disputeId);
        if (commitment == bytes32(0)) revert EscrowInvalidCommitment(disputeId);
        if (_openings[disputeId].opener != address(0)) revert EscrowAlreadyOpened(disputeId);
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

    /// @dev The clock; a test contract overrides it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    /// @dev Reverts unless the caller holds `role` in the registry.
    function _checkRole(bytes32 role) private view {
        if (!REGISTRY.hasRole(role, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
        }
    }
}
