/**
 * Schnorr signatures on ristretto255 (used for CA permits), key-prefixed and
 * with canonical encodings only, so a signature is non-malleable and binds its key:
 *
 *   sign:   k = SHA-512(frame(nonceTag, [x, X, m, z, u32be(attempt)])) mod ℓ   (hedged)
 *           R = k·G,  e = Hs(tag, X, R, m),  s = k + e·x        signature = R ‖ s (64 bytes)
 *   verify: X, R canonical and not the identity, 1 ≤ s < ℓ, e ≠ 0, and encode(s·G − e·X) = R
 */
import { sha512 } from "@noble/hashes/sha2.js";
import { checkPointEncoding, type GroupBackend } from "./backend.js";
import { assertBytes, concatBytes, ctEqual, u32be } from "./bytes.js";
import { frame } from "./encoding.js";
import { CryptoFailureError } from "./errors.js";
import { hashToScalar } from "./hash.js";
import { publicKeyOf } from "./keys.js";
import { hedgeRandomness, type HedgeOptions } from "./lsag-core.js";
import { assertScalar, isZeroScalar } from "./scalar.js";

/** Bytes of a Schnorr signature. */
export const SCHNORR_SIGNATURE_BYTES = 64;

/** Domain of one Schnorr use: the challenge tag and the nonce tag. */
export interface SchnorrDomain {
  readonly challengeTag: string;
  readonly nonceTag: string;
}

/** Signs `message`; checks the signature before returning it. */
export function schnorrSign<P>(
  b: GroupBackend<P>,
  domain: SchnorrDomain,
  secretKey: Uint8Array,
  message: Uint8Array,
  options: Pick<HedgeOptions, "randomness" | "rng"> = {},
): Uint8Array {
  assertScalar(secretKey, "secretKey");
  assertBytes(message, "message");
  const publicKey = publicKeyOf(b, secretKey);
  const z = hedgeRandomness(options);
  for (let attempt = 0; attempt < 4; attempt++) {
    const k = b.scalarReduceWide(sha512(frame(domain.nonceTag, [secretKey, publicKey, message, z, u32be(attempt)])));
    if (isZeroScalar(k)) continue;
    const R = b.encode(b.mulBase(k)).slice();
    const e = hashToScalar(domain.challengeTag, publicKey, R, message);
    if (isZeroScalar(e)) continue;
    const s = b.scalarAdd(k, b.scalarMul(e, secretKey));
    if (isZeroScalar(s)) continue;
    const signature = concatBytes(R, s);
    if (!schnorrVerify(b, domain, publicKey, message, signature)) {
      throw new CryptoFailureError("SELF_CHECK_FAILED", "the new Schnorr signature does not verify");
    }
    return signature;
  }
  throw new CryptoFailureError("NONCE_EXHAUSTED", "could not produce a Schnorr signature");
}

/** Verifies: `false` for a wrong signature, `CryptoInputError` for malformed input. */
export function schnorrVerify<P>(
  b: GroupBackend<P>,
  domain: SchnorrDomain,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  assertBytes(message, "message");
  assertBytes(signature, "signature", SCHNORR_SIGNATURE_BYTES);
  const R = signature.subarray(0, 32);
  const s = signature.subarray(32, 64);
  checkPointEncoding(R, "signature R");
  assertScalar(s, "signature s");
  const X = b.decode(publicKey, "fixed", "publicKey");
  const e = hashToScalar(domain.challengeTag, publicKey, R, message);
  if (isZeroScalar(e)) return false;
  // s·G − e·X must equal R
  const candidate = b.sub(b.mulBasePublic(s), b.mulPublic(e, X));
  return ctEqual(b.encode(candidate), R);
}
