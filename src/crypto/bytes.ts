/**
 * Byte helpers: type and length checks, concatenation, fixed-width big-endian
 * integers and a constant-time comparison.
 */
import { randomBytes as nobleRandomBytes } from "@noble/hashes/utils.js";
import { CryptoFailureError, CryptoInputError } from "./errors.js";

/** A source of random bytes; tests inject a deterministic one. */
export type RandomSource = (length: number) => Uint8Array;

/** The platform's cryptographically secure generator (WebCrypto `getRandomValues`). */
export const systemRandom: RandomSource = (length) => nobleRandomBytes(length);

/** Draws `length` bytes from `rng` and checks that it really returned them. */
export function drawRandom(rng: RandomSource, length: number): Uint8Array {
  const out = rng(length);
  if (!(out instanceof Uint8Array) || out.length !== length) {
    throw new CryptoFailureError("RANDOMNESS", "random source returned the wrong number of bytes");
  }
  return out;
}

/** Throws `CryptoInputError` unless `value` is a Uint8Array of the given length (or length range). */
export function assertBytes(
  value: unknown,
  name: string,
  length?: number | { readonly min: number; readonly max: number },
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CryptoInputError("INVALID_TYPE", `${name} must be a Uint8Array`);
  }
  if (typeof length === "number" && value.length !== length) {
    throw new CryptoInputError("INVALID_LENGTH", `${name} must be ${length} bytes`, {
      details: `got ${value.length} bytes`,
    });
  }
  if (typeof length === "object" && (value.length < length.min || value.length > length.max)) {
    throw new CryptoInputError("INVALID_LENGTH", `${name} must be ${length.min}..${length.max} bytes`, {
      details: `got ${value.length} bytes`,
    });
  }
}

/** Concatenates byte arrays into a fresh array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Constant-time equality of two byte arrays: the running time depends only on
 * the lengths, never on where the first difference is.
 */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** True when every byte is zero (constant-time over the length). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number;
  return acc === 0;
}

/** Normalises a non-negative integer given as number or bigint, checking it fits in `bits` bits. */
export function toUint(value: number | bigint, bits: 8 | 16 | 32 | 64, name: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new CryptoInputError("OUT_OF_RANGE", `${name} must be a safe integer`);
  }
  if (typeof value !== "number" && typeof value !== "bigint") {
    throw new CryptoInputError("INVALID_TYPE", `${name} must be a number or bigint`);
  }
  const n = BigInt(value);
  if (n < 0n || n >= 1n << BigInt(bits)) {
    throw new CryptoInputError("OUT_OF_RANGE", `${name} must fit in ${bits} unsigned bits`, {
      details: `got ${n}`,
    });
  }
  return n;
}

/** Big-endian fixed-width encoding of an unsigned integer (`bytes` wide). */
export function uintBE(value: number | bigint, bytes: 1 | 2 | 4 | 8, name = "integer"): Uint8Array {
  let n = toUint(value, (bytes * 8) as 8 | 16 | 32 | 64, name);
  const out = new Uint8Array(bytes);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** `u16` big-endian. */
export const u16be = (value: number | bigint): Uint8Array => uintBE(value, 2, "u16");
/** `u32` big-endian. */
export const u32be = (value: number | bigint): Uint8Array => uintBE(value, 4, "u32");
/** `u64` big-endian. */
export const u64be = (value: number | bigint): Uint8Array => uintBE(value, 8, "u64");

/** Reads a big-endian unsigned integer of `length` bytes at `offset`. */
export function readUintBE(bytes: Uint8Array, offset: number, length: number): bigint {
  let n = 0n;
  for (let i = 0; i < length; i++) n = (n << 8n) | BigInt(bytes[offset + i] as number);
  return n;
}

/** ASCII/UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
