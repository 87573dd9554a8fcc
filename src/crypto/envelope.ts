/**
 * HPKE-style envelope to a recipient key (the CA), for answers only the CA may read.
 *
 *   e = SHA-512(frame("v2g/envelope/ephemeral", [z, R, aad, pt])) mod ℓ   (z: 32 fresh random bytes)
 *   epk = e·G, shared = encode(e·R)                                  (R: recipient key)
 *   key ‖ nonce = HKDF-SHA-256(ikm = shared, salt = frame("v2g/envelope/salt", [u8 version]),
 *                              info = frame("v2g/envelope/key", [epk, R]), 32 + 12 bytes)
 *   padded = u16be(|pt|) ‖ pt ‖ zeros, always ENVELOPE_PADDED_BYTES long
 *   ct = ChaCha20-Poly1305(key, nonce, padded, aad = frame("v2g/envelope/aad", [u8 version, epk, aad]))
 *   envelope = u8 version ‖ epk ‖ ct                                  (ENVELOPE_BYTES, always)
 *
 * Every envelope has the same length whatever it carries, so an observer (the LAG)
 * cannot tell an "accept" from a "decline". The key and nonce are fresh per envelope
 * because e is. e is hedged as the signatures' nonces are: a random source that repeats
 * (a cloned VM, a broken generator) still gives a fresh e for every other plaintext or
 * associated data, so it never reuses a ChaCha20-Poly1305 key and nonce for two messages
 * (only an identical plaintext under identical associated data repeats, as the same envelope).
 * Use a recipient key reserved for envelopes (not the escrow key Y).
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import type { GroupBackend } from "./backend.js";
import { assertBytes, concatBytes, drawRandom, isAllZero, systemRandom, type RandomSource } from "./bytes.js";
import { frame } from "./encoding.js";
import { CryptoAuthError, CryptoFailureError, CryptoInputError } from "./errors.js";
import { publicKeyOf, type KeyPair } from "./keys.js";
import { isZeroScalar } from "./scalar.js";
import { diffieHellman } from "./session.js";
import { TAGS } from "./tags.js";

/** Envelope layout version. */
export const ENVELOPE_VERSION = 1;
/** Fixed padded plaintext size. */
export const ENVELOPE_PADDED_BYTES = 128;
/** Largest plaintext an envelope carries. */
export const ENVELOPE_PLAINTEXT_MAX = ENVELOPE_PADDED_BYTES - 2;
/** Size of every envelope: version, epk, padded ciphertext, Poly1305 tag. */
export const ENVELOPE_BYTES = 1 + 32 + ENVELOPE_PADDED_BYTES + 16;
/** Largest associated data. */
const AAD_MAX = 65_536;

function keys(shared: Uint8Array, epk: Uint8Array, recipient: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const salt = frame(TAGS.envelopeSalt, [Uint8Array.of(ENVELOPE_VERSION)]);
  const okm = hkdf(sha256, shared, salt, frame(TAGS.envelopeKey, [epk, recipient]), 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

function fullAad(epk: Uint8Array, aad: Uint8Array): Uint8Array {
  return frame(TAGS.envelopeAad, [Uint8Array.of(ENVELOPE_VERSION), epk, aad]);
}

/** e from fresh randomness and every input of the envelope (see the header). */
function hedgedEphemeral<P>(b: GroupBackend<P>, recipientKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, rng: RandomSource): KeyPair {
  assertBytes(recipientKey, "recipientKey", 32);
  for (let attempt = 0; attempt < 8; attempt++) {
    const z = drawRandom(rng, 32);
    const secretKey = b.scalarReduceWide(sha512(frame(TAGS.envelopeEphemeral, [z, recipientKey, aad, plaintext])));
    if (!isZeroScalar(secretKey)) return { secretKey, publicKey: publicKeyOf(b, secretKey) };
  }
  throw new CryptoFailureError("RANDOMNESS", "could not derive a non-zero envelope key");
}

/** Seals `plaintext` (≤ ENVELOPE_PLAINTEXT_MAX bytes) to `recipientKey`, bound to `aad`. */
export function sealEnvelope<P>(
  b: GroupBackend<P>,
  recipientKey: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
  rng: RandomSource = systemRandom,
): Uint8Array {
  assertBytes(plaintext, "plaintext", { min: 0, max: ENVELOPE_PLAINTEXT_MAX });
  assertBytes(aad, "aad", { min: 0, max: AAD_MAX });
  const ephemeral = hedgedEphemeral(b, recipientKey, plaintext, aad, rng);
  const shared = diffieHellman(b, ephemeral.secretKey, recipientKey);
  const { key, nonce } = keys(shared, ephemeral.publicKey, recipientKey);
  const padded = new Uint8Array(ENVELOPE_PADDED_BYTES);
  padded[0] = plaintext.length >> 8;
  padded[1] = plaintext.length & 0xff;
  padded.set(plaintext, 2);
  const ciphertext = chacha20poly1305(key, nonce, fullAad(ephemeral.publicKey, aad)).encrypt(padded);
  return concatBytes(Uint8Array.of(ENVELOPE_VERSION), ephemeral.publicKey, ciphertext);
}

/**
 * Opens an envelope with the recipient's secret key. Throws `CryptoInputError` for a
 * malformed envelope and `CryptoAuthError` when authentication fails (wrong key,
 * tampered ciphertext or associated data).
 */
export function openEnvelope<P>(
  b: GroupBackend<P>,
  recipient: { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array },
  envelope: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  assertBytes(envelope, "envelope", ENVELOPE_BYTES);
  assertBytes(aad, "aad", { min: 0, max: AAD_MAX });
  if (envelope[0] !== ENVELOPE_VERSION) {
    throw new CryptoInputError("UNSUPPORTED_VERSION", `unsupported envelope version ${envelope[0]}`);
  }
  const epk = envelope.slice(1, 33);
  const shared = diffieHellman(b, recipient.secretKey, epk);
  const { key, nonce } = keys(shared, epk, recipient.publicKey);
  let padded: Uint8Array;
  try {
    padded = chacha20poly1305(key, nonce, fullAad(epk, aad)).decrypt(envelope.subarray(33));
  } catch (cause) {
    throw new CryptoAuthError("DECRYPTION_FAILED", "envelope authentication failed", { cause });
  }
  const length = ((padded[0] as number) << 8) | (padded[1] as number);
  if (length > ENVELOPE_PLAINTEXT_MAX || !isAllZero(padded.subarray(2 + length))) {
    throw new CryptoInputError("INVALID_ENCODING", "envelope padding is malformed");
  }
  return padded.slice(2, 2 + length);
}
