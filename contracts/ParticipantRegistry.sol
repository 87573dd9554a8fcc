// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @title ParticipantRegistry
/// @notice Roles, signing keys with validity intervals, and versioned group commitments.
/// @dev The default admin (two-step transfer with a delay) administers the registrar and arbiter
/// roles; the registrar administers every other participant role.
contract ParticipantRegistry is AccessControlDefaultAdminRules, EIP712, IParticipantRegistry {
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant SUPPLIER_ROLE = keccak256("SUPPLIER_ROLE");
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant AGGREGATOR_ROLE = keccak256("AGGREGATOR_ROLE");
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant METER_ROLE = keccak256("METER_ROLE");
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant DCC_ROLE = keccak256("DCC_ROLE");
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant SUBMITTER_ROLE = keccak256("SUBMITTER_ROLE");
    /// @inheritdoc IParticipantRegistry
    uint256 public constant GROUP_GRACE_PERIOD = 1 hours;
    /// @inheritdoc IParticipantRegistry
    bytes32 public constant KEY_BINDING_TYPEHASH =
        keccak256("KeyBinding(address participant,address key,uint40 validFrom,uint40 validUntil)");

    mapping(address key => SigningKey) private _keys;
    mapping(bytes32 groupId => uint32) private _latestVersion;
    mapping(bytes32 groupId => mapping(uint32 version => GroupVersion)) private _groups;

    /// @param adminDelay Delay of a default-admin transfer, in seconds.
    /// @param admin Initial default admin (should be a multisig in production).
    /// @param registrar Initial holder of the registrar (CA) role.
    constructor(uint48 adminDelay, address admin, address registrar)
        AccessControlDefaultAdminRules(adminDelay, admin)
        EIP712("V2G Participant Registry", "1")
    {
        _setRoleAdmin(SUPPLIER_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(AGGREGATOR_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(METER_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(DCC_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(SUBMITTER_ROLE, REGISTRAR_ROLE);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    /// @inheritdoc IParticipantRegistry
    function isParticipant(address account) public view returns (bool) {
        return hasRole(REGISTRAR_ROLE, account) || hasRole(SUPPLIER_ROLE, account) || hasRole(AGGREGATOR_ROLE, account)
            || hasRole(METER_ROLE, account) || hasRole(DCC_ROLE, account) || hasRole(ARBITER_ROLE, account)
            || hasRole(SUBMITTER_ROLE, account);
    }

    /// @inheritdoc IParticipantRegistry
    function addSigningKey(
        address participant,
        address key,
        uint40 validFrom,
        uint40 validUntil,
        bytes calldata keyProof,
        bytes calldata consent
    ) external {
        _checkKeyManager(participant);
        if (!isParticipant(participant)) revert RegistryNotAParticipant(participant);
        if (key == address(0)) revert RegistryUnknownKey(key);
        if (_keys[key].participant != address(0)) revert RegistryKeyAlreadyRegistered(key);
        if (validFrom < _time() || validUntil <= validFrom) revert RegistryInvalidInterval(validFrom, validUntil);
        bytes32 digest = keyBindingDigest(participant, key, validFrom, validUntil);
        (address possessor, ECDSA.RecoverError failure,) = ECDSA.tryRecoverCalldata(digest, keyProof);
        if (failure != ECDSA.RecoverError.NoError || possessor != key) revert RegistryInvalidKeyProof(key);
        if (msg.sender != participant && !_consented(participant, digest, consent)) {
            revert RegistryMissingConsent(participant);
        }
        _keys[key] = SigningKey({participant: participant, validFrom: validFrom, validUntil: validUntil});
        emit SigningKeyAdded(participant, key, validFrom, validUntil);
    }

    /// @inheritdoc IParticipantRegistry
    function keyBindingDigest(address participant, address key, uint40 validFrom, uint40 validUntil)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(KEY_BINDING_TYPEHASH, participant, key, validFrom, validUntil)));
    }

    /// @inheritdoc IParticipantRegistry
    function revokeSigningKey(address key, uint40 effectiveAt) external {
        SigningKey storage k = _keys[key];
        address participant = k.participant;
        if (participant == address(0)) revert RegistryUnknownKey(key);
        _checkKeyManager(participant);
        uint40 now_ = _time();
        uint40 end = effectiveAt < now_ ? now_ : effectiveAt;
        // Revocation only ever shortens validity, never reopens or backdates it.
        if (end >= k.validUntil) revert RegistryInvalidInterval(k.validFrom, end);
        k.validUntil = end;
        emit SigningKeyRevoked(participant, key, end);
    }

    /// @inheritdoc IParticipantRegistry
    function signingKey(address key) external view returns (SigningKey memory) {
        SigningKey memory k = _keys[key];
        if (k.participant == address(0)) revert RegistryUnknownKey(key);
        return k;
    }

    /// @inheritdoc IParticipantRegistry
    function isKeyValid(address participant, address key, uint256 time) public view returns (bool) {
        SigningKey memory k = _keys[key];
        return participant != address(0) && k.participant == participant && time >= k.validFrom
            && time < k.validUntil;
    }

    /// @inheritdoc IParticipantRegistry
    function publishGroupRoot(bytes32 groupId, bytes32 root, uint32 memberCount)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint32 version)
    {
        if (root == bytes32(0) || memberCount == 0) revert RegistryInvalidGroupRoot(groupId);
        uint40 now_ = _time();
        uint32 previous = _latestVersion[groupId];
        if (previous != 0) _groups[groupId][previous].supersededAt = now_;
        version = previous + 1;
        _latestVersion[groupId] = version;
        _groups[groupId][version] =
            GroupVersion({root: root, memberCount: memberCount, publishedAt: now_, supersededAt: 0});
        emit GroupRootPublished(groupId, version, root, memberCount);
    }

    /// @inheritdoc IParticipantRegistry
    function latestGroupVersion(bytes32 groupId) external view returns (uint32) {
        return _latestVersion[groupId];
    }

    /// @inheritdoc IParticipantRegistry
    function groupVersion(bytes32 groupId, uint32 version) public view returns (GroupVersion memory g) {
        g = _groups[groupId][version];
        if (g.root == bytes32(0)) revert RegistryUnknownGroupVersion(groupId, version);
    }

    /// @inheritdoc IParticipantRegistry
    function isGroupVersionCurrent(bytes32 groupId, uint32 version, uint256 time) public view returns (bool) {
        GroupVersion memory g = _groups[groupId][version];
        return g.root != bytes32(0) && time >= g.publishedAt
            && (g.supersededAt == 0 || time < uint256(g.supersededAt) + GROUP_GRACE_PERIOD);
    }

    /// @inheritdoc IParticipantRegistry
    function isGroupMember(bytes32 groupId, uint32 version, bytes32 memberKey, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = groupVersion(groupId, version).root;
        if (!isGroupVersionCurrent(groupId, version, _time())) return false;
        // StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(value)))), immune to
        // second-preimage attacks with 64-byte inner nodes.
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(memberKey))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc AccessControlDefaultAdminRules
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IParticipantRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev The clock: block time in the width the records store.
    function _time() private view returns (uint40) {
        return uint40(block.timestamp);
    }

    /// @dev The participant consents by its account's signature (ECDSA or ERC-1271) or by the
    /// signature of one of its keys valid now.
    function _consented(address participant, bytes32 digest, bytes calldata consent) private view returns (bool) {
        if (SignatureChecker.isValidSignatureNowCalldata(participant, digest, consent)) return true;
        (address signer, ECDSA.RecoverError failure,) = ECDSA.tryRecoverCalldata(digest, consent);
        return failure == ECDSA.RecoverError.NoError && isKeyValid(participant, signer, _time());
    }

    /// @dev Key management is open to the registrar and to the participant itself.
    function _checkKeyManager(address participant) private view {
        if (msg.sender != participant && !hasRole(REGISTRAR_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, REGISTRAR_ROLE);
        }
    }
}
