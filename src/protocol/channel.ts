/**
 * Authenticated, encrypted session channels. After an authentication, both ends hold a 32-byte
 * key K; every later message of the session is framed `header, sessionId, counter, body, operator`
 * and sealed encrypt-then-MAC (an AEAD whose associated data is the header, session id, counter
 * and label):
 *
 *   body'    = ChaCha20(K_dir, nonce = 0^4 ‖ u64be(counter), body)         (same length)
 *   K_dir    = HKDF-SHA-256(K, info = frame("v2g/protocol/session/enc", ["<sender>-><receiver>"]))
 *   operator = HMAC-SHA-256(K, frame("v2g/auth/operator", [label, header ‖ sessionId ‖ counter ‖ body']))
 *   label    = "<sender>-><receiver>/<message name>"
 *
 * The body (every field after the counter: bids, allocations, service queries, envelopes and
 * proofs) is readable only by the two ends; an eavesdropper sees the header, session id, counter
 * and the length. Each direction has its own key and counters never repeat, so a (key, nonce)
 * pair is never reused; the operator is checked before anything is decrypted or decoded, and an
 * operator never verifies for another direction, message type, session or counter.
 * Counters start at 1 and increase per direction. The receiver keeps the highest counter seen
 * and a window of the REPLAY_WINDOW counters below it (as IPsec and DTLS do), so a transport may
 * reorder messages: a counter seen before, or older than the window, is a replay. The LAG–CA
 * link uses the same framing with a key from static Diffie–Hellman.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { authOperator, ctEqual, diffieHellman, frame, u64be, verifyAuthOperator } from "../crypto/index.js";
import type { Backend } from "./context.js";
import { ProtocolError } from "./errors.js";
import { decodeMessage, encodeMessage, peekMessage, SESSION_ID_BYTES, TAG_BYTES, withoutOperator, type MessageOf, type SessionMessageName } from "./messages.js";
import { PROTOCOL_TAGS } from "./tags.js";

/** How far below the highest counter seen a reordered message is still accepted. */
export const REPLAY_WINDOW = 64n;
/** Where the encrypted body of a session message starts: version, type, session id, counter. */
export const SESSION_BODY_OFFSET = 2 + SESSION_ID_BYTES + 8;

/** A party of the protocols. */
export type Side = "bv" | "lag" | "ca";

/** Network context of a vehicle session (mobility). */
export type NetworkMode = "home" | "visiting" | "backhaul";

/** Fields of a session message the channel fills in. */
type Framing = "sessionId" | "counter" | "operator";
/** What a caller gives to `seal`. */
export type SealInput<N extends SessionMessageName> = Omit<MessageOf<N>, Framing>;

/** Parameters of a channel. */
export interface ChannelParams {
  readonly id: Uint8Array;
  readonly key: Uint8Array;
  readonly local: Side;
  readonly peer: Side;
  readonly mode: NetworkMode;
  readonly expiresAt: bigint;
  /**
   * The first counter this end sends (default 1). An end that reopens a channel under the same
   * key after a restart must start above every counter it sent before, or it would reuse a nonce.
   */
  readonly firstCounter?: bigint;
}

/** One end of an authenticated session. */
export class SessionChannel {
  readonly id: Uint8Array;
  readonly local: Side;
  readonly peer: Side;
  readonly mode: NetworkMode;
  readonly expiresAt: bigint;
  private readonly key: Uint8Array;
  private readonly sendKey: Uint8Array;
  private readonly receiveKey: Uint8Array;
  private sent = 0n;
  /** Highest counter accepted, and a bitmap of the counters accepted in the window below it. */
  private highest = 0n;
  private window = 0n;

  constructor(params: ChannelParams) {
    if (params.id.length !== SESSION_ID_BYTES || params.key.length !== 32) {
      throw new ProtocolError("INTERNAL", "invalid channel parameters");
    }
    this.id = params.id.slice();
    this.key = params.key.slice();
    this.local = params.local;
    this.peer = params.peer;
    this.mode = params.mode;
    this.expiresAt = params.expiresAt;
    this.sent = (params.firstCounter ?? 1n) - 1n;
    if (this.sent < 0n) throw new ProtocolError("INTERNAL", "a channel's first counter is at least 1");
    this.sendKey = directionKey(this.key, `${this.local}->${this.peer}`);
    this.receiveKey = directionKey(this.key, `${this.peer}->${this.local}`);
  }

  /** True if `sessionId` names this channel. */
  owns(sessionId: Uint8Array): boolean {
    return ctEqual(sessionId, this.id);
  }

  private checkLive(now: bigint): void {
    if (now >= this.expiresAt) throw new ProtocolError("EXPIRED", "the session has expired", { details: { now, expiresAt: this.expiresAt } });
  }

