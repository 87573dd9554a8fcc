/**
 * Replay defences: a store of things seen (nonces, transcripts, envelopes) that forgets an
 * entry only once the entry could no longer be accepted anyway, and the key-image store of a
 * LAG ("was this image seen before in this scope?").
 */
import { bytesToHex, encodeScope, type Scope } from "../crypto/index.js";
import { ProtocolError, type ProtocolErrorCode } from "./errors.js";

const keyOf = (value: Uint8Array | string): string => (typeof value === "string" ? value : bytesToHex(value));

/** A set of seen values, each kept until its expiry time. */
export class ReplayGuard {
  private readonly seen = new Map<string, bigint>();
  private claims = 0;

  constructor(
    /** Code thrown on a repeat. */
    private readonly code: ProtocolErrorCode = "REPLAYED",
  ) {}

  /** Number of entries held. */
  get size(): number {
    return this.seen.size;
  }

  /** True if `value` is held and not expired at `now`. */
  has(value: Uint8Array | string, now: bigint): boolean {
    const until = this.seen.get(keyOf(value));
    return until !== undefined && until > now;
  }

  /** Records `value` until `expiresAt`; throws if it is already held. */
  claim(value: Uint8Array | string, expiresAt: bigint, now: bigint, what: string): void {
    const key = keyOf(value);
    const until = this.seen.get(key);
    if (until !== undefined && until > now) {
      throw new ProtocolError(this.code, `${what} was seen before`, { details: { what } });
    }
    this.seen.set(key, expiresAt);
    if (++this.claims % 1024 === 0) this.sweep(now);
  }

  /** Forgets every entry expired at `now`. */
  sweep(now: bigint): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }
}

/** The key images a LAG accepted, per scope (LAG id, epoch). */
export class KeyImageStore {
  private readonly scopes = new Map<string, { epoch: bigint; images: Set<string> }>();

  private slot(scope: Scope): { epoch: bigint; images: Set<string> } {
    const key = bytesToHex(encodeScope(scope));
    let slot = this.scopes.get(key);
    if (slot === undefined) {
      slot = { epoch: BigInt(scope.epoch), images: new Set() };
      this.scopes.set(key, slot);
    }
    return slot;
  }

  /** True if `image` was accepted before in `scope`. */
  has(scope: Scope, image: Uint8Array): boolean {
    return this.scopes.get(bytesToHex(encodeScope(scope)))?.images.has(bytesToHex(image)) ?? false;
  }

  /** Accepts `image` in `scope`; a second acceptance is a double authentication. */
  claim(scope: Scope, image: Uint8Array): void {
    const images = this.slot(scope).images;
    const key = bytesToHex(image);
    if (images.has(key)) {
      throw new ProtocolError("DOUBLE_AUTHENTICATION", "this vehicle already authenticated in this scope", {
        details: { epoch: BigInt(scope.epoch) },
      });
    }
    images.add(key);
  }

  /** Forgets every scope of an epoch before `epoch` (their challenges can no longer be answered). */
  forgetBefore(epoch: bigint): void {
    for (const [key, slot] of this.scopes) if (slot.epoch < epoch) this.scopes.delete(key);
  }
}
