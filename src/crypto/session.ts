/**
 * Session keys (docs/crypto.md, "Session keys, operators, permits, envelopes, masks"), with
 * Diffie–Hellman in ristretto255 through the group backend:
 *
 *   K = HKDF-SHA-256(ikm  = DH(e_B, E_L) ‖ DH(e_B, L),
 *                    salt = transcript hash,
 *                    info = frame("v2g/session/key", [E_B, E_L, L]), 32 bytes)
 *
 * DH(a, Q) is the 32-byte encoding of a·Q (constant-time; Q must be a canonical,
 * non-identity element, so the result is never the identity). Forward secrecy comes
 * from the ephemerals e_B and e_L; DH(e_B, L) authenticates the LAG's static key L.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { GroupBackend } from "./backend.js";
import { assertBytes, concatBytes } from "./bytes.js";
import { frame } from "./encoding.js";
import type { KeyPair } from "./keys.js";
import { assertScalar } from "./scalar.js";
import { TAGS } from "./tags.js";

/** Bytes of a session key. */
export const SESSION_KEY_BYTES = 32;

/** SHA-256(frame("v2g/session/transcript", parts)): the protocol passes every message so far, in order. */
export function transcriptHash(parts: readonly Uint8Array[]): Uint8Array {
  parts.forEach((part, i) => assertBytes(part, `transcript[${i}]`));
  return sha256(frame(TAGS.sessionTranscript, parts));
}

/** DH(a, Q) = encode(a·Q), constant-time in a. */
export function diffieHellman<P>(b: GroupBackend<P>, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertScalar(secretKey, "secretKey");
  return b.encode(b.mul(secretKey, b.decode(publicKey, 1, "peer public key")));
}

function deriveKey(dh1: Uint8Array, dh2: Uint8Array, transcript: Uint8Array, publics: Uint8Array[]): Uint8Array {
  assertBytes(transcript, "transcriptHash", 32);
  return hkdf(sha256, concatBytes(dh1, dh2), transcript, frame(TAGS.sessionKey, publics), SESSION_KEY_BYTES);
}

/** Vehicle side: ephemeral e_B, the LAG's ephemeral E_L and static L. */
export interface VehicleKeyAgreement {
  readonly ephemeral: KeyPair;
  readonly lagEphemeralKey: Uint8Array;
  readonly lagStaticKey: Uint8Array;
  readonly transcriptHash: Uint8Array;
}

/** LAG side: ephemeral e_L, static l, the vehicle's ephemeral E_B. */
export interface LagKeyAgreement {
  readonly ephemeral: KeyPair;
  readonly static: KeyPair;
  readonly vehicleEphemeralKey: Uint8Array;
  readonly transcriptHash: Uint8Array;
}

/** K as computed by the vehicle: DH(e_B, E_L) ‖ DH(e_B, L). */
export function vehicleSessionKey<P>(b: GroupBackend<P>, input: VehicleKeyAgreement): Uint8Array {
  const { ephemeral, lagEphemeralKey, lagStaticKey } = input;
  const dh1 = diffieHellman(b, ephemeral.secretKey, lagEphemeralKey);
  const dh2 = diffieHellman(b, ephemeral.secretKey, lagStaticKey);
  return deriveKey(dh1, dh2, input.transcriptHash, [ephemeral.publicKey, lagEphemeralKey, lagStaticKey]);
}

/** K as computed by the LAG: DH(e_L, E_B) ‖ DH(l, E_B) — the same two shared secrets. */
export function lagSessionKey<P>(b: GroupBackend<P>, input: LagKeyAgreement): Uint8Array {
  const { ephemeral, vehicleEphemeralKey } = input;
  const dh1 = diffieHellman(b, ephemeral.secretKey, vehicleEphemeralKey);
  const dh2 = diffieHellman(b, input.static.secretKey, vehicleEphemeralKey);
  return deriveKey(dh1, dh2, input.transcriptHash, [vehicleEphemeralKey, ephemeral.publicKey, input.static.publicKey]);
}
