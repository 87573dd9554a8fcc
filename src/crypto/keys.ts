/**
 * Key pairs on ristretto255: secret x (canonical, non-zero scalar), public P = x·G.
 * Used for vehicle keys, the CA's escrow key Y = y·G, permit keys and ephemeral
 * key-agreement keys.
 */
import { sha512 } from "@noble/hashes/sha2.js";
import type { GroupBackend } from "./backend.js";
import { assertBytes, drawRandom, systemRandom, type RandomSource } from "./bytes.js";
import { frame } from "./encoding.js";
import { CryptoFailureError } from "./errors.js";
import { assertScalar, isZeroScalar, WIDE_SCALAR_BYTES } from "./scalar.js";
import { TAGS } from "./tags.js";

/** A secret scalar and its public element, both 32 bytes. */
export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Bytes of a key seed. */
export const KEY_SEED_BYTES = 32;

/** P = x·G (constant-time). Throws `CryptoInputError` for a non-canonical or zero secret. */
export function publicKeyOf<P>(backend: GroupBackend<P>, secretKey: Uint8Array): Uint8Array {
  assertScalar(secretKey, "secretKey");
  return backend.encode(backend.mulBase(secretKey));
}

/**
 * Deterministic key pair from a 32-byte seed:
 * x = SHA-512(frame("v2g/keygen", [seed, u32be(counter)])) mod ℓ, with the first counter giving x ≠ 0.
 */
export function keyPairFromSeed<P>(backend: GroupBackend<P>, seed: Uint8Array): KeyPair {
  assertBytes(seed, "seed", KEY_SEED_BYTES);
  for (let counter = 0; counter < 8; counter++) {
    const wide = sha512(frame(TAGS.keygen, [seed, Uint8Array.of(0, 0, 0, counter)]));
    const secretKey = backend.scalarReduceWide(wide);
    if (!isZeroScalar(secretKey)) return { secretKey, publicKey: publicKeyOf(backend, secretKey) };
  }
  throw new CryptoFailureError("NONCE_EXHAUSTED", "could not derive a non-zero secret key");
}

/** A fresh key pair: x drawn as 64 random bytes reduced mod ℓ (bias below 2^-250). */
export function generateKeyPair<P>(backend: GroupBackend<P>, rng: RandomSource = systemRandom): KeyPair {
  for (let attempt = 0; attempt < 8; attempt++) {
    const secretKey = backend.scalarReduceWide(drawRandom(rng, WIDE_SCALAR_BYTES));
    if (!isZeroScalar(secretKey)) return { secretKey, publicKey: publicKeyOf(backend, secretKey) };
  }
  throw new CryptoFailureError("RANDOMNESS", "random source keeps producing zero scalars");
}
