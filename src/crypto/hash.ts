/**
 * Hs (hash to scalar) and Hp (hash to group), both over `frame(tag, items)`.
 *
 *   Hs(tag, items) = SHA-512(frame(tag, items)) read little-endian, mod ℓ   (wide reduction)
 *   Hp(tag, items) = hash_to_ristretto255(frame(tag, items), DST = hashToGroupDst(tag))
 *
 * hash_to_ristretto255 is RFC 9380 expand_message_xmd(SHA-512, 64 bytes) followed by
 * the RFC 9496 §4.3.4 one-way map, which each backend implements (`fromUniform`).
 */
import { expand_message_xmd } from "@noble/curves/abstract/hash-to-curve.js";
import { sha512 } from "@noble/hashes/sha2.js";
import type { GroupBackend } from "./backend.js";
import { frame, frameHeader, frameItem } from "./encoding.js";
import { reduceWide } from "./scalar.js";
import { hashToGroupDst } from "./tags.js";

/** SHA-512 of `frame(tag, items)`. */
export function taggedSha512(tag: string, items: readonly Uint8Array[]): Uint8Array {
  return sha512(frame(tag, items));
}

/** Hs: hash to a canonical scalar (may be zero with probability ≈ 2^-252; callers that need non-zero check). */
export function hashToScalar(tag: string, ...items: Uint8Array[]): Uint8Array {
  return reduceWide(taggedSha512(tag, items));
}

/**
 * Hs over a fixed prefix of items followed by per-call items: the SHA-512 state after
 * the prefix is kept and cloned, so a ring of n members hashes the statement once,
 * not n times. `next(a, b)` equals `hashToScalar(tag, ...prefix, a, b)`.
 */
export class PrefixedScalarHasher {
  private readonly state: ReturnType<typeof sha512.create>;

  constructor(tag: string, prefixItems: readonly Uint8Array[]) {
    this.state = sha512.create();
    this.state.update(frameHeader(tag));
    for (const item of prefixItems) this.state.update(frameItem(item));
  }

  /** Hs(tag, prefix…, items…). */
  next(...items: Uint8Array[]): Uint8Array {
    const h = this.state.clone();
    for (const item of items) h.update(frameItem(item));
    return reduceWide(h.digest());
  }

  /** SHA-512 of the prefix alone (used to bind the whole statement into hedged nonces). */
  prefixDigest(): Uint8Array {
    return this.state.clone().digest();
  }
}

/** RFC 9380 expand_message_xmd(frame(tag, items), DST(tag), 64, SHA-512): the uniform bytes of Hp. */
export function hashToUniform(tag: string, items: readonly Uint8Array[]): Uint8Array {
  return expand_message_xmd(frame(tag, items), hashToGroupDst(tag), 64, sha512);
}

/** Hp: hash to a ristretto255 element through the given backend. */
export function hashToGroup<P>(backend: GroupBackend<P>, tag: string, items: readonly Uint8Array[]): P {
  return backend.fromUniform(hashToUniform(tag, items));
}

/** Hs(tag, …items): the name used in docs/crypto.md for `hashToScalar`. */
export const Hs = hashToScalar;

/** Hp(backend, tag, …items): the name used in docs/crypto.md for `hashToGroup`. */
export function Hp<P>(backend: GroupBackend<P>, tag: string, ...items: Uint8Array[]): P {
  return hashToGroup(backend, tag, items);
}
