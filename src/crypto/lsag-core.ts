/**
 * The ring walk shared by plain bLSAG and bLSAG with escrow (docs/crypto.md, "The ring proof").
 *
 * For member i (indices mod n), with challenge c_i:
 *   L_i = s_i·G + c_i·P_i
 *   R_i = s_i·B + c_i·I
 *   U_i = t_i·G + c_i·E1                      (escrow only)
 *   V_i = t_i·Y + c_i·E2 − c_i·P_i            (escrow only; = t_i·Y + c_i·(E2 − P_i))
 *   c_{i+1} = Hs(tag, statement…, L_i, R_i[, U_i, V_i])
 * One index π serves every relation, so the key that signs is the key in the escrow.
 *
 * This module is internal: `lsag.ts` and `lsag-escrow.ts` validate inputs and call it.
 */
import { sha512 } from "@noble/hashes/sha2.js";
import type { GroupBackend } from "./backend.js";
import { assertBytes, ctEqual, drawRandom, systemRandom, u32be, utf8, type RandomSource } from "./bytes.js";
import { frame } from "./encoding.js";
import { CryptoInputError } from "./errors.js";
import type { PrefixedScalarHasher } from "./hash.js";
import { publicKeyOf } from "./keys.js";
import { isZeroScalar } from "./scalar.js";
import { TAGS } from "./tags.js";

/** The escrow part of a prepared statement. */
export interface EscrowPoints<P> {
  /** CA key Y. */
  readonly Y: P;
  readonly E1: P;
  readonly E2: P;
}

/** A statement decoded into backend points, with its challenge hasher. */
export interface PreparedStatement<P> {
  readonly members: readonly P[];
  /** Scope base B. */
  readonly B: P;
  /** Key image I. */
  readonly I: P;
  readonly escrow?: EscrowPoints<P>;
  /** Hs(tag, statement…, ·) with the statement already absorbed. */
  readonly hasher: PrefixedScalarHasher;
}

/** Responses of a ring walk. */
export interface WalkResult {
  readonly c1: Uint8Array;
  readonly s: Uint8Array[];
  readonly t: Uint8Array[];
}

/** Variable-time verification walk (public data only): true when the chain closes at c_1. */
export function verifyWalk<P>(
  b: GroupBackend<P>,
  st: PreparedStatement<P>,
  c1: Uint8Array,
  s: readonly Uint8Array[],
  t: readonly Uint8Array[],
): boolean {
  let c = c1;
  for (let i = 0; i < st.members.length; i++) {
    const si = s[i] as Uint8Array;
    const cP = b.mulPublic(c, st.members[i] as P);
    const L = b.add(b.mulBasePublic(si), cP);
    const R = b.mulAddPublic(si, st.B, c, st.I);
    if (st.escrow === undefined) {
      c = st.hasher.next(b.encode(L), b.encode(R));
    } else {
      const ti = t[i] as Uint8Array;
      const { Y, E1, E2 } = st.escrow;
      const U = b.mulBaseAddPublic(ti, c, E1);
      const V = b.sub(b.mulAddPublic(ti, Y, c, E2), cP);
      c = st.hasher.next(b.encode(L), b.encode(R), b.encode(U), b.encode(V));
    }
    // A zero challenge has probability 2^-252; libsodium cannot multiply by it, so both backends reject.
    if (isZeroScalar(c)) return false;
  }
  return ctEqual(c, c1);
}

/** Deterministic expansion of a hedged seed into the signer's scalars. */
export class NonceStream<P> {
  constructor(
    private readonly b: GroupBackend<P>,
    private readonly seed: Uint8Array,
  ) {}

  /** Scalar for (label, index) = SHA-512(frame("v2g/nonce/expand", [seed, label, u32be(index)])) mod ℓ. */
  scalar(label: "alpha" | "beta" | "s" | "t", index: number): Uint8Array {
    return this.b.scalarReduceWide(sha512(frame(TAGS.nonceExpand, [this.seed, utf8(label), u32be(index)])));
  }
}

/** The secret side of a walk: signer index π, secret x and, with escrow, the ElGamal randomness r. */
export interface WalkSecrets {
  readonly index: number;
  readonly x: Uint8Array;
  readonly r?: Uint8Array;
}

/**
 * Signing walk with constant-time multiplications only. Returns `undefined` in the
 * negligible case of a zero scalar or challenge; the caller retries with a new seed.
 */
