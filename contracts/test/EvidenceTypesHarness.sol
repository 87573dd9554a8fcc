// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EvidenceTypes} from "../libraries/EvidenceTypes.sol";

/// @dev Exposes the library's hashes so tests can compare them with the TypeScript side.
contract EvidenceTypesHarness {
    function messageTypehash(uint8 messageType) external pure returns (bytes32) {
        return EvidenceTypes.messageTypehash(messageType);
    }

    function headerTypehash() external pure returns (bytes32) {
        return EvidenceTypes.HEADER_TYPEHASH;
    }

    function receiptTypehash() external pure returns (bytes32) {
        return EvidenceTypes.RECEIPT_TYPEHASH;
    }

    function hashHeader(EvidenceTypes.Header calldata h) external pure returns (bytes32) {
        return EvidenceTypes.hashHeader(h);
    }

    function hashReqEvBody(EvidenceTypes.ReqEvBody calldata b) external pure returns (bytes32) {
        return EvidenceTypes.hashReqEvBody(b);
    }

    function hashScheduleBody(EvidenceTypes.ScheduleBody calldata b) external pure returns (bytes32) {
        return EvidenceTypes.hashScheduleBody(b);
    }

    function hashConfirmationBody(EvidenceTypes.ConfirmationBody calldata b) external pure returns (bytes32) {
        return EvidenceTypes.hashConfirmationBody(b);
    }

    function hashCsevBody(EvidenceTypes.CsevBody calldata b) external pure returns (bytes32) {
        return EvidenceTypes.hashCsevBody(b);
    }

    function hashMeterReadingBody(EvidenceTypes.MeterReadingBody calldata b) external pure returns (bytes32) {
        return EvidenceTypes.hashMeterReadingBody(b);
    }

    function hashChargeDetailRecordBody(EvidenceTypes.ChargeDetailRecordBody calldata b)
        external
        pure
        returns (bytes32)
    {
        return EvidenceTypes.hashChargeDetailRecordBody(b);
    }

    function hashPaymentBody(EvidenceTypes.PaymentBody calldata b) external pure returns (bytes32) {
        return EvidenceTypes.hashPaymentBody(b);
    }
}
