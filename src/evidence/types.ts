/**
 * The versioned table of EIP-712 evidence types, version 2 (and version 1, kept so that bundles
 * signed under it stay verifiable). Version 2 is one source of truth with
 * `contracts/libraries/EvidenceTypes.sol`: a parity test compares every type hash and digest.
 *
 * Every message is `Name(Header header, NameBody body)`. The chain sees the header and the
 * body's struct hash only; the body stays off-chain. The version of a signature is its domain's
 * `version`: "1" signs the version 1 header, "2" the version 2 header with the intended
 * receiver and the receipt deadline. Bodies and the receipt are the same in both versions.
 */
import type { TypedDataDomain, TypedDataField } from "ethers";
import { EvidenceError } from "./errors.js";

export const EVIDENCE_TYPES_VERSION = 2;
export type EvidenceTypesVersion = 1 | 2;
export const EVIDENCE_TYPES_VERSIONS: readonly EvidenceTypesVersion[] = [1, 2];
export const EVIDENCE_DOMAIN_NAME = "V2G Evidence Ledger";
export const EVIDENCE_DOMAIN_VERSION = "2";

/** Message types with their on-chain codes (`EvidenceTypes.sol`). */
export const MessageType = {
  ReqEv: 0,
  Schedule: 1,
  Confirmation: 2,
  Csev: 3,
  MeterReading: 4,
  ChargeDetailRecord: 5,
  Payment: 6,
} as const;
export type MessageTypeName = keyof typeof MessageType;
export const MESSAGE_TYPE_NAMES = Object.keys(MessageType) as MessageTypeName[];

/** Kinds of anchored batches (the `kind` of `EvidenceLedger.anchorBatch`). */
export const AnchorKind = {
  Messages: 0,
  Receipts: 1,
  ChargeDetailRecords: 2,
  Bundle: 3,
  Authentications: 4,
  AccessLog: 5,
} as const;
export type AnchorKindName = keyof typeof AnchorKind;

const f = (name: string, type: string): TypedDataField => ({ name, type });

/** The version 1 header (still read in version 1 bundles). */
export const HEADER_FIELDS_V1: TypedDataField[] = [
  f("sessionId", "bytes32"),
  f("seq", "uint64"),
  f("nonce", "bytes32"),
  f("issuedAt", "uint64"),
  f("expiresAt", "uint64"),
];

/** The header: version 1's fields, then the intended receiver and the receipt deadline. */
export const HEADER_FIELDS: TypedDataField[] = [
  ...HEADER_FIELDS_V1,
  f("receiver", "address"),
  f("receiptDeadline", "uint64"),
];

/** The header fields of `version`. */
export function headerFields(version: EvidenceTypesVersion = EVIDENCE_TYPES_VERSION): TypedDataField[] {
  return version === 1 ? HEADER_FIELDS_V1 : HEADER_FIELDS;
}

export const RECEIPT_FIELDS: TypedDataField[] = [
  f("nroDigest", "bytes32"),
  f("sessionId", "bytes32"),
  f("receivedAt", "uint64"),
  f("nonce", "bytes32"),
];

export const BODY_FIELDS: Record<MessageTypeName, TypedDataField[]> = {
  ReqEv: [
    f("pseudonym", "address"),
    f("pseudonymCert", "bytes32"),
    f("targetSocBp", "uint16"),
    f("departure", "uint64"),
    f("maxPowerW", "uint32"),
    f("preferences", "uint8"),
  ],
  Schedule: [
    f("requestDigest", "bytes32"),
    f("start", "uint64"),
    f("slotSeconds", "uint32"),
    f("powerW", "int32[]"),
    f("costEstimate", "uint256"),
    f("revision", "uint32"),
  ],
  Confirmation: [f("scheduleDigest", "bytes32"), f("decision", "uint8")],
  Csev: [f("scheduleDigest", "bytes32"), f("command", "uint8"), f("powerW", "int32"), f("effectiveAt", "uint64")],
  MeterReading: [
    f("meterId", "bytes32"),
    f("readAt", "uint64"),
    f("importWh", "uint64"),
    f("exportWh", "uint64"),
    f("ocmfHash", "bytes32"),
  ],
  ChargeDetailRecord: [
    f("cdrId", "bytes32"),
    f("hostSupplier", "address"),
    f("homeSupplier", "address"),
    f("start", "uint64"),
    f("end", "uint64"),
    f("energyWh", "uint64"),
    f("amount", "uint256"),
    f("readingsRoot", "bytes32"),
  ],
  Payment: [
    f("flow", "uint8"),
    f("payer", "bytes32"),
    f("payee", "bytes32"),
    f("token", "address"),
    f("amount", "uint256"),
    f("ref", "bytes32"),
  ],
};

/** The EIP-712 `types` object of a message type (what a wallet is asked to sign). */
export function messageTypes(
  type: MessageTypeName,
  version: EvidenceTypesVersion = EVIDENCE_TYPES_VERSION,
): Record<string, TypedDataField[]> {
  return {
    [type]: [f("header", "Header"), f("body", `${type}Body`)],
    Header: headerFields(version),
    [`${type}Body`]: BODY_FIELDS[type],
  };
}

/** The EIP-712 `types` object of the body alone (its struct hash reaches the chain). */
export function bodyTypes(type: MessageTypeName): Record<string, TypedDataField[]> {
  return { [`${type}Body`]: BODY_FIELDS[type] };
}

export const RECEIPT_TYPES: Record<string, TypedDataField[]> = { Receipt: RECEIPT_FIELDS };
export const HEADER_TYPES: Record<string, TypedDataField[]> = { Header: HEADER_FIELDS };

/**
 * The domain of a ledger deployment: binds signatures to one chain and one contract, and (by
 * its `version`) to one version of the type table. Ledgers deployed today sign version 2.
 */
export function evidenceDomain(
  chainId: bigint | number,
  verifyingContract: string,
  version: EvidenceTypesVersion = EVIDENCE_TYPES_VERSION,
): TypedDataDomain {
  return {
    name: EVIDENCE_DOMAIN_NAME,
    version: String(version),
    chainId: BigInt(chainId),
    verifyingContract,
  };
}

/** The type-table version a domain signs under; `EvidenceError("BAD_INPUT")` for any other. */
export function domainTypesVersion(domain: TypedDataDomain): EvidenceTypesVersion {
  const version = EVIDENCE_TYPES_VERSIONS.find((v) => String(v) === domain.version);
  if (version === undefined) {
    throw new EvidenceError("BAD_INPUT", "unknown evidence domain version", { version: String(domain.version) });
  }
  return version;
}

export function isMessageTypeName(value: unknown): value is MessageTypeName {
  return typeof value === "string" && Object.hasOwn(MessageType, value);
}