export function signWalk<P>(
  b: GroupBackend<P>,
  st: PreparedStatement<P>,
  secrets: WalkSecrets,
  nonces: NonceStream<P>,
): WalkResult | undefined {
  const n = st.members.length;
  const pi = secrets.index;
  const c: Uint8Array[] = new Array<Uint8Array>(n);
  const s: Uint8Array[] = new Array<Uint8Array>(n);
  const t: Uint8Array[] = new Array<Uint8Array>(n);
  // L_π = α·G, R_π = α·B, U_π = β·G, V_π = β·Y
  const alpha = nonces.scalar("alpha", 0);
  const beta = st.escrow === undefined ? alpha : nonces.scalar("beta", 0);
  if (isZeroScalar(alpha) || isZeroScalar(beta)) return undefined;
  const start = [b.mulBase(alpha), b.mul(alpha, st.B)];
  if (st.escrow !== undefined) start.push(b.mulBase(beta), b.mul(beta, st.escrow.Y));
  let next = (pi + 1) % n;
  c[next] = st.hasher.next(...start.map((p) => b.encode(p)));
  // Walk π+1, …, π−1 with fresh responses.
  for (let k = 1; k < n; k++) {
    const i = next;
    const ci = c[i] as Uint8Array;
    const si = nonces.scalar("s", i);
    if (isZeroScalar(ci) || isZeroScalar(si)) return undefined;
    s[i] = si;
    const cP = b.mul(ci, st.members[i] as P);
    const points = [b.add(b.mulBase(si), cP), b.add(b.mul(si, st.B), b.mul(ci, st.I))];
    if (st.escrow !== undefined) {
      const ti = nonces.scalar("t", i);
      if (isZeroScalar(ti)) return undefined;
      t[i] = ti;
      const { Y, E1, E2 } = st.escrow;
      points.push(b.add(b.mulBase(ti), b.mul(ci, E1)), b.sub(b.add(b.mul(ti, Y), b.mul(ci, E2)), cP));
    }
    next = (i + 1) % n;
    c[next] = st.hasher.next(...points.map((p) => b.encode(p)));
  }
  // Close the ring: s_π = α − c_π·x, t_π = β − c_π·r.
  const cPi = c[pi] as Uint8Array;
  if (isZeroScalar(cPi)) return undefined;
  s[pi] = b.scalarSub(alpha, b.scalarMul(cPi, secrets.x));
  if (isZeroScalar(s[pi] as Uint8Array)) return undefined;
  if (st.escrow !== undefined) {
    if (secrets.r === undefined) return undefined;
    t[pi] = b.scalarSub(beta, b.scalarMul(cPi, secrets.r));
    if (isZeroScalar(t[pi] as Uint8Array)) return undefined;
  }
  return { c1: c[0] as Uint8Array, s, t: st.escrow === undefined ? [] : t };
}

/** Options of the signers. */
export interface HedgeOptions {
  /** Signer position in the ring; found by a full constant-time scan when absent. */
  readonly index?: number;
  /**
   * 32 bytes of fresh randomness mixed into the hedged nonces. Leave unset in
   * production (the system generator is used); fixed values give reproducible
   * signatures for test vectors. Nonces stay secret even if it repeats, because
   * they are also derived from the secret key and the whole statement.
   */
  readonly randomness?: Uint8Array;
  /** Random source used when `randomness` is unset. */
  readonly rng?: RandomSource;
}

/** The 32 bytes of fresh randomness of one signature. */
export function hedgeRandomness(options: HedgeOptions): Uint8Array {
  if (options.randomness !== undefined) {
    assertBytes(options.randomness, "randomness", 32);
    return options.randomness;
  }
  return drawRandom(options.rng ?? systemRandom, 32);
}

/**
 * Position of the signer's public key x·G in the ring. Without a hint every member
 * is compared (no early exit), so the time does not depend on the position.
 */
export function findSignerIndex<P>(
  b: GroupBackend<P>,
  ring: readonly Uint8Array[],
  secretKey: Uint8Array,
  hint?: number,
): number {
  const publicKey = publicKeyOf(b, secretKey);
  if (hint !== undefined) {
    if (!Number.isInteger(hint) || hint < 0 || hint >= ring.length || !ctEqual(ring[hint] as Uint8Array, publicKey)) {
      throw new CryptoInputError("NOT_A_MEMBER", "the signer's public key is not at the given ring index");
    }
    return hint;
  }
  let found = -1;
  for (let i = 0; i < ring.length; i++) {
    const match = ctEqual(ring[i] as Uint8Array, publicKey);
    found = match ? i : found;
  }
  if (found < 0) throw new CryptoInputError("NOT_A_MEMBER", "the signer's public key is not in the ring");
  return found;
}

/** Attempts before giving up on a signature (each failing with probability ≈ n·2^-251). */
export const SIGN_ATTEMPTS = 4;
