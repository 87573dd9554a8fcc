/**
 * Masking for pseudo-status aggregation. Each vehicle sends the LAG
 * masked = (status + mask) mod M with a fresh uniform mask, and the mask to the CA
 * inside an envelope. The LAG sums masked values; the CA subtracts the batch's
 * masks and obtains Σ status mod M — exact whenever the true sum is below M.
 * One masked value alone is uniform mod M and says nothing about its status.
 */
import { drawRandom, systemRandom, type RandomSource } from "./bytes.js";
import { CryptoInputError } from "./errors.js";

/** Default modulus: 2^64 (statuses and their sums must stay below it). */
export const DEFAULT_MASK_MODULUS = 2n ** 64n;

/** A masked status and the mask that hides it. */
export interface MaskedStatus {
  readonly masked: bigint;
  readonly mask: bigint;
}

function checkModulus(modulus: bigint): void {
  if (typeof modulus !== "bigint" || modulus < 2n) throw new CryptoInputError("OUT_OF_RANGE", "modulus must be a bigint ≥ 2");
}

function byteLength(n: bigint): number {
  return Math.max(1, Math.ceil(n.toString(16).length / 2));
}

/** A uniform value in [0, modulus): 16 extra random bytes reduced, bias below 2^-128. */
export function randomMask(modulus: bigint = DEFAULT_MASK_MODULUS, rng: RandomSource = systemRandom): bigint {
  checkModulus(modulus);
  const bytes = drawRandom(rng, byteLength(modulus) + 16);
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  return n % modulus;
}

/** Masks one status: masked = (status + mask) mod M. */
export function maskStatus(
  status: bigint,
  modulus: bigint = DEFAULT_MASK_MODULUS,
  rng: RandomSource = systemRandom,
): MaskedStatus {
  checkModulus(modulus);
  if (typeof status !== "bigint" || status < 0n || status >= modulus) {
    throw new CryptoInputError("OUT_OF_RANGE", "status must be a bigint in [0, modulus)");
  }
  const mask = randomMask(modulus, rng);
  return { masked: (status + mask) % modulus, mask };
}

function sumMod(values: readonly bigint[], modulus: bigint, name: string): bigint {
  let total = 0n;
  for (const v of values) {
    if (typeof v !== "bigint" || v < 0n || v >= modulus) {
      throw new CryptoInputError("OUT_OF_RANGE", `${name} must be bigints in [0, modulus)`);
    }
    total = (total + v) % modulus;
  }
  return total;
}

/** LAG side: Σ masked mod M. */
export function sumMasked(masked: readonly bigint[], modulus: bigint = DEFAULT_MASK_MODULUS): bigint {
  checkModulus(modulus);
  return sumMod(masked, modulus, "masked values");
}

/** CA side: (Σ masked − Σ masks) mod M = Σ status mod M. */
export function unmaskAggregate(
  maskedSum: bigint,
  masks: readonly bigint[],
  modulus: bigint = DEFAULT_MASK_MODULUS,
): bigint {
  checkModulus(modulus);
  const sum = sumMod([maskedSum], modulus, "masked sum");
  return (((sum - sumMod(masks, modulus, "masks")) % modulus) + modulus) % modulus;
}

/** Fixed-width big-endian encoding of a mask (width of M − 1), for the envelope to the CA. */
export function encodeMask(mask: bigint, modulus: bigint = DEFAULT_MASK_MODULUS): Uint8Array {
  checkModulus(modulus);
  if (typeof mask !== "bigint" || mask < 0n || mask >= modulus) throw new CryptoInputError("OUT_OF_RANGE", "mask must be in [0, modulus)");
  const width = byteLength(modulus - 1n);
  const out = new Uint8Array(width);
  let n = mask;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** Strict parser of `encodeMask`. */
export function decodeMask(bytes: Uint8Array, modulus: bigint = DEFAULT_MASK_MODULUS): bigint {
  checkModulus(modulus);
  if (!(bytes instanceof Uint8Array) || bytes.length !== byteLength(modulus - 1n)) {
    throw new CryptoInputError("INVALID_LENGTH", "mask has the wrong width for the modulus");
  }
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  if (n >= modulus) throw new CryptoInputError("OUT_OF_RANGE", "mask is not below the modulus");
  return n;
}
