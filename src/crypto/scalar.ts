/**
 * Scalars of ristretto255: integers mod ℓ = 2^252 + 27742317777372353535851937790883648493,
 * encoded as 32 bytes little-endian (RFC 9496 §4.4 uses the same order and encoding).
 *
 * A scalar in this layer is always canonical (< ℓ); `assertScalar` also rejects zero
 * wherever zero would make two verifiers disagree (docs/crypto.md, "Checks a verifier makes").
 */
import { CryptoInputError } from "./errors.js";
import { assertBytes } from "./bytes.js";

/** The prime order ℓ of ristretto255. */
export const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
/** Bytes of an encoded scalar. */
export const SCALAR_BYTES = 32;
/** Bytes fed to a wide reduction. */
export const WIDE_SCALAR_BYTES = 64;

const ORDER_LE = bigintToLE(GROUP_ORDER, SCALAR_BYTES);

function bigintToLE(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let n = value;
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Little-endian bytes to bigint (through one hex string: far fewer bigint operations than a byte loop). */
export function leToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let hex = "0x";
  for (let i = bytes.length - 1; i >= 0; i--) hex += HEX[bytes[i] as number] as string;
  return BigInt(hex);
}

/** Encodes an integer in [0, ℓ) as a 32-byte little-endian scalar. */
export function scalarFromBigint(value: bigint): Uint8Array {
  if (value < 0n || value >= GROUP_ORDER) {
    throw new CryptoInputError("NON_CANONICAL_SCALAR", "scalar must be in [0, ℓ)");
  }
  return bigintToLE(value, SCALAR_BYTES);
}

/** Decodes a 32-byte little-endian scalar to a bigint (no range check). */
export const scalarToBigint = leToBigint;

/**
 * True when a 32-byte string encodes an integer below ℓ. Computed as the borrow
 * of `bytes − ℓ` over all 32 bytes, so the time does not depend on the value.
 */
export function isCanonicalScalar(bytes: Uint8Array): boolean {
  if (bytes.length !== SCALAR_BYTES) return false;
  let borrow = 0;
  for (let i = 0; i < SCALAR_BYTES; i++) {
    const diff = (bytes[i] as number) - (ORDER_LE[i] as number) - borrow;
    borrow = (diff >>> 31) & 1;
  }
  return borrow === 1;
}

/** True when all 32 bytes are zero (constant-time). */
export function isZeroScalar(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number;
  return acc === 0;
}

/**
 * Throws `CryptoInputError` unless `bytes` is a canonical scalar (32 bytes, < ℓ),
 * and non-zero unless `allowZero` is set.
 */
export function assertScalar(bytes: unknown, name: string, allowZero = false): asserts bytes is Uint8Array {
  assertBytes(bytes, name, SCALAR_BYTES);
  if (!isCanonicalScalar(bytes)) {
    throw new CryptoInputError("NON_CANONICAL_SCALAR", `${name} is not a canonical scalar (must be < ℓ)`);
  }
  if (!allowZero && isZeroScalar(bytes)) {
    throw new CryptoInputError("ZERO_SCALAR", `${name} must not be zero`);
  }
}

/**
 * Wide reduction: 64 bytes read little-endian, reduced mod ℓ (the bias is below 2^-250).
 * Uses bigint arithmetic, whose timing is not guaranteed constant: call it on public
 * values (challenges); backends provide their own reduction for secret nonces.
 */
export function reduceWide(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, "wide scalar", WIDE_SCALAR_BYTES);
  return bigintToLE(leToBigint(bytes) % GROUP_ORDER, SCALAR_BYTES);
}
