/**
 * Linkable ring signature (bLSAG) with a scoped key image, without escrow
 * (the escrow variant without U, V and t).
 *
 *   c_{i+1} = Hs("v2g/lsag/c", groupId, root, u64be(version), ring, B, I, m, L_i, R_i)
 */
import { sha512 } from "@noble/hashes/sha2.js";
import type { GroupBackend } from "./backend.js";
import { u32be } from "./bytes.js";
import { frame } from "./encoding.js";
import { CryptoFailureError } from "./errors.js";
import { PrefixedScalarHasher } from "./hash.js";
import {
  findSignerIndex,
  hedgeRandomness,
  NonceStream,
  signWalk,
  SIGN_ATTEMPTS,
  verifyWalk,
  type HedgeOptions,
} from "./lsag-core.js";
import { checkStatement, type RingLimits, type RingStatement } from "./ring.js";
import { assertScalar } from "./scalar.js";
import { scopeBaseBytes } from "./scope.js";
import { checkLsagShape, type LsagSignature } from "./signature.js";
import { TAGS } from "./tags.js";

/** Options of `lsagSign`. */
export interface LsagSignOptions extends HedgeOptions, RingLimits {}

/**
 * Signs `statement.message` as an anonymous member of `statement.ring`.
 * Throws `CryptoInputError` for malformed input or a key outside the ring; checks
 * the signature before returning it.
 */
export function lsagSign<P>(
  b: GroupBackend<P>,
  statement: RingStatement,
  secretKey: Uint8Array,
  options: LsagSignOptions = {},
): LsagSignature {
  const { groupItems, ringList } = checkStatement(statement, options);
  assertScalar(secretKey, "secretKey");
  const n = statement.ring.length;
  const index = findSignerIndex(b, statement.ring, secretKey, options.index);
  const members = statement.ring.map((m, i) => b.decode(m, 1, `ring[${i}]`));
  const baseBytes = scopeBaseBytes(b, statement.scope);
  // A signer uses B n times: a per-call table, unless a verifier in this process cached one.
  const B = b.decode(baseBytes, n, "scope base");
  // I = x·B
  const image = b.mul(secretKey, B);
  const keyImage = b.encode(image).slice();
  const I = b.prepare(image, n);
  const hasher = new PrefixedScalarHasher(TAGS.lsagChallenge, [
    ...groupItems,
    ringList,
    baseBytes,
    keyImage,
    statement.message,
  ]);
  // Hedged nonces: from x, the whole statement (prefix digest), fresh randomness and the attempt.
  const z = hedgeRandomness(options);
  const statementDigest = hasher.prefixDigest();
  for (let attempt = 0; attempt < SIGN_ATTEMPTS; attempt++) {
    const seed = sha512(frame(TAGS.lsagNonce, [secretKey, statementDigest, z, u32be(attempt)]));
    const walk = signWalk(b, { members, B, I, hasher }, { index, x: secretKey }, new NonceStream(b, seed));
    if (walk === undefined) continue;
    const signature: LsagSignature = { kind: "lsag", c1: walk.c1, s: walk.s, keyImage };
    if (!verifyLsag(b, statement, signature, options, true)) {
      throw new CryptoFailureError("SELF_CHECK_FAILED", "the new ring signature does not verify");
    }
    return signature;
  }
  throw new CryptoFailureError("NONCE_EXHAUSTED", "could not produce a ring signature");
}

/**
 * Verifies a plain ring signature. Returns `false` for a well-formed but invalid
 * signature; throws `CryptoInputError` only for malformed input (lengths, ring
 * size, duplicates, identity or non-canonical encodings, scalars ≥ ℓ or zero).
 * The key-image store (was I seen before in this scope?) is the caller's.
 */
export function lsagVerify<P>(
  b: GroupBackend<P>,
  statement: RingStatement,
  signature: LsagSignature,
  options: RingLimits = {},
): boolean {
  return verifyLsag(b, statement, signature, options, false);
}

function verifyLsag<P>(
  b: GroupBackend<P>,
  statement: RingStatement,
  signature: LsagSignature,
  options: RingLimits,
  signerCheck: boolean,
): boolean {
  const { groupItems, ringList } = checkStatement(statement, options);
  const n = statement.ring.length;
  checkLsagShape(signature, n);
  // A verifier caches member and scope tables; the signer's own check builds nothing lasting.
  const members = statement.ring.map((m, i) => b.decode(m, signerCheck ? 1 : "member", `ring[${i}]`));
  const baseBytes = scopeBaseBytes(b, statement.scope);
  const B = b.decode(baseBytes, signerCheck ? n : "scope", "scope base");
  const I = b.decode(signature.keyImage, n, "keyImage");
  const hasher = new PrefixedScalarHasher(TAGS.lsagChallenge, [
    ...groupItems,
    ringList,
    baseBytes,
    signature.keyImage,
    statement.message,
  ]);
  return verifyWalk(b, { members, B, I, hasher }, signature.c1, signature.s, []);
}
