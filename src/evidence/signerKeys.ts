/**
 * ECDSA (secp256k1) checks of EIP-712 signatures, as strict as OpenZeppelin's ECDSA: 65 bytes,
 * v in {27, 28}, low s, r and s in range. An address's public key is learnt from the first
 * signature that recovers to it (the address is the key's hash, so the key is then known for
 * good); later signatures naming that address are verified against the key instead of being
 * recovered, and a key that verifies often gets precomputed multiplication tables. Both paths
 * accept exactly the signatures `ecrecover` maps to the address. A (signer, digest, signature)
 * triple that verified is remembered in a bounded set, so the same evidence checked again in
 * this process (by its receiver, then by each store that keeps it) costs a lookup: sound because
 * the check is deterministic; only successes are kept, so a bad signature is checked every time.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { getAddress, getBytes } from "ethers";
import { EvidenceError } from "./errors.js";

const Point = secp256k1.Point;
type Point = InstanceType<typeof Point>;
const Fn = Point.Fn;
const HALF_N = Fn.ORDER >> 1n;

/** Verifications of one key after which it gets precomputed tables (they cost about 30 verifications). */
const PRECOMPUTE_AFTER = 64;
/** Window of the precomputed tables (2⁷·33 points per key). */
const PRECOMPUTE_WINDOW = 8;
/** Keys kept at most; the map starts afresh beyond (a bound on memory, not on correctness). */
const MAX_KEYS = 100_000;
const MAX_PRECOMPUTED = 256;
/** Verified triples kept at most; the set starts afresh beyond (a bound on memory). */
const MAX_VERIFIED = 65_536;

interface KnownKey {
  readonly point: Point;
  uses: number;
  /** The point has precomputed tables. */
  tables: boolean;
}

const known = new Map<string, KnownKey>();
let precomputed = 0;
const verified = new Set<string>();

interface Parsed {
  readonly r: bigint;
  readonly s: bigint;
  /** The recovery id: 0 (v = 27, even y) or 1 (v = 28, odd y). */
  readonly recovery: 0 | 1;
}

const toBig = (b: Uint8Array): bigint => BigInt("0x" + Buffer.from(b).toString("hex"));

/** Checks a 65-byte r‖s‖v signature as OpenZeppelin ECDSA does; `EvidenceError("BAD_SIGNATURE")` otherwise. */
function parse(signature: string): Parsed {
  let bytes: Uint8Array;
  try {
    bytes = getBytes(signature);
  } catch (cause) {
    throw new EvidenceError("BAD_SIGNATURE", "signature is not hex", {}, cause);
  }
  if (bytes.length !== 65) {
    throw new EvidenceError("BAD_SIGNATURE", "signature must be 65 bytes", { length: bytes.length });
  }
  const r = toBig(bytes.subarray(0, 32));
  const s = toBig(bytes.subarray(32, 64));
  const v = bytes[64];
  if (v !== 27 && v !== 28) throw new EvidenceError("BAD_SIGNATURE", "signature v must be 27 or 28", { v });
  if (s > HALF_N || s === 0n) throw new EvidenceError("BAD_SIGNATURE", "signature s is not low", { s: s.toString(16) });
  if (r === 0n || r >= Fn.ORDER) throw new EvidenceError("BAD_SIGNATURE", "signature r out of range");
  return { r, s, recovery: v === 27 ? 0 : 1 };
}

function addressOf(point: Point): string {
  const hash = keccak_256(point.toBytes(false).subarray(1));
  return getAddress("0x" + Buffer.from(hash.subarray(12)).toString("hex"));
}

function remember(address: string, point: Point): void {
  if (known.size >= MAX_KEYS) {
    known.clear();
    precomputed = 0;
  }
  known.set(address, { point, uses: 0, tables: false });
}

/**
 * Recovers the signer (checksummed address) of `digest`. Throws `EvidenceError("BAD_SIGNATURE")`
 * for anything OpenZeppelin ECDSA would reject: wrong length, bad v, high s, r or s out of range.
 */
export function recoverSigner(digest: string, signature: string): string {
  const { r, s, recovery } = parse(signature);
  let point: Point;
  try {
    point = new secp256k1.Signature(r, s, recovery).recoverPublicKey(getBytes(digest));
  } catch (cause) {
    throw new EvidenceError("BAD_SIGNATURE", "signature does not recover", { digest }, cause);
  }
  const address = addressOf(point);
  if (!known.has(address)) remember(address, point);
  return address;
}

/**
 * True if `signature` over `digest` is by `signer` (a checksummed address): what
 * `recoverSigner(digest, signature) === signer` says, without the recovery once the key is known.
 * A signature that `recoverSigner` rejects is false here.
 */
export function isSignedBy(digest: string, signature: string, signer: string): boolean {
  // "|" is in none of the three (hex strings), so distinct triples give distinct entries.
  const entry = `${signer}|${digest}|${signature}`;
  if (verified.has(entry)) return true;
  const ok = checkSignedBy(digest, signature, signer);
  if (ok) {
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.add(entry);
  }
  return ok;
}

function checkSignedBy(digest: string, signature: string, signer: string): boolean {
  const key = known.get(signer);
  if (key === undefined) {
    try {
      return recoverSigner(digest, signature) === signer;
    } catch {
      return false;
    }
  }
  let parsed: Parsed;
  try {
    parsed = parse(signature);
  } catch {
    return false;
  }
  const { r, s, recovery } = parsed;
  if (++key.uses === PRECOMPUTE_AFTER && precomputed < MAX_PRECOMPUTED) {
    key.point.precompute(PRECOMPUTE_WINDOW);
    key.tables = true;
    precomputed++;
  }
  // ecrecover's R (x = r, y of parity v) satisfies s·R = h·G + r·Q for the signer's key Q exactly
  // when R = (h/s)·G + (r/s)·Q: compute the right-hand side and compare it with R.
  const h = Fn.create(toBig(getBytes(digest)));
  const inv = Fn.inv(s);
  const u1 = Fn.create(h * inv);
  const u2 = Fn.create(r * inv);
  const R = key.tables ? Point.BASE.multiplyUnsafe(u1).add(key.point.multiplyUnsafe(u2)) : Point.BASE.mulAddUnsafe(u1, key.point, u2);
  if (R.is0()) return false;
  const { x, y } = R.toAffine();
  return x === r && Number(y & 1n) === recovery;
}
