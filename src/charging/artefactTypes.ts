/**
 * EIP-712 types of the charging artefacts the evidence type table does not hold: pseudonym
 * certificates, tariffs, price signals, EVSE authorisations and the DCC's access-log entries. They are signed under a
 * charging domain of their own (bound to the chain and the participant registry), verified
 * off-chain against the registry's keys, and kept as evidence.
 */
import type { TypedDataField } from "ethers";
import { CERTIFICATE_DOMAIN_NAME, CERTIFICATE_DOMAIN_VERSION, certificateDomain, PSEUDONYM_CERT_FIELDS, type PseudonymCert } from "../evidence/pseudonymCerts.js";

export type { PseudonymCert } from "../evidence/pseudonymCerts.js";

/** The charging domain is the one pseudonym certificates are verified under (`src/evidence/pseudonymCerts.ts`). */
export const CHARGING_DOMAIN_NAME = CERTIFICATE_DOMAIN_NAME;
export const CHARGING_DOMAIN_VERSION = CERTIFICATE_DOMAIN_VERSION;
export const chargingDomain = certificateDomain;

const f = (name: string, type: string): TypedDataField => ({ name, type });

export const ARTEFACT_FIELDS = {
  /** A supplier certifies a session pseudonym as "a customer of S" for a validity window. */
  PseudonymCert: PSEUDONYM_CERT_FIELDS,
  /** A supplier's tariff: prices per slot in micro-units per kWh. */
  Tariff: [
    f("supplier", "address"),
    f("tariffId", "bytes32"),
    f("currency", "bytes32"),
    f("start", "uint64"),
    f("slotSeconds", "uint32"),
    f("importPrice", "uint64[]"),
    f("exportPrice", "uint64[]"),
    f("peakMask", "bool[]"),
    f("validUntil", "uint64"),
  ],
  /** A price update for slots of a tariff, in sequence. */
  PriceSignal: [
    f("supplier", "address"),
    f("tariffId", "bytes32"),
    f("seq", "uint64"),
    f("firstSlot", "uint32"),
    f("importPrice", "uint64[]"),
    f("exportPrice", "uint64[]"),
    f("issuedAt", "uint64"),
    f("validUntil", "uint64"),
  ],
  /** An EVSE owner lets a vehicle (its key) charge at one EVSE. */
  EvseAuthorisation: [f("owner", "address"), f("evseId", "bytes32"), f("vehicle", "address"), f("validFrom", "uint64"), f("validUntil", "uint64")],
  /** One entry of the DCC's access log, chained to the previous entry's hash. */
  AccessLogEntry: [
    f("prev", "bytes32"),
    f("seq", "uint64"),
    f("at", "uint64"),
    f("actor", "bytes32"),
    f("role", "uint8"),
    f("kind", "uint8"),
    f("target", "bytes32"),
    f("allowed", "bool"),
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

export type ArtefactType = keyof typeof ARTEFACT_FIELDS;

export interface Tariff {
  supplier: string;
  tariffId: string;
  currency: string;
  start: bigint;
  slotSeconds: number;
  importPrice: bigint[];
  exportPrice: bigint[];
  peakMask: boolean[];
  validUntil: bigint;
}

export interface PriceSignal {
  supplier: string;
  tariffId: string;
  seq: bigint;
  firstSlot: number;
  importPrice: bigint[];
  exportPrice: bigint[];
  issuedAt: bigint;
  validUntil: bigint;
}

export interface EvseAuthorisation {
  owner: string;
  evseId: string;
  vehicle: string;
  validFrom: bigint;
  validUntil: bigint;
}

export interface AccessLogEntry {
  prev: string;
  seq: bigint;
  at: bigint;
  actor: string;
  role: number;
  kind: number;
  target: string;
  allowed: boolean;
}

export interface ArtefactOf {
  PseudonymCert: PseudonymCert;
  Tariff: Tariff;
  PriceSignal: PriceSignal;
  EvseAuthorisation: EvseAuthorisation;
  AccessLogEntry: AccessLogEntry;
}

/** A signed artefact: the value, the party it is attributed to, the signing key and its signature. */
export interface SignedArtefact<T extends ArtefactType = ArtefactType> {
  type: T;
  value: ArtefactOf[T];
  party: string;
  signer: string;
  signature: string;
  digest: string;
}
