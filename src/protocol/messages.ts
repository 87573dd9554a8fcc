/**
 * The wire catalogue, version 1: every message of the context-aware authentication
 * protocols, its type byte and its fields (see `codec.ts` for the field encodings and
 * docs/protocols.md for the sequences). A message is `u8 version = 1 ‖ u8 type ‖ fields`.
 *
 * Session messages (between a vehicle and its LAG, or a LAG and the CA) start with
 * `sessionId, counter` and end with `operator`, the HMAC authentication operator over every
 * byte before it (see `channel.ts`).
 */
import { ENVELOPE_BYTES, MAX_RING_SIZE, signatureLength } from "../crypto/index.js";
import { blobs, bytes16, bytes8, decodeFields, encodeFields, fixed, list, u32, u64, u8, type Decoded, type Schema } from "./codec.js";
import { ProtocolError } from "./errors.js";

/** Wire version spoken by this implementation. */
export const PROTOCOL_VERSION = 1;
/** Largest message accepted before any parsing. */
export const MAX_WIRE_BYTES = 1 << 20;
export const SESSION_ID_BYTES = 16;
export const NONCE_BYTES = 32;
export const KEY_BYTES = 32;
export const TAG_BYTES = 32;
/** Group ids are the registry's `bytes32`. */
export const GROUP_ID_BYTES = 32;
export const REQUEST_ID_BYTES = 16;
/** Largest LAG id (the permit layout allows 64 bytes). */
export const LAG_ID_MAX_BYTES = 64;
export const CA_SIGNATURE_BYTES = 64;
/** One masked status value (mod 2^64). */
export const MASKED_BYTES = 8;
/** A status reply: ChaCha20-Poly1305 of a u64 under a one-time key. */
export const STATUS_REPLY_BYTES = 8 + 16;
/** Most vehicles in one status batch. */
export const MAX_STATUS_BATCH = 256;
/** Largest encoded status entry (masked value, envelope, proof with a ring of MAX_ANSWER_RING). */
export const STATUS_ENTRY_MAX_BYTES = 8192;
/** Most storage answers in one forward or verdict. */
export const MAX_STORAGE_ANSWERS = 32;
/** Largest ring a storage answer may carry (bounds the forward's size). */
export const MAX_STORAGE_RING = 64;
/** Largest ring of a discharge answer's proof (`answerProof.ts` checks the same bound). */
export const MAX_ANSWER_RING = MAX_STORAGE_RING;

const sessionId = ["sessionId", fixed(SESSION_ID_BYTES)] as const;
const counter = ["counter", u64] as const;
const operator = ["operator", fixed(TAG_BYTES)] as const;
const lagId = ["lagId", bytes8(1, LAG_ID_MAX_BYTES)] as const;
const ring = (max: number) => ["ring", list(KEY_BYTES, 2, max)] as const;
const signature = (maxRing: number) => ["signature", bytes16(1, signatureLength("lsag-escrow", maxRing))] as const;
const envelope = ["envelope", fixed(ENVELOPE_BYTES)] as const;
/** A vehicle's ring-signed proof of an answer (`answerProof.ts`). */
const answerProof = [["groupId", fixed(GROUP_ID_BYTES)], ["groupVersion", u64], ring(MAX_ANSWER_RING), ["signature", bytes16(1, signatureLength("lsag", MAX_ANSWER_RING))]] as const;

