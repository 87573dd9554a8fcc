/**
 * Ring signatures as structured values, and their shape checks.
 *
 * Plain bLSAG: (c_1, s_1..s_n, I). With escrow: (c_1, s_1..s_n, t_1..t_n, I, E1, E2).
 * Shape checks throw `CryptoInputError` for wrong lengths, non-canonical or zero
 * scalars, identity or non-canonical point encodings.
 */
import { checkPointEncoding } from "./backend.js";
import { CryptoInputError } from "./errors.js";
import { assertScalar } from "./scalar.js";

/** A linkable ring signature with a scoped key image. */
export interface LsagSignature {
  readonly kind: "lsag";
  /** Challenge c_1 at ring index 0. */
  readonly c1: Uint8Array;
  /** Responses s_i, one per member, in ring order. */
  readonly s: readonly Uint8Array[];
  /** Key image I = x·B. */
  readonly keyImage: Uint8Array;
}

/** A linkable ring signature that also proves an ElGamal escrow of the signer's key. */
export interface EscrowSignature {
  readonly kind: "lsag-escrow";
  readonly c1: Uint8Array;
  readonly s: readonly Uint8Array[];
  /** Responses t_i of the escrow relations, one per member. */
  readonly t: readonly Uint8Array[];
  readonly keyImage: Uint8Array;
  /** E1 = r·G. */
  readonly e1: Uint8Array;
  /** E2 = P + r·Y. */
  readonly e2: Uint8Array;
}

/** Either kind of ring signature. */
export type RingSignature = LsagSignature | EscrowSignature;

function checkResponses(values: unknown, name: string, n: number): asserts values is readonly Uint8Array[] {
  if (!Array.isArray(values)) throw new CryptoInputError("INVALID_TYPE", `${name} must be an array`);
  if (values.length !== n) {
    throw new CryptoInputError("INVALID_LENGTH", `${name} must have one response per ring member`, {
      details: `ring has ${n} members, got ${values.length} responses`,
    });
  }
  values.forEach((v: unknown, i) => assertScalar(v, `${name}[${i}]`));
}

/** Shape check of a plain signature against a ring of `n` members. */
export function checkLsagShape(signature: LsagSignature, n: number): void {
  if (typeof signature !== "object" || signature === null || signature.kind !== "lsag") {
    throw new CryptoInputError("INVALID_TYPE", "expected a plain ring signature (kind 'lsag')");
  }
  assertScalar(signature.c1, "c1");
  checkResponses(signature.s, "s", n);
  checkPointEncoding(signature.keyImage, "keyImage");
}

/** Shape check of an escrow signature against a ring of `n` members. */
export function checkEscrowShape(signature: EscrowSignature, n: number): void {
  if (typeof signature !== "object" || signature === null || signature.kind !== "lsag-escrow") {
    throw new CryptoInputError("INVALID_TYPE", "expected an escrow ring signature (kind 'lsag-escrow')");
  }
  assertScalar(signature.c1, "c1");
  checkResponses(signature.s, "s", n);
  checkResponses(signature.t, "t", n);
  checkPointEncoding(signature.keyImage, "keyImage");
  checkPointEncoding(signature.e1, "e1");
  checkPointEncoding(signature.e2, "e2");
}
