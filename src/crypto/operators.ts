/**
 * Authentication operators: HMAC-SHA-256 under the session key over a labelled transcript,
 *
 *   op(K, label, transcript) = HMAC-SHA-256(K, frame("v2g/auth/operator", [label, t_1, …, t_k]))
 *
 * and their constant-time check. Distinct labels give independent operators
 * (e.g. one per direction and message), so an operator never verifies in another role.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { assertBytes, ctEqual, utf8 } from "./bytes.js";
import { frame } from "./encoding.js";
import { CryptoInputError } from "./errors.js";
import { SESSION_KEY_BYTES } from "./session.js";
import { TAGS } from "./tags.js";

/** Bytes of an operator tag. */
export const OPERATOR_TAG_BYTES = 32;

function labelBytes(label: string): Uint8Array {
  if (typeof label !== "string" || !/^[\x21-\x7e]{1,64}$/.test(label)) {
    throw new CryptoInputError("INVALID_ENCODING", "operator label must be 1..64 printable ASCII characters");
  }
  return utf8(label);
}

/** Computes the operator tag of `transcript` under `key` and `label`. */
export function authOperator(key: Uint8Array, label: string, transcript: readonly Uint8Array[]): Uint8Array {
  assertBytes(key, "session key", SESSION_KEY_BYTES);
  transcript.forEach((part, i) => assertBytes(part, `transcript[${i}]`));
  return hmac(sha256, key, frame(TAGS.authOperator, [labelBytes(label), ...transcript]));
}

/** Constant-time check of an operator tag: false for a wrong tag, `CryptoInputError` for malformed input. */
export function verifyAuthOperator(
  key: Uint8Array,
  label: string,
  transcript: readonly Uint8Array[],
  tag: Uint8Array,
): boolean {
  assertBytes(tag, "operator tag", OPERATOR_TAG_BYTES);
  return ctEqual(authOperator(key, label, transcript), tag);
}
