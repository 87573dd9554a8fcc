/** Value shapes of the evidence messages (integers of 64 bits and more as bigint). */
import type { MessageTypeName } from "./types.js";

export interface Header {
  /** Salted per-session value (32-byte hex), never a vehicle or user id. */
  sessionId: string;
  seq: bigint;
  /** Random 32-byte hex, unique per origin. */
  nonce: string;
  issuedAt: bigint;
  expiresAt: bigint;
  /**
   * Version 2: the participant the message is addressed to (only its receipt counts). Set by
   * `signMessage` from its `addressing` argument; absent in version 1 messages.
   */
  receiver?: string;
  /** Version 2: time by which `receiver` must receipt the message (seconds). */
  receiptDeadline?: bigint;
}

/** Whom a message is addressed to and by when its receipt is due: signed in the version 2 header. */
export interface Addressing {
  receiver: string;
  receiptDeadline: bigint;
}

export interface Receipt {
  nroDigest: string;
  sessionId: string;
  receivedAt: bigint;
  nonce: string;
}

export interface ReqEvBody {
  pseudonym: string;
  pseudonymCert: string;
  targetSocBp: number;
  departure: bigint;
  maxPowerW: number;
  /** Bit 0 renewable only, bit 1 off-peak only, bit 2 offers ancillary services. */
  preferences: number;
}

export interface ScheduleBody {
  requestDigest: string;
  start: bigint;
  slotSeconds: number;
  /** Power per slot in watts; negative is discharge. */
  powerW: number[];
  costEstimate: bigint;
  revision: number;
}

export interface ConfirmationBody {
  scheduleDigest: string;
  /** 0 accept, 1 reschedule, 2 reject. */
  decision: number;
}

export interface CsevBody {
  scheduleDigest: string;
  /** 0 start, 1 stop, 2 set power, 3 discharge. */
  command: number;
  powerW: number;
  effectiveAt: bigint;
}

export interface MeterReadingBody {
  meterId: string;
  readAt: bigint;
  importWh: bigint;
  exportWh: bigint;
  ocmfHash: string;
}

export interface ChargeDetailRecordBody {
  cdrId: string;
  hostSupplier: string;
  homeSupplier: string;
  start: bigint;
  end: bigint;
  energyWh: bigint;
  amount: bigint;
  readingsRoot: string;
}

export interface PaymentBody {
  /** 0 user→supplier (energy), 1 supplier→user (discharged energy), 2 aggregator→user (ancillary). */
  flow: number;
  payer: string;
  payee: string;
  token: string;
  amount: bigint;
  ref: string;
}

export interface BodyOf {
  ReqEv: ReqEvBody;
  Schedule: ScheduleBody;
  Confirmation: ConfirmationBody;
  Csev: CsevBody;
  MeterReading: MeterReadingBody;
  ChargeDetailRecord: ChargeDetailRecordBody;
  Payment: PaymentBody;
}

export interface EvidenceMessage<T extends MessageTypeName = MessageTypeName> {
  type: T;
  header: Header;
  body: BodyOf[T];
}

/** A proof of origin: the message, the origin party and its key's EIP-712 signature. */
export interface SignedMessage<T extends MessageTypeName = MessageTypeName> extends EvidenceMessage<T> {
  /** Participant account the message is attributed to. */
  party: string;
  /** Address of the registered signing key. */
  signer: string;
  signature: string;
  /** EIP-712 digest under the ledger's domain (the NRO digest). */
  digest: string;
}

/** A proof of receipt: the receiver's signature over the NRO digest, its time and a nonce. */
export interface SignedReceipt {
  receipt: Receipt;
  receiver: string;
  signer: string;
  signature: string;
  digest: string;
}
