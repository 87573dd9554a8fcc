// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title A contract that records disputes others may point at
/// @notice An escrow opening (and any other action that is allowed only "for a dispute") names the
/// contract that recorded the dispute and the dispute's id there; that contract answers here whether
/// the dispute exists and who opened it. RoamingSettlement answers for its CDR and claim disputes
/// (`disputeId` is `bytes32(uint256(id))` of its numbering); EvidenceLedger answers for recorded
/// evidence disputes.
interface IDisputeRecords {
    /// @notice Who opened dispute `disputeId` and when; `(address(0), 0)` when no such dispute exists.
    function disputeRecordOf(bytes32 disputeId) external view returns (address openedBy, uint40 openedAt);
}