/** Every message: its type byte and fields. */
export const CATALOGUE = {
  // charging → FC: anonymous authentication (visiting network)
  AuthChallenge: {
    type: 0x01,
    fields: [sessionId, ["nonce", fixed(NONCE_BYTES)], lagId, ["epoch", u64], ["notBefore", u64], ["notAfter", u64], ["lagEphemeralKey", fixed(KEY_BYTES)], ["permit", bytes16(1, 512)]],
  },
  AuthResponse: {
    type: 0x02,
    fields: [sessionId, ["role", u8], ["groupId", fixed(GROUP_ID_BYTES)], ["groupVersion", u64], ["timestamp", u64], ["ephemeralKey", fixed(KEY_BYTES)], ring(MAX_RING_SIZE), signature(MAX_RING_SIZE), operator],
  },
  AuthConfirm: { type: 0x03, fields: [sessionId, ["expiresAt", u64], operator] },
  // home network: pre-shared-key authentication
  HomeChallenge: {
    type: 0x04,
    fields: [sessionId, ["nonce", fixed(NONCE_BYTES)], lagId, ["notBefore", u64], ["notAfter", u64], ["lagEphemeralKey", fixed(KEY_BYTES)]],
  },
  HomeResponse: { type: 0x05, fields: [sessionId, ["hint", fixed(32)], ["timestamp", u64], ["ephemeralKey", fixed(KEY_BYTES)], operator] },
  HomeConfirm: { type: 0x06, fields: [sessionId, ["expiresAt", u64], operator] },
  // FC → discharging
  DischargeRequest: {
    type: 0x10,
    fields: [["requestId", fixed(REQUEST_ID_BYTES)], lagId, ["epoch", u64], ["energyWh", u64], ["notBefore", u64], ["notAfter", u64], ["signature", fixed(CA_SIGNATURE_BYTES)]],
  },
  DischargeOffer: { type: 0x11, fields: [sessionId, counter, ["request", bytes16(1, 256)], operator] },
  DischargeAnswer: { type: 0x12, fields: [sessionId, counter, ["requestId", fixed(REQUEST_ID_BYTES)], envelope, ...answerProof, operator] },
  DischargeForward: { type: 0x13, fields: [sessionId, counter, ["requestId", fixed(REQUEST_ID_BYTES)], envelope, ...answerProof, operator] },
  // discharging → charging: pseudo-status
  StatusReport: { type: 0x20, fields: [sessionId, counter, ["roundId", fixed(16)], ["masked", u64], envelope, ...answerProof, operator] },
  StatusBatch: { type: 0x21, fields: [sessionId, counter, ["batchId", fixed(16)], ["roundId", fixed(16)], ["entries", blobs(1, MAX_STATUS_BATCH, STATUS_ENTRY_MAX_BYTES)], operator] },
  StatusResult: {
    type: 0x22,
    fields: [sessionId, counter, ["batchId", fixed(16)], ["aggregate", u64], ["count", u32], ["replies", list(STATUS_REPLY_BYTES, 1, MAX_STATUS_BATCH)], ["caSignature", fixed(CA_SIGNATURE_BYTES)], operator],
  },
  /** The LAG opens a status round: every report of one batch answers the same round. */
  StatusRound: { type: 0x24, fields: [sessionId, counter, ["roundId", fixed(16)], operator] },
  /** One vehicle's signed entry of a status batch (not a session message: the CA verifies its proof). */
  StatusEntry: { type: 0x25, fields: [["masked", u64], envelope, ...answerProof] },
  StatusDelivery: {
    type: 0x23,
    fields: [sessionId, counter, ["batchId", fixed(16)], ["aggregate", u64], ["count", u32], ["reply", fixed(STATUS_REPLY_BYTES)], ["caSignature", fixed(CA_SIGNATURE_BYTES)], operator],
  },
  /** The vehicle asks its LAG for the next message the LAG holds for the session (round, offer, delivery). */
  SessionPoll: { type: 0x26, fields: [sessionId, counter, operator] },
  // role awareness: storage-BV answers (Figure 4)
  StorageAnswer: {
    type: 0x30,
    fields: [["requestId", fixed(REQUEST_ID_BYTES)], ["sequence", u64], ["answer", u8], ["timestamp", u64], ["ephemeralKey", fixed(KEY_BYTES)], ["groupId", fixed(GROUP_ID_BYTES)], ["groupVersion", u64], ring(MAX_STORAGE_RING), signature(MAX_STORAGE_RING)],
  },
  StorageForward: { type: 0x31, fields: [sessionId, counter, ["requestId", fixed(REQUEST_ID_BYTES)], ["answers", blobs(1, MAX_STORAGE_ANSWERS, 8192)], operator] },
  StorageVerdict: {
    type: 0x32,
    fields: [["requestId", fixed(REQUEST_ID_BYTES)], lagId, ["agreed", u32], ["declined", u32], ["operators", list(KEY_BYTES + TAG_BYTES, 0, MAX_STORAGE_ANSWERS)], ["signature", fixed(CA_SIGNATURE_BYTES)]],
  },
  // mobility: services
  ServiceRequest: { type: 0x40, fields: [sessionId, counter, ["service", u8], ["query", bytes8(0, 255)], operator] },
  ServiceReply: { type: 0x41, fields: [sessionId, counter, ["service", u8], ["status", u8], ["payload", bytes16(0, 4096)], operator] },
  // discharging modes: distributed discharging through the LAG
  EnergyOffer: { type: 0x50, fields: [sessionId, counter, ["roundId", fixed(16)], ["energyWh", u64], operator] },
  EnergyDemand: { type: 0x51, fields: [sessionId, counter, ["roundId", fixed(16)], ["energyWh", u64], operator] },
  EnergyAllocation: { type: 0x52, fields: [sessionId, counter, ["roundId", fixed(16)], ["energyWh", u64], operator] },
} as const satisfies Record<string, { readonly type: number; readonly fields: Schema }>;

