// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Registry of V2G participants, their signing keys and group commitments
/// @notice Participants are accounts holding one or more roles (CA/registrar, supplier,
/// aggregator, EVSE/meter, DCC, arbiter, evidence submitter). Each participant owns signing
/// keys with validity intervals, so evidence signed while a key was valid stays verifiable
/// after rotation or revocation. Group commitments are versioned Merkle roots over the
/// public keys of the vehicles enrolled in a group (the rings of anonymous authentication).
/// Nothing personal is stored: accounts belong to organisations and devices, group members
/// are committed only as a root.
interface IParticipantRegistry is IAccessControl {
    /// @notice A signing key's owner and validity interval `[validFrom, validUntil)`.
    /// @dev `validUntil == type(uint40).max` means open-ended. Packed into one slot.
    struct SigningKey {
        address participant;
        uint40 validFrom;
        uint40 validUntil;
    }

    /// @notice One published version of a group commitment.
    /// @param root Merkle root (OpenZeppelin StandardMerkleTree, leaf type `bytes32`) of the
    /// members' 32-byte public keys.
    /// @param memberCount Number of leaves under `root`.
    /// @param publishedAt Time the version was published.
    /// @param supersededAt Time the next version was published (0 while this one is the latest).
    struct GroupVersion {
        bytes32 root;
        uint32 memberCount;
        uint40 publishedAt;
        uint40 supersededAt;
    }

    /// @notice Emitted when `key` is registered for `participant`.
    event SigningKeyAdded(address indexed participant, address indexed key, uint40 validFrom, uint40 validUntil);

    /// @notice Emitted when `key` stops being valid at `validUntil` (revocation or rotation).
    event SigningKeyRevoked(address indexed participant, address indexed key, uint40 validUntil);

    /// @notice Emitted when version `version` of group `groupId` is published.
    event GroupRootPublished(bytes32 indexed groupId, uint32 indexed version, bytes32 root, uint32 memberCount);

    /// @notice Thrown when the new key's own signature over the key binding is missing or wrong
    /// (proof of possession).
    error RegistryInvalidKeyProof(address key);

    /// @notice Thrown when the registrar binds a key without the participant's consent (a signature
    /// over the key binding by the participant's account or by one of its keys valid now).
    error RegistryMissingConsent(address participant);

    /// @notice Thrown when a key is registered twice (a key belongs to one participant forever).
    error RegistryKeyAlreadyRegistered(address key);

    /// @notice Thrown when a key is not registered.
    error RegistryUnknownKey(address key);

    /// @notice Thrown when a validity interval is empty, starts in the past or is otherwise invalid.
    error RegistryInvalidInterval(uint40 validFrom, uint40 validUntil);

    /// @notice Thrown when a key is added for an account that holds no participant role.
    error RegistryNotAParticipant(address account);

    /// @notice Thrown when a group root is zero or a group has no members.
    error RegistryInvalidGroupRoot(bytes32 groupId);

    /// @notice Thrown when a group version does not exist.
    error RegistryUnknownGroupVersion(bytes32 groupId, uint32 version);

    /// @notice How long a superseded group version still proves membership, in seconds.
    function GROUP_GRACE_PERIOD() external view returns (uint256);

    /// @notice EIP-712 type hash of
    /// `KeyBinding(address participant,address key,uint40 validFrom,uint40 validUntil)`.
    function KEY_BINDING_TYPEHASH() external view returns (bytes32);

    /// @notice Role of the CA / registrar: grants participant roles, enrols keys, publishes groups.
    function REGISTRAR_ROLE() external view returns (bytes32);

    /// @notice Role of electricity suppliers.
    function SUPPLIER_ROLE() external view returns (bytes32);

    /// @notice Role of aggregators (LAG / EVAGG).
    function AGGREGATOR_ROLE() external view returns (bytes32);

    /// @notice Role of EVSEs and smart meters.
    function METER_ROLE() external view returns (bytes32);

    /// @notice Role of the data and communications company (DCC).
    function DCC_ROLE() external view returns (bytes32);

    /// @notice Role of arbiters who rule on disputes; administered by the default admin, not the registrar.
    function ARBITER_ROLE() external view returns (bytes32);

    /// @notice Role of accounts allowed to anchor evidence in the EvidenceLedger.
    function SUBMITTER_ROLE() external view returns (bytes32);

    /// @notice True if `account` holds any participant role (everything but the admin role).
    function isParticipant(address account) external view returns (bool);

    /// @notice Registers signing `key` for `participant`, valid in `[validFrom, validUntil)`.
    /// @dev Callable by the registrar or by the participant itself (others revert with
    /// `AccessControlUnauthorizedAccount(caller, REGISTRAR_ROLE)`). `validFrom` may not lie in the past.
    /// `keyProof` is the key's own ECDSA signature over {keyBindingDigest} (proof of possession, so
    /// nobody registers another's key). When the registrar calls, `consent` is the participant's
    /// signature over the same digest, by its account (ECDSA or ERC-1271) or by one of its keys valid
    /// now; when the participant calls, its call is its consent and `consent` is ignored.
    function addSigningKey(
        address participant,
        address key,
        uint40 validFrom,
        uint40 validUntil,
        bytes calldata keyProof,
        bytes calldata consent
    ) external;

    /// @notice EIP-712 digest (this registry's domain) of the binding of `key` to `participant`.
    function keyBindingDigest(address participant, address key, uint40 validFrom, uint40 validUntil)
        external
        view
        returns (bytes32);

    /// @notice Ends the validity of `key` at `max(effectiveAt, now)`; never retroactive, so evidence
    /// signed before stays verifiable.
    /// @dev Callable by the registrar or by the key's owner. Shortening only.
    function revokeSigningKey(address key, uint40 effectiveAt) external;

    /// @notice The owner and validity interval of `key`; reverts with {RegistryUnknownKey} if unknown.
    function signingKey(address key) external view returns (SigningKey memory);

    /// @notice True if `key` is registered for `participant` and valid at `time`.
    function isKeyValid(address participant, address key, uint256 time) external view returns (bool);

    /// @notice Publishes the next version of group `groupId`: `root` over `memberCount` member keys.
    /// @return version The new version number (1 for the first).
    function publishGroupRoot(bytes32 groupId, bytes32 root, uint32 memberCount) external returns (uint32 version);

    /// @notice The newest version number of `groupId` (0 if none).
    function latestGroupVersion(bytes32 groupId) external view returns (uint32);

    /// @notice Version `version` of `groupId`; reverts with {RegistryUnknownGroupVersion} if absent.
    function groupVersion(bytes32 groupId, uint32 version) external view returns (GroupVersion memory);

    /// @notice True if version `version` of `groupId` exists, was published at or before `time`, and
    /// is the latest or was superseded less than {GROUP_GRACE_PERIOD} before `time`: no version is
    /// current before it was published, so a member added later never proves an earlier membership.
    function isGroupVersionCurrent(bytes32 groupId, uint32 version, uint256 time) external view returns (bool);

    /// @notice True if version `version` of `groupId` is current now (see {isGroupVersionCurrent}) and
    /// `memberKey` is a leaf of it under `proof`: a member removed in a later version stops proving
    /// membership once the grace period is over.
    function isGroupMember(bytes32 groupId, uint32 version, bytes32 memberKey, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
