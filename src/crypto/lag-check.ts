/**
 * Everything a LAG checks, at this layer, for one anonymous authentication — in
 * increasing order of cost, stopping at the first failure:
 *
 *   1. the CA permit presented in the exchange (signature and validity window);
 *   2. every ring member belongs to the committed member set of the group version;
 *   3. the session key K (two DH) and the vehicle's authentication operator over the transcript;
 *   4. the ring signature over the committed group, with escrow when the context needs it.
 *
 * Not included (protocol layer): which group versions are current, and the key-image store
 * ("was I seen before in this scope?"), for which the key image is returned.
 */
import type { GroupBackend } from "./backend.js";
import { CryptoInputError } from "./errors.js";
import { escrowVerify } from "./lsag-escrow.js";
import { lsagVerify } from "./lsag.js";
import { verifyAuthOperator } from "./operators.js";
import { bytesToHex } from "./bytes.js";
import { checkPermit, type Permit } from "./permit.js";
import type { EscrowStatement, RingLimits, RingStatement } from "./ring.js";
import { lagSessionKey, type LagKeyAgreement } from "./session.js";
import type { EscrowSignature, LsagSignature } from "./signature.js";

/** The member set of a committed group version: a ring is accepted only inside it. */
export interface CommittedMembers {
  has(member: Uint8Array): boolean;
}

/** The committed member set of a member list (32-byte keys). */
export function committedMembers(members: Iterable<Uint8Array>): CommittedMembers {
  const set = new Set<string>();
  for (const m of members) set.add(bytesToHex(m));
  return { has: (member) => set.has(bytesToHex(member)) };
}

/** Inputs of one anonymous-authentication check. */
export interface AnonymousAuthCheck {
  readonly permit: Permit;
  /** The committed member set of the group version the ring claims. */
  readonly members: CommittedMembers;
  readonly caPermitKey: Uint8Array;
  readonly now: bigint | number;
  readonly keyAgreement: LagKeyAgreement;
  readonly operatorLabel: string;
  readonly transcript: readonly Uint8Array[];
  readonly operatorTag: Uint8Array;
  readonly ring:
    | { readonly kind: "lsag-escrow"; readonly statement: EscrowStatement; readonly signature: EscrowSignature }
    | { readonly kind: "lsag"; readonly statement: RingStatement; readonly signature: LsagSignature };
  readonly limits?: RingLimits;
}

/** Outcome: the session key and key image on success, the failing check otherwise. */
export type AnonymousAuthResult =
  | { readonly ok: true; readonly sessionKey: Uint8Array; readonly keyImage: Uint8Array }
  | { readonly ok: false; readonly failed: "permit" | "membership" | "operator" | "ring" };

/**
 * Runs the checks. Returns `{ ok: false }` for anything well-formed but wrong and
 * throws `CryptoInputError` for malformed input.
 */
export function checkAnonymousAuth<P>(b: GroupBackend<P>, input: AnonymousAuthCheck): AnonymousAuthResult {
  if (checkPermit(b, input.caPermitKey, input.permit, input.now) !== "valid") return { ok: false, failed: "permit" };
  if (typeof input.members?.has !== "function") throw new CryptoInputError("INVALID_TYPE", "members must be a committed member set");
  if (!Array.isArray(input.ring.statement.ring) || !input.ring.statement.ring.every((m) => input.members.has(m))) {
    return { ok: false, failed: "membership" };
  }
  const sessionKey = lagSessionKey(b, input.keyAgreement);
  if (!verifyAuthOperator(sessionKey, input.operatorLabel, input.transcript, input.operatorTag)) {
    return { ok: false, failed: "operator" };
  }
  const { ring } = input;
  const ringOk =
    ring.kind === "lsag-escrow"
      ? escrowVerify(b, ring.statement, ring.signature, input.limits)
      : lsagVerify(b, ring.statement, ring.signature, input.limits);
  if (!ringOk) return { ok: false, failed: "ring" };
  return { ok: true, sessionKey, keyImage: ring.signature.keyImage.slice() };
}