/** Name of a message type. */
export type MessageName = keyof typeof CATALOGUE;
/** Decoded fields of a message type. */
export type MessageOf<N extends MessageName> = Decoded<(typeof CATALOGUE)[N]["fields"]>;
/** Session messages: the ones framed by sessionId, counter … operator. */
export type SessionMessageName = {
  [N in MessageName]: MessageOf<N> extends { sessionId: Uint8Array; counter: bigint; operator: Uint8Array } ? N : never;
}[MessageName];

const NAME_OF_TYPE = new Map<number, MessageName>(
  (Object.keys(CATALOGUE) as MessageName[]).map((name) => [CATALOGUE[name].type, name]),
);

/** Encodes a message; throws `ProtocolError("MALFORMED")` for out-of-range values. */
export function encodeMessage<N extends MessageName>(name: N, fields: MessageOf<N>): Uint8Array {
  const entry = CATALOGUE[name];
  return encodeFields([PROTOCOL_VERSION, entry.type], entry.fields, fields as unknown as Record<string, unknown>);
}

/** Reads the header: version and the message name. */
export function peekMessage(bytes: unknown): MessageName {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError("MALFORMED", "a message must be bytes");
  if (bytes.length > MAX_WIRE_BYTES) throw new ProtocolError("MALFORMED", "message too large", { details: { length: bytes.length } });
  if (bytes.length < 2) throw new ProtocolError("MALFORMED", "message shorter than its header");
  if (bytes[0] !== PROTOCOL_VERSION) {
    throw new ProtocolError("UNSUPPORTED_VERSION", `unsupported protocol version ${bytes[0]}`);
  }
  const name = NAME_OF_TYPE.get(bytes[1] as number);
  if (name === undefined) throw new ProtocolError("UNKNOWN_MESSAGE_TYPE", `unknown message type ${bytes[1]}`);
  return name;
}

/** Decodes a message of the expected type; another well-formed type gives `UNEXPECTED_MESSAGE`. */
export function decodeMessage<N extends MessageName>(expected: N, bytes: Uint8Array): MessageOf<N> {
  const name = peekMessage(bytes);
  if (name !== expected) {
    throw new ProtocolError("UNEXPECTED_MESSAGE", `expected ${expected}, got ${name}`, { details: { expected, got: name } });
  }
  return decodeFields(CATALOGUE[expected].fields, bytes) as unknown as MessageOf<N>;
}

/** Decodes any message of the catalogue. */
export function decodeAnyMessage(bytes: Uint8Array): { readonly name: MessageName; readonly fields: Record<string, unknown> } {
  const name = peekMessage(bytes);
  return { name, fields: decodeFields(CATALOGUE[name].fields, bytes) as Record<string, unknown> };
}

/** Bytes of the message without its trailing operator (what the operator authenticates). */
export function withoutOperator(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(0, bytes.length - TAG_BYTES);
}
