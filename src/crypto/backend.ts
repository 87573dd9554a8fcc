/**
 * The group operations every construction in this layer is written against.
 *
 * Points are an opaque type `P` chosen by the backend (a noble point object, or a
 * validated 32-byte encoding for libsodium); scalars are always canonical 32-byte
 * little-endian strings. Two backends exist and must give byte-identical results:
 * `createNobleBackend` (reference, pure JS) and `createSodiumBackend` (WebAssembly).
 *
 * `mul` / `mulBase` are constant-time and are the only multiplications signing may use;
 * the `*Public` variants may run in variable time and exist for verification, which
 * handles public data only.
 */
import { CryptoInputError } from "./errors.js";
import { assertBytes, isAllZero } from "./bytes.js";

/** Bytes of an encoded ristretto255 element. */
export const POINT_BYTES = 32;

/**
 * How long a point will be used, so a backend can decide what to precompute:
 * - `"fixed"`: long-lived keys (the CA key Y, permit keys) — cached with a large table;
 * - `"scope"`: a scope base B, reused for every signature of that scope;
 * - `"member"`: a ring member, reused for every signature over that group version;
 * - a number: how many multiplications by this point the current call will make.
 */
export type Reuse = "fixed" | "scope" | "member" | number;

/** Group operations on ristretto255. */
export interface GroupBackend<P> {
  /** Short name used in benchmarks and test titles. */
  readonly name: string;
  /**
   * Decodes a canonical, non-identity encoding. Throws `CryptoInputError` with
   * `IDENTITY_POINT`, `NON_CANONICAL_POINT` or `INVALID_POINT`.
   */
  decode(bytes: Uint8Array, reuse?: Reuse, name?: string): P;
  /** Canonical RFC 9496 encoding (32 bytes; the identity encodes as 32 zero bytes). */
  encode(point: P): Uint8Array;
  /** True for the identity element. */
  isIdentity(point: P): boolean;
  add(a: P, b: P): P;
  sub(a: P, b: P): P;
  /** Constant-time k·P, k non-zero. */
  mul(k: Uint8Array, point: P): P;
  /** Constant-time k·G, k non-zero. */
  mulBase(k: Uint8Array): P;
  /** Variable-time k·P for public k and P (k non-zero). */
  mulPublic(k: Uint8Array, point: P): P;
  /** Variable-time k·G for public k (k non-zero). */
  mulBasePublic(k: Uint8Array): P;
  /** Variable-time a·P + b·Q for public data. */
  mulAddPublic(a: Uint8Array, p: P, b: Uint8Array, q: P): P;
  /** Variable-time a·G + b·Q for public data. */
  mulBaseAddPublic(a: Uint8Array, b: Uint8Array, q: P): P;
  /** RFC 9496 §4.3.4 one-way map of 64 uniform bytes to an element. */
  fromUniform(uniform: Uint8Array): P;
  /** Declares that a computed point will be reused (precomputation hint; may return the same object). */
  prepare(point: P, reuse: Reuse): P;
  /** Wide reduction of 64 bytes mod ℓ (constant-time where the backend allows it). */
  scalarReduceWide(bytes: Uint8Array): Uint8Array;
  scalarAdd(a: Uint8Array, b: Uint8Array): Uint8Array;
  scalarSub(a: Uint8Array, b: Uint8Array): Uint8Array;
  scalarMul(a: Uint8Array, b: Uint8Array): Uint8Array;
}

/**
 * Byte-level checks of an element encoding that need no curve arithmetic
 * (RFC 9496 §4.3.1 step 1): 32 bytes, not the identity, the field element s is
 * canonical (s < p = 2^255 − 19) and non-negative (even). Decoding then checks the rest.
 */
export function checkPointEncoding(bytes: unknown, name: string): asserts bytes is Uint8Array {
  assertBytes(bytes, name, POINT_BYTES);
  if (isAllZero(bytes)) {
    throw new CryptoInputError("IDENTITY_POINT", `${name} is the identity element`);
  }
  if (!isCanonicalFieldElement(bytes) || ((bytes[0] as number) & 1) === 1) {
    throw new CryptoInputError("NON_CANONICAL_POINT", `${name} is not a canonical ristretto255 encoding`);
  }
}

function isCanonicalFieldElement(bytes: Uint8Array): boolean {
  const top = bytes[31] as number;
  if (top & 0x80) return false;
  if (top !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (bytes[i] !== 0xff) return true;
  return (bytes[0] as number) < 0xed;
}

/** The error a backend throws when the curve-level decode of a pre-checked encoding fails. */
export function invalidPoint(name: string, cause?: unknown): CryptoInputError {
  return new CryptoInputError("INVALID_POINT", `${name} is not a valid ristretto255 element`, { cause });
}