  /** Encodes the next message of this direction, encrypts its body and adds its operator. */
  seal<N extends SessionMessageName>(name: N, fields: SealInput<N>, now: bigint): Uint8Array {
    this.checkLive(now);
    const counter = this.sent + 1n;
    const draft = { ...fields, sessionId: this.id, counter, operator: new Uint8Array(32) } as unknown as MessageOf<N>;
    const bytes = encodeMessage(name, draft);
    const body = bytes.subarray(SESSION_BODY_OFFSET, bytes.length - TAG_BYTES);
    body.set(chacha20(this.sendKey, nonceOf(counter), body));
    bytes.set(authOperator(this.key, `${this.local}->${this.peer}/${name}`, [withoutOperator(bytes)]), bytes.length - TAG_BYTES);
    this.sent = counter;
    return bytes;
  }

  /**
   * Authenticates, decrypts and decodes a message of type `name` from the peer: it must name this
   * session, arrive before expiry, carry a valid operator and a counter above every counter
   * accepted before (or inside the window and unseen).
   */
  open<N extends SessionMessageName>(name: N, bytes: Uint8Array, now: bigint): MessageOf<N> {
    const message = this.read(name, bytes, now);
    this.accept(message.counter, name);
    return message;
  }

  /**
   * What `open` returns, without accepting the counter (the message stays deliverable once):
   * for a receiver that inspects a message before handing it to the desk that acts on it.
   */
  read<N extends SessionMessageName>(name: N, bytes: Uint8Array, now: bigint): MessageOf<N> & { sessionId: Uint8Array; counter: bigint } {
    const got = peekMessage(bytes);
    if (got !== name) throw new ProtocolError("UNEXPECTED_MESSAGE", `expected ${name}, got ${got}`, { details: { expected: name, got } });
    if (bytes.length < SESSION_BODY_OFFSET + TAG_BYTES) throw new ProtocolError("MALFORMED", "message shorter than its framing");
    if (!this.owns(bytes.subarray(2, 2 + SESSION_ID_BYTES))) throw new ProtocolError("WRONG_SESSION", "message for another session");
    this.checkLive(now);
    if (!verifyAuthOperator(this.key, `${this.peer}->${this.local}/${name}`, [withoutOperator(bytes)], bytes.subarray(bytes.length - TAG_BYTES))) {
      throw new ProtocolError("BAD_OPERATOR", `${name} operator does not verify`);
    }
    const plain = bytes.slice();
    const counter = readCounter(bytes);
    const body = plain.subarray(SESSION_BODY_OFFSET, plain.length - TAG_BYTES);
    body.set(chacha20(this.receiveKey, nonceOf(counter), body));
    return decodeMessage(name, plain) as MessageOf<N> & { sessionId: Uint8Array; counter: bigint };
  }

  /** Marks `counter` as received; a repeat, zero, or a counter older than the window is a replay. */
  private accept(counter: bigint, name: string): void {
    if (counter > this.highest) {
      const shift = counter - this.highest;
      this.window = shift >= REPLAY_WINDOW ? 1n : ((this.window << shift) | 1n) & ((1n << REPLAY_WINDOW) - 1n);
      this.highest = counter;
      return;
    }
    const age = this.highest - counter;
    const bit = 1n << age;
    if (counter === 0n || age >= REPLAY_WINDOW || (this.window & bit) !== 0n) {
      throw new ProtocolError("REPLAYED", `${name} counter was used before or is too old`, { details: { counter, highest: this.highest } });
    }
    this.window |= bit;
  }

  /** An operator under the session key for a protocol-specific label (not a framed message). */
  operatorFor(label: string, parts: readonly Uint8Array[]): Uint8Array {
    return authOperator(this.key, label, parts);
  }
}

/** The encryption key of one direction of a session. */
function directionKey(key: Uint8Array, direction: string): Uint8Array {
  return hkdf(sha256, key, undefined, frame(PROTOCOL_TAGS.sessionEncryption, [new TextEncoder().encode(direction)]), 32);
}

/** The 12-byte ChaCha20 nonce of a counter (unique per direction key). */
function nonceOf(counter: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(u64be(counter), 4);
  return nonce;
}

function readCounter(bytes: Uint8Array): bigint {
  let counter = 0n;
  for (let i = 2 + SESSION_ID_BYTES; i < SESSION_BODY_OFFSET; i++) counter = (counter << 8n) | BigInt(bytes[i] as number);
  return counter;
}

/**
 * Key and id of the LAG–CA channel: HKDF over DH(l, C) (= DH(c, L)), bound to both keys and to
 * the permit's nonce, so every permit opens a new channel and a renewed permit never accepts
 * messages of the previous one.
 */
export function lagCaChannelParams(
  b: Backend,
  ownSecret: Uint8Array,
  peerPublic: Uint8Array,
  binding: { readonly lagId: Uint8Array; readonly lagKey: Uint8Array; readonly caKey: Uint8Array; readonly permitNonce: Uint8Array },
): { readonly id: Uint8Array; readonly key: Uint8Array } {
  const shared = diffieHellman(b, ownSecret, peerPublic);
  const items = [binding.lagId, binding.lagKey, binding.caKey, binding.permitNonce];
  const key = hkdf(sha256, shared, new TextEncoder().encode(PROTOCOL_TAGS.lagCaKey), frame(PROTOCOL_TAGS.lagCaKey, items), 32);
  const id = sha256(frame(PROTOCOL_TAGS.lagCaId, items)).slice(0, SESSION_ID_BYTES);
  return { id, key };
}
