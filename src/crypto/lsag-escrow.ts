/**
 * Linkable ring signature with identity escrow (docs/crypto.md, "The ring proof"):
 * the signer encrypts its own public key to the CA,
 * E1 = r·G, E2 = P_π + r·Y, and proves in the same ring, with one index π for all
 * relations, that P_π = x·G, I = x·B, E1 = r·G and E2 − P_π = r·Y.
 *
 *   c_{i+1} = Hs("v2g/lsag-escrow/c", groupId, root, u64be(version), Y, ring, B, I, E1, E2, m,
 *                L_i, R_i, U_i, V_i)
 *
 * The CA opens with P = E2 − y·E1.
 */
import { sha512 } from "@noble/hashes/sha2.js";
import { checkPointEncoding, type GroupBackend } from "./backend.js";
import { ctEqual, u32be } from "./bytes.js";
import { frame } from "./encoding.js";
import { CryptoFailureError, CryptoInputError } from "./errors.js";
import { PrefixedScalarHasher, taggedSha512 } from "./hash.js";
import {
  findSignerIndex,
  hedgeRandomness,
  NonceStream,
  signWalk,
  SIGN_ATTEMPTS,
  verifyWalk,
  type HedgeOptions,
  type PreparedStatement,
} from "./lsag-core.js";
import { checkStatement, type EscrowStatement, type RingLimits } from "./ring.js";
import { assertScalar, isZeroScalar } from "./scalar.js";
import { scopeBaseBytes } from "./scope.js";
import { checkEscrowShape, type EscrowSignature } from "./signature.js";
import { TAGS } from "./tags.js";

/** Options of `escrowSign`. */
export interface EscrowSignOptions extends HedgeOptions, RingLimits {}

/** The challenge hasher of the escrow variant, statement absorbed. */
export function escrowChallengeHasher(
  groupItems: readonly Uint8Array[],
  caKey: Uint8Array,
  ringList: Uint8Array,
  baseBytes: Uint8Array,
  keyImage: Uint8Array,
  e1: Uint8Array,
  e2: Uint8Array,
  message: Uint8Array,
): PrefixedScalarHasher {
  return new PrefixedScalarHasher(TAGS.escrowChallenge, [
    ...groupItems,
    caKey,
    ringList,
    baseBytes,
    keyImage,
    e1,
    e2,
    message,
  ]);
}

/**
 * Signs as an anonymous ring member and escrows the signer's key to the CA.
 * Throws `CryptoInputError` for malformed input or a key outside the ring; checks
 * the signature before returning it.
 */
export function escrowSign<P>(
  b: GroupBackend<P>,
  statement: EscrowStatement,
  secretKey: Uint8Array,
  options: EscrowSignOptions = {},
): EscrowSignature {
  const { groupItems, ringList } = checkStatement(statement, options);
  assertScalar(secretKey, "secretKey");
  checkPointEncoding(statement.caKey, "caKey");
  const n = statement.ring.length;
  const index = findSignerIndex(b, statement.ring, secretKey, options.index);
  const members = statement.ring.map((m, i) => b.decode(m, 1, `ring[${i}]`));
  const Y = b.decode(statement.caKey, "fixed", "caKey");
  const baseBytes = scopeBaseBytes(b, statement.scope);
  // A signer uses B n times: a per-call table, unless a verifier in this process cached one.
  const B = b.decode(baseBytes, n, "scope base");
  const image = b.mul(secretKey, B);
  const keyImage = b.encode(image).slice();
  const I = b.prepare(image, n);
  const z = hedgeRandomness(options);
  for (let attempt = 0; attempt < SIGN_ATTEMPTS; attempt++) {
    // Hedged ElGamal randomness r, then E1 = r·G, E2 = P_π + r·Y.
    const r = b.scalarReduceWide(
      taggedSha512(TAGS.escrowRandomness, [
        secretKey,
        ...groupItems,
        statement.caKey,
        ringList,
        baseBytes,
        keyImage,
        statement.message,
        z,
        u32be(attempt),
      ]),
    );
    if (isZeroScalar(r)) continue;
    const E1 = b.prepare(b.mulBase(r), n);
    const E2 = b.prepare(b.add(members[index] as P, b.mul(r, Y)), n);
    const e1 = b.encode(E1).slice();
    const e2 = b.encode(E2).slice();
    const hasher = escrowChallengeHasher(groupItems, statement.caKey, ringList, baseBytes, keyImage, e1, e2, statement.message);
    const seed = sha512(frame(TAGS.escrowNonce, [secretKey, r, hasher.prefixDigest(), z, u32be(attempt)]));
    const prepared: PreparedStatement<P> = { members, B, I, escrow: { Y, E1, E2 }, hasher };
    const walk = signWalk(b, prepared, { index, x: secretKey, r }, new NonceStream(b, seed));
    if (walk === undefined) continue;
    const signature: EscrowSignature = { kind: "lsag-escrow", c1: walk.c1, s: walk.s, t: walk.t, keyImage, e1, e2 };
    if (!verifyEscrow(b, statement, signature, options, true)) {
      throw new CryptoFailureError("SELF_CHECK_FAILED", "the new escrow ring signature does not verify");
    }
    return signature;
  }
  throw new CryptoFailureError("NONCE_EXHAUSTED", "could not produce an escrow ring signature");
}

