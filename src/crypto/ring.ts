/**
 * Statements of the ring proofs and their input checks.
 *
 * The ring is the ordered list the signer chose: its order is part of the
 * statement and of every challenge hash. A ring has 2..MAX_RING_SIZE distinct,
 * canonical, non-identity members.
 */
import { checkPointEncoding, POINT_BYTES } from "./backend.js";
import { assertBytes, bytesToHex } from "./bytes.js";
import { encodeFixedList, encodeGroupItems, encodeScope, type GroupContext, type Scope } from "./encoding.js";
import { CryptoInputError } from "./errors.js";

/** Smallest ring: a ring of one would name the signer. */
export const MIN_RING_SIZE = 2;
/** Largest ring accepted by default (bounds verification work per message). */
export const MAX_RING_SIZE = 256;
/** Largest message m accepted. */
export const MAX_MESSAGE_BYTES = 65_536;

/** Public inputs of a linkable ring signature (plain bLSAG). */
export interface RingStatement {
  /** Group the ring is drawn from, at the committed version. */
  readonly group: GroupContext;
  /** Ordered ring members (32-byte encodings). */
  readonly ring: readonly Uint8Array[];
  /** Scope of linkability (LAG id, epoch). */
  readonly scope: Scope;
  /** The message m, which binds the authentication context (see `encodeAuthMessage`). */
  readonly message: Uint8Array;
}

/** Public inputs of a ring signature with identity escrow. */
export interface EscrowStatement extends RingStatement {
  /** The CA's escrow key Y = y·G. */
  readonly caKey: Uint8Array;
}

/** Limits a caller may tighten. */
export interface RingLimits {
  /** Largest accepted ring (default `MAX_RING_SIZE`). */
  readonly maxRingSize?: number;
}

/**
 * The largest ring `limits` allow: `maxRingSize` must be an integer in
 * MIN_RING_SIZE..MAX_RING_SIZE (`NaN`, fractions or out-of-range values would otherwise
 * switch the bound off or make every ring fail); throws `CryptoInputError` (`OUT_OF_RANGE`).
 */
export function ringSizeBound(limits: RingLimits = {}): number {
  const max = limits.maxRingSize ?? MAX_RING_SIZE;
  if (!Number.isInteger(max) || max < MIN_RING_SIZE || max > MAX_RING_SIZE) {
    throw new CryptoInputError("OUT_OF_RANGE", `maxRingSize must be an integer in ${MIN_RING_SIZE}..${MAX_RING_SIZE}`, {
      details: `got ${String(max)}`,
    });
  }
  return max;
}

/** Checks ring size, member encodings and distinctness (no curve arithmetic). */
export function checkRing(ring: unknown, limits: RingLimits = {}): asserts ring is readonly Uint8Array[] {
  const max = ringSizeBound(limits);
  if (!Array.isArray(ring)) throw new CryptoInputError("INVALID_TYPE", "ring must be an array");
  if (ring.length < MIN_RING_SIZE || ring.length > max) {
    throw new CryptoInputError("RING_SIZE", `ring size must be ${MIN_RING_SIZE}..${max}`, {
      details: `got ${ring.length} members`,
    });
  }
  const seen = new Set<string>();
  ring.forEach((member: unknown, i) => {
    checkPointEncoding(member, `ring[${i}]`);
    const hex = bytesToHex(member);
    if (seen.has(hex)) throw new CryptoInputError("DUPLICATE_MEMBER", `ring[${i}] appears twice in the ring`);
    seen.add(hex);
  });
}

/** Validates a statement and returns its encoded parts (group items, ring list, scope bytes). */
export function checkStatement(
  statement: RingStatement,
  limits: RingLimits = {},
): { readonly groupItems: Uint8Array[]; readonly ringList: Uint8Array } {
  if (typeof statement !== "object" || statement === null) {
    throw new CryptoInputError("INVALID_TYPE", "statement must be an object");
  }
  checkRing(statement.ring, limits);
  assertBytes(statement.message, "message", { min: 0, max: MAX_MESSAGE_BYTES });
  encodeScope(statement.scope);
  return {
    groupItems: encodeGroupItems(statement.group),
    ringList: encodeFixedList(statement.ring, POINT_BYTES),
  };
}
