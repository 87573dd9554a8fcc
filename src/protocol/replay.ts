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

/**
 * Where a LAG records the key images it accepted, per scope (LAG id, epoch). Every process of
 * one LAG id must share one store, and a claim must be durable once it resolves: the LAG sends
 * `AuthConfirm` only after its claim succeeded, so a restarted or second process refuses the
 * same image (a cloned credential) in the same scope.
 */
export interface KeyImageStore {
  /** Records `image` in `scope`; resolves false (recording nothing) if the scope already holds it. */
  claim(scope: Scope, image: Uint8Array): Promise<boolean>;
  /** Forgets every scope of an epoch before `epoch` (its challenges can no longer be answered). */
  forgetBefore(epoch: bigint): Promise<void>;
  /** Releases the store's resources. */
  close(): Promise<void>;
}

/** A store that can also answer synchronously (in-process or embedded). */
export interface SyncKeyImageStore extends KeyImageStore {
  claimNow(scope: Scope, image: Uint8Array): boolean;
  forgetBeforeNow(epoch: bigint): void;
}

/** True if `store` answers synchronously. */
export function isSyncKeyImageStore(store: KeyImageStore): store is SyncKeyImageStore {
  return typeof (store as Partial<SyncKeyImageStore>).claimNow === "function";
}

/** The bytes a store keys a scope by. */
export const scopeKeyOf = (scope: Scope): Uint8Array => encodeScope(scope);

/** Key images in this process's memory only: lost on restart, not shared (tests, single-process tools). */
export class MemoryKeyImageStore implements SyncKeyImageStore {
  private readonly scopes = new Map<string, { epoch: bigint; images: Set<string> }>();

  claimNow(scope: Scope, image: Uint8Array): boolean {
    const key = bytesToHex(encodeScope(scope));
    let slot = this.scopes.get(key);
    if (slot === undefined) {
      slot = { epoch: BigInt(scope.epoch), images: new Set() };
      this.scopes.set(key, slot);
    }
    const id = bytesToHex(image);
    if (slot.images.has(id)) return false;
    slot.images.add(id);
    return true;
  }

  forgetBeforeNow(epoch: bigint): void {
    for (const [key, slot] of this.scopes) if (slot.epoch < epoch) this.scopes.delete(key);
  }

  async claim(scope: Scope, image: Uint8Array): Promise<boolean> {
    return this.claimNow(scope, image);
  }

  async forgetBefore(epoch: bigint): Promise<void> {
    this.forgetBeforeNow(epoch);
  }

  async close(): Promise<void> {
    this.scopes.clear();
  }
}
