/**
 * CA-issued permits for aggregators: a Schnorr signature on ristretto255 (see
 * `schnorr.ts`) by the CA's permit key over a fixed-layout body with a validity
 * window and a nonce. Version 1 layout (big-endian integers):
 *
 *   u8 version = 1 ‖ u8 |aggregatorId| ‖ aggregatorId (1..64) ‖ aggregatorKey (32)
 *   ‖ u64 notBefore ‖ u64 notAfter ‖ nonce (16)                 then R ‖ s (64)
 *
 * Valid at time `now` when the signature verifies and notBefore ≤ now < notAfter
 * (the unit, e.g. Unix seconds, is the protocol's).
 */
import { checkPointEncoding, type GroupBackend } from "./backend.js";
import { assertBytes, concatBytes, drawRandom, readUintBE, systemRandom, toUint, u64be } from "./bytes.js";
import { CryptoInputError } from "./errors.js";
import type { HedgeOptions } from "./lsag-core.js";
import { SCHNORR_SIGNATURE_BYTES, schnorrSign, schnorrVerify, type SchnorrDomain } from "./schnorr.js";
import { TAGS } from "./tags.js";

/** Current permit layout version. */
export const PERMIT_VERSION = 1;
/** Bytes of a permit nonce. */
export const PERMIT_NONCE_BYTES = 16;
/** Largest aggregator identifier. */
export const AGGREGATOR_ID_MAX_BYTES = 64;

const PERMIT_DOMAIN: SchnorrDomain = { challengeTag: TAGS.permitChallenge, nonceTag: TAGS.permitNonce };

/** What a permit says. */
export interface PermitBody {
  readonly aggregatorId: Uint8Array;
  /** The aggregator's static key-agreement key L. */
  readonly aggregatorKey: Uint8Array;
  readonly notBefore: bigint;
  readonly notAfter: bigint;
  readonly nonce: Uint8Array;
}

/** A permit with the CA's signature. */
export interface Permit extends PermitBody {
  readonly signature: Uint8Array;
}

/** Result of `checkPermit`. */
export type PermitStatus = "valid" | "bad-signature" | "not-yet-valid" | "expired";

/** The signed bytes of a permit body. */
export function encodePermitBody(body: PermitBody): Uint8Array {
  assertBytes(body.aggregatorId, "aggregatorId", { min: 1, max: AGGREGATOR_ID_MAX_BYTES });
  checkPointEncoding(body.aggregatorKey, "aggregatorKey");
  assertBytes(body.nonce, "nonce", PERMIT_NONCE_BYTES);
  const notBefore = toUint(body.notBefore, 64, "notBefore");
  const notAfter = toUint(body.notAfter, 64, "notAfter");
  if (notBefore >= notAfter) throw new CryptoInputError("OUT_OF_RANGE", "permit notBefore must precede notAfter");
  return concatBytes(
    Uint8Array.of(PERMIT_VERSION, body.aggregatorId.length),
    body.aggregatorId,
    body.aggregatorKey,
    u64be(notBefore),
    u64be(notAfter),
    body.nonce,
  );
}

/** Serialised permit: body ‖ signature. */
export function encodePermit(permit: Permit): Uint8Array {
  assertBytes(permit.signature, "permit signature", SCHNORR_SIGNATURE_BYTES);
  return concatBytes(encodePermitBody(permit), permit.signature);
}

/** Strict parser of `encodePermit`. */
export function decodePermit(bytes: Uint8Array): Permit {
  assertBytes(bytes, "permit");
  if (bytes.length < 2) throw new CryptoInputError("INVALID_LENGTH", "permit is too short");
  if (bytes[0] !== PERMIT_VERSION) throw new CryptoInputError("UNSUPPORTED_VERSION", `unsupported permit version ${bytes[0]}`);
  const idLength = bytes[1] as number;
  const expected = 2 + idLength + 32 + 8 + 8 + PERMIT_NONCE_BYTES + SCHNORR_SIGNATURE_BYTES;
  if (idLength < 1 || idLength > AGGREGATOR_ID_MAX_BYTES || bytes.length !== expected) {
    throw new CryptoInputError("INVALID_LENGTH", "permit length does not match its layout");
  }
  let offset = 2;
  const take = (length: number): Uint8Array => bytes.slice(offset, (offset += length));
  const aggregatorId = take(idLength);
  const aggregatorKey = take(32);
  const notBefore = readUintBE(take(8), 0, 8);
  const notAfter = readUintBE(take(8), 0, 8);
  const nonce = take(PERMIT_NONCE_BYTES);
  const signature = take(SCHNORR_SIGNATURE_BYTES);
  const permit: Permit = { aggregatorId, aggregatorKey, notBefore, notAfter, nonce, signature };
  encodePermitBody(permit);
  return permit;
}

/** Issues a permit (the nonce is drawn at random unless given). */
export function issuePermit<P>(
  b: GroupBackend<P>,
  caPermitSecretKey: Uint8Array,
  body: Omit<PermitBody, "nonce"> & { readonly nonce?: Uint8Array },
  options: Pick<HedgeOptions, "randomness" | "rng"> = {},
): Permit {
  const full: PermitBody = { ...body, nonce: body.nonce ?? drawRandom(options.rng ?? systemRandom, PERMIT_NONCE_BYTES) };
  const signature = schnorrSign(b, PERMIT_DOMAIN, caPermitSecretKey, encodePermitBody(full), options);
  return { ...full, signature };
}

/** Checks signature and validity window at `now`; `CryptoInputError` for malformed input. */
export function checkPermit<P>(
  b: GroupBackend<P>,
  caPermitKey: Uint8Array,
  permit: Permit,
  now: bigint | number,
): PermitStatus {
  const at = toUint(now, 64, "now");
  if (!schnorrVerify(b, PERMIT_DOMAIN, caPermitKey, encodePermitBody(permit), permit.signature)) return "bad-signature";
  if (at < permit.notBefore) return "not-yet-valid";
  if (at >= permit.notAfter) return "expired";
  return "valid";
}
