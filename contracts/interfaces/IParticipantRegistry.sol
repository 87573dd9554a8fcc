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
    struct GroupVersion {
        bytes32 root;
        uint32 memberCount;
        uint40 publishedAt;
    }

    /// @notice Emitted when `key` is registered for `participant`.
    event SigningKeyAdded(address indexed participant, address indexed key, uint40 validFrom, uint40 validUntil);

    /// @notice Emitted when `key` stops being valid at `validUntil` (revocation or rotation).
    event SigningKeyRevoked(address indexed participant, address indexed key, uint40 validUntil);

    /// @notice Emitted when version `version` of group `groupId` is published.
    event GroupRootPublished(bytes32 indexed groupId, uint32 indexed version, bytes32 root, uint32 memberCount);

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

    /// @notice Role of arbiters who rule on disputes.
    function ARBITER_ROLE() external view returns (bytes32);

    /// @notice Role of accounts allowed to anchor evidence in the EvidenceLedger.
    function SUBMITTER_ROLE() external view returns (bytes32);

    /// @notice True if `account` holds any participant role (everything but the admin role).
    function isParticipant(address account) external view returns (bool);

    /// @notice Registers signing `key` for `participant`, valid in `[validFrom, validUntil)`.
    /// @dev Callable by the registrar or by the participant itself (others revert with
    /// `AccessControlUnauthorizedAccount(caller, REGISTRAR_ROLE)`). `validFrom` may not lie in the past.
    function addSigningKey(address participant, address key, uint40 validFrom, uint40 validUntil) external;

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

    /// @notice True if `memberKey` is a leaf of version `version` of `groupId` under `proof`.
    function isGroupMember(bytes32 groupId, uint32 version, bytes32 memberKey, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
