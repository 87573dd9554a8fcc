// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeRecords} from "../interfaces/IDisputeRecords.sol";

/// @dev Stands in for RoamingSettlement's dispute records in tests: disputes opened by anyone.
contract MockDisputeRecords is IDisputeRecords {
    mapping(bytes32 disputeId => address) private _openedBy;
    mapping(bytes32 disputeId => uint40) private _openedAt;

    function openDispute(bytes32 disputeId) external {
        _openedBy[disputeId] = msg.sender;
        _openedAt[disputeId] = uint40(block.timestamp);
    }

    function disputeRecordOf(bytes32 disputeId) external view returns (address openedBy, uint40 openedAt) {
        return (_openedBy[disputeId], _openedAt[disputeId]);
    }
}
