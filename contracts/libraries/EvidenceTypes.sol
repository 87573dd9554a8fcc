// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title EIP-712 types of V2G evidence, version 2
/// @notice Every message is `Type(Header header, TypeBody body)`: the header carries what the
/// chain checks (salted session id, sequence number, nonce, validity window, intended receiver and
/// receipt deadline), the body carries the payload and reaches the chain only as its struct hash.
/// Version 2 added `receiver` and `receiptDeadline` to the header (domain version "2"); version 1
/// bundles stay verifiable off-chain with the version 1 table of `src/evidence/types.ts`. The type strings here and the table
/// in `src/evidence/types.ts` are the same source of truth; a parity test compares every hash.
library EvidenceTypes {
    /// @notice Common header of every message.
    /// @param sessionId Salted per-session value (never a vehicle or user id).
    /// @param seq Sequence number of the message within the session, per origin.
    /// @param nonce Random value, unique per origin.
    /// @param issuedAt Signing time (seconds); the signing key must be valid at this time.
    /// @param expiresAt End of the validity window (seconds, inclusive).
    /// @param receiver The participant the message is addressed to: only its receipt counts.
    /// @param receiptDeadline Time by which `receiver` must receipt the message, else the origin may
    /// record a refusal (signed, so nobody else can shorten or stretch it).
    struct Header {
        bytes32 sessionId;
        uint64 seq;
        bytes32 nonce;
        uint64 issuedAt;
        uint64 expiresAt;
        address receiver;
        uint64 receiptDeadline;
    }

    /// @notice The NRR: a receiver's signature over an NRO digest, its own time and a nonce.
    struct Receipt {
        bytes32 nroDigest;
        bytes32 sessionId;
        uint64 receivedAt;
        bytes32 nonce;
    }

    struct ReqEvBody {
        address pseudonym;
        bytes32 pseudonymCert;
        uint16 targetSocBp;
        uint64 departure;
        uint32 maxPowerW;
        uint8 preferences;
    }

    struct ScheduleBody {
        bytes32 requestDigest;
        uint64 start;
        uint32 slotSeconds;
        int32[] powerW;
        uint256 costEstimate;
        uint32 revision;
    }

    struct ConfirmationBody {
        bytes32 scheduleDigest;
        uint8 decision;
    }

    struct CsevBody {
        bytes32 scheduleDigest;
        uint8 command;
        int32 powerW;
        uint64 effectiveAt;
    }

    struct MeterReadingBody {
        bytes32 meterId;
        uint64 readAt;
        uint64 importWh;
        uint64 exportWh;
        bytes32 ocmfHash;
    }

    struct ChargeDetailRecordBody {
        bytes32 cdrId;
        address hostSupplier;
        address homeSupplier;
        uint64 start;
        uint64 end;
        uint64 energyWh;
        uint256 amount;
        bytes32 readingsRoot;
    }

    struct PaymentBody {
        uint8 flow;
        bytes32 payer;
        bytes32 payee;
        address token;
        uint256 amount;
        bytes32 ref;
    }

    uint8 internal constant REQ_EV = 0;
    uint8 internal constant SCHEDULE = 1;
    uint8 internal constant CONFIRMATION = 2;
    uint8 internal constant CSEV = 3;
    uint8 internal constant METER_READING = 4;
    uint8 internal constant CHARGE_DETAIL_RECORD = 5;
    uint8 internal constant PAYMENT = 6;
    uint8 internal constant MESSAGE_TYPE_COUNT = 7;

    /// @notice Kinds of anchors: messages, receipts, charge detail records, bundles, authentications,
    /// heads of the DCC's access log.
    uint8 internal constant ANCHOR_KIND_COUNT = 6;

    bytes32 internal constant HEADER_TYPEHASH = keccak256(bytes(_HEADER));

    bytes32 internal constant RECEIPT_TYPEHASH =
        keccak256("Receipt(bytes32 nroDigest,bytes32 sessionId,uint64 receivedAt,bytes32 nonce)");

    string private constant _HEADER =
        "Header(bytes32 sessionId,uint64 seq,bytes32 nonce,uint64 issuedAt,uint64 expiresAt,address receiver,uint64 receiptDeadline)";
    string private constant _REQ_EV_BODY =
        "ReqEvBody(address pseudonym,bytes32 pseudonymCert,uint16 targetSocBp,uint64 departure,uint32 maxPowerW,uint8 preferences)";
    string private constant _SCHEDULE_BODY =
        "ScheduleBody(bytes32 requestDigest,uint64 start,uint32 slotSeconds,int32[] powerW,uint256 costEstimate,uint32 revision)";
    string private constant _CONFIRMATION_BODY = "ConfirmationBody(bytes32 scheduleDigest,uint8 decision)";
    string private constant _CSEV_BODY = "CsevBody(bytes32 scheduleDigest,uint8 command,int32 powerW,uint64 effectiveAt)";
    string private constant _METER_READING_BODY =
        "MeterReadingBody(bytes32 meterId,uint64 readAt,uint64 importWh,uint64 exportWh,bytes32 ocmfHash)";
    string private constant _CDR_BODY =
        "ChargeDetailRecordBody(bytes32 cdrId,address hostSupplier,address homeSupplier,uint64 start,uint64 end,uint64 energyWh,uint256 amount,bytes32 readingsRoot)";
    string private constant _PAYMENT_BODY =
        "PaymentBody(uint8 flow,bytes32 payer,bytes32 payee,address token,uint256 amount,bytes32 ref)";

    // Referenced types follow the primary type in alphabetical order (EIP-712 encodeType).
    bytes32 internal constant REQ_EV_TYPEHASH =
        keccak256(abi.encodePacked("ReqEv(Header header,ReqEvBody body)", _HEADER, _REQ_EV_BODY));
    bytes32 internal constant SCHEDULE_TYPEHASH =
        keccak256(abi.encodePacked("Schedule(Header header,ScheduleBody body)", _HEADER, _SCHEDULE_BODY));
    bytes32 internal constant CONFIRMATION_TYPEHASH = keccak256(
        abi.encodePacked("Confirmation(Header header,ConfirmationBody body)", _CONFIRMATION_BODY, _HEADER)
    );
    bytes32 internal constant CSEV_TYPEHASH =
        keccak256(abi.encodePacked("Csev(Header header,CsevBody body)", _CSEV_BODY, _HEADER));
    bytes32 internal constant METER_READING_TYPEHASH = keccak256(
        abi.encodePacked("MeterReading(Header header,MeterReadingBody body)", _HEADER, _METER_READING_BODY)
    );
    bytes32 internal constant CHARGE_DETAIL_RECORD_TYPEHASH = keccak256(
        abi.encodePacked("ChargeDetailRecord(Header header,ChargeDetailRecordBody body)", _CDR_BODY, _HEADER)
    );
    bytes32 internal constant PAYMENT_TYPEHASH =
        keccak256(abi.encodePacked("Payment(Header header,PaymentBody body)", _HEADER, _PAYMENT_BODY));

    bytes32 internal constant REQ_EV_BODY_TYPEHASH = keccak256(bytes(_REQ_EV_BODY));
    bytes32 internal constant SCHEDULE_BODY_TYPEHASH = keccak256(bytes(_SCHEDULE_BODY));
    bytes32 internal constant CONFIRMATION_BODY_TYPEHASH = keccak256(bytes(_CONFIRMATION_BODY));
    bytes32 internal constant CSEV_BODY_TYPEHASH = keccak256(bytes(_CSEV_BODY));
    bytes32 internal constant METER_READING_BODY_TYPEHASH = keccak256(bytes(_METER_READING_BODY));
    bytes32 internal constant CDR_BODY_TYPEHASH = keccak256(bytes(_CDR_BODY));
    bytes32 internal constant PAYMENT_BODY_TYPEHASH = keccak256(bytes(_PAYMENT_BODY));

    /// @notice Thrown when a message type is out of range.
    error EvidenceTypesUnknownMessageType(uint8 messageType);

    /// @notice The outer type hash of `messageType`.
    function messageTypehash(uint8 messageType) internal pure returns (bytes32) {
        if (messageType == REQ_EV) return REQ_EV_TYPEHASH;
        if (messageType == SCHEDULE) return SCHEDULE_TYPEHASH;
        if (messageType == CONFIRMATION) return CONFIRMATION_TYPEHASH;
        if (messageType == CSEV) return CSEV_TYPEHASH;
        if (messageType == METER_READING) return METER_READING_TYPEHASH;
        if (messageType == CHARGE_DETAIL_RECORD) return CHARGE_DETAIL_RECORD_TYPEHASH;
        if (messageType == PAYMENT) return PAYMENT_TYPEHASH;
        revert EvidenceTypesUnknownMessageType(messageType);
    }

    function hashHeader(Header calldata h) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                HEADER_TYPEHASH, h.sessionId, h.seq, h.nonce, h.issuedAt, h.expiresAt, h.receiver, h.receiptDeadline
            )
        );
    }

    /// @notice Struct hash of a whole message from its header and its body's struct hash.
    function hashMessage(uint8 messageType, Header calldata h, bytes32 bodyHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(messageTypehash(messageType), hashHeader(h), bodyHash));
    }

    function hashReceipt(Receipt calldata r) internal pure returns (bytes32) {
        return keccak256(abi.encode(RECEIPT_TYPEHASH, r.nroDigest, r.sessionId, r.receivedAt, r.nonce));
    }

    function hashReqEvBody(ReqEvBody memory b) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                REQ_EV_BODY_TYPEHASH, b.pseudonym, b.pseudonymCert, b.targetSocBp, b.departure, b.maxPowerW, b.preferences
            )
        );
    }

    function hashScheduleBody(ScheduleBody memory b) internal pure returns (bytes32) {
        // EIP-712 encodes an array as the hash of its elements, each encoded to 32 bytes
        // (abi.encodePacked pads array elements, sign-extending signed integers).
        return keccak256(
            abi.encode(
                SCHEDULE_BODY_TYPEHASH,
                b.requestDigest,
                b.start,
                b.slotSeconds,
                keccak256(abi.encodePacked(b.powerW)),
                b.costEstimate,
                b.revision
            )
        );
    }

    function hashConfirmationBody(ConfirmationBody memory b) internal pure returns (bytes32) {
        return keccak256(abi.encode(CONFIRMATION_BODY_TYPEHASH, b.scheduleDigest, b.decision));
    }

    function hashCsevBody(CsevBody memory b) internal pure returns (bytes32) {
        return keccak256(abi.encode(CSEV_BODY_TYPEHASH, b.scheduleDigest, b.command, b.powerW, b.effectiveAt));
    }

    function hashMeterReadingBody(MeterReadingBody memory b) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(METER_READING_BODY_TYPEHASH, b.meterId, b.readAt, b.importWh, b.exportWh, b.ocmfHash)
        );
    }

    function hashChargeDetailRecordBody(ChargeDetailRecordBody memory b) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                CDR_BODY_TYPEHASH,
                b.cdrId,
                b.hostSupplier,
                b.homeSupplier,
                b.start,
                b.end,
                b.energyWh,
                b.amount,
                b.readingsRoot
            )
        );
    }

    function hashPaymentBody(PaymentBody memory b) internal pure returns (bytes32) {
        return keccak256(abi.encode(PAYMENT_BODY_TYPEHASH, b.flow, b.payer, b.payee, b.token, b.amount, b.ref));
    }
}
