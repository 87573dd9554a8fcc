/**
 * Authenticated session channels. After an authentication, both ends hold a 32-byte key; every
 * later message of the session is framed `sessionId, counter, … , operator` where
 *
 *   operator = HMAC-SHA-256(K, frame("v2g/auth/operator", [label, message bytes before operator]))
 *   label    = "<sender>-><receiver>/<message name>"
 *
 * so an operator never verifies for another direction, message type, session or counter.
 * Counters start at 1 and increase per direction. The receiver keeps the highest counter seen
 * and a window of the REPLAY_WINDOW counters below it (as IPsec and DTLS do), so a transport may
 * reorder messages: a counter seen before, or older than the window, is a replay. The LAG–CA
 * link uses the same framing with a key from static Diffie–Hellman.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { authOperator, ctEqual, diffieHellman, frame, verifyAuthOperator } from "../crypto/index.js";
import type { Backend } from "./context.js";
import { ProtocolError } from "./errors.js";
import { decodeMessage, encodeMessage, SESSION_ID_BYTES, withoutOperator, type MessageOf, type SessionMessageName } from "./messages.js";
import { PROTOCOL_TAGS } from "./tags.js";

/** How far below the highest counter seen a reordered message is still accepted. */
export const REPLAY_WINDOW = 64n;

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
}

/** One end of an authenticated session. */
export class SessionChannel {
  readonly id: Uint8Array;
  readonly local: Side;
  readonly peer: Side;
  readonly mode: NetworkMode;
  readonly expiresAt: bigint;
  private readonly key: Uint8Array;
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
  }

  /** True if `sessionId` names this channel. */
  owns(sessionId: Uint8Array): boolean {
    return ctEqual(sessionId, this.id);
  }

  private checkLive(now: bigint): void {
    if (now >= this.expiresAt) throw new ProtocolError("EXPIRED", "the session has expired", { details: { now, expiresAt: this.expiresAt } });
  }

  /** Encodes the next message of this direction with its counter and operator. */
  seal<N extends SessionMessageName>(name: N, fields: SealInput<N>, now: bigint): Uint8Array {
    this.checkLive(now);
    const counter = this.sent + 1n;
    const draft = { ...fields, sessionId: this.id, counter, operator: new Uint8Array(32) } as unknown as MessageOf<N>;
    const bytes = encodeMessage(name, draft);
    bytes.set(authOperator(this.key, `${this.local}->${this.peer}/${name}`, [withoutOperator(bytes)]), bytes.length - 32);
    this.sent = counter;
    return bytes;
  }

  /**
   * Decodes and authenticates a message of type `name` from the peer: it must name this
   * session, arrive before expiry, carry a valid operator and a counter above every counter
   * accepted before.
   */
  open<N extends SessionMessageName>(name: N, bytes: Uint8Array, now: bigint): MessageOf<N> {
    const message = decodeMessage(name, bytes) as MessageOf<N> & { sessionId: Uint8Array; counter: bigint; operator: Uint8Array };
    if (!this.owns(message.sessionId)) throw new ProtocolError("WRONG_SESSION", "message for another session");
    this.checkLive(now);
    if (!verifyAuthOperator(this.key, `${this.peer}->${this.local}/${name}`, [withoutOperator(bytes)], message.operator)) {
      throw new ProtocolError("BAD_OPERATOR", `${name} operator does not verify`);
    }
    this.accept(message.counter, name);
    return message;
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