/**
 * Verifies an escrow ring signature: the ring relation, the key image and the
 * escrow all hold for one common member. `false` for a well-formed but invalid
 * signature; `CryptoInputError` only for malformed input.
 */
export function escrowVerify<P>(
  b: GroupBackend<P>,
  statement: EscrowStatement,
  signature: EscrowSignature,
  options: RingLimits = {},
): boolean {
  return verifyEscrow(b, statement, signature, options, false);
}

function verifyEscrow<P>(
  b: GroupBackend<P>,
  statement: EscrowStatement,
  signature: EscrowSignature,
  options: RingLimits,
  signerCheck: boolean,
): boolean {
  const { groupItems, ringList } = checkStatement(statement, options);
  checkPointEncoding(statement.caKey, "caKey");
  const n = statement.ring.length;
  checkEscrowShape(signature, n);
  // A verifier caches member and scope tables; the signer's own check builds nothing lasting.
  const members = statement.ring.map((m, i) => b.decode(m, signerCheck ? 1 : "member", `ring[${i}]`));
  const Y = b.decode(statement.caKey, "fixed", "caKey");
  const baseBytes = scopeBaseBytes(b, statement.scope);
  const B = b.decode(baseBytes, signerCheck ? n : "scope", "scope base");
  const I = b.decode(signature.keyImage, n, "keyImage");
  const E1 = b.decode(signature.e1, n, "e1");
  const E2 = b.decode(signature.e2, n, "e2");
  const { keyImage, e1, e2 } = signature;
  const hasher = escrowChallengeHasher(groupItems, statement.caKey, ringList, baseBytes, keyImage, e1, e2, statement.message);
  return verifyWalk(b, { members, B, I, escrow: { Y, E1, E2 }, hasher }, signature.c1, signature.s, signature.t);
}

/**
 * CA opening: P = E2 − y·E1 (constant-time in y). Open only for a dispute recorded
 * on-chain, and only a signature that verifies (see `escrowOpenVerified`).
 */
export function escrowOpen<P>(
  b: GroupBackend<P>,
  caSecretKey: Uint8Array,
  escrow: Pick<EscrowSignature, "e1" | "e2">,
): Uint8Array {
  assertScalar(caSecretKey, "caSecretKey");
  const E1 = b.decode(escrow.e1, 1, "e1");
  const E2 = b.decode(escrow.e2, 1, "e2");
  const P = b.sub(E2, b.mul(caSecretKey, E1));
  if (b.isIdentity(P)) throw new CryptoInputError("IDENTITY_POINT", "the escrow opens to the identity");
  return b.encode(P).slice();
}

/** Verifies, then opens, then locates the signer: `undefined` when the signature is invalid. */
export function escrowOpenVerified<P>(
  b: GroupBackend<P>,
  caSecretKey: Uint8Array,
  statement: EscrowStatement,
  signature: EscrowSignature,
  options: RingLimits = {},
): { readonly publicKey: Uint8Array; readonly index: number } | undefined {
  if (!escrowVerify(b, statement, signature, options)) return undefined;
  const publicKey = escrowOpen(b, caSecretKey, signature);
  const index = statement.ring.findIndex((member) => ctEqual(member, publicKey));
  return { publicKey, index };
}
