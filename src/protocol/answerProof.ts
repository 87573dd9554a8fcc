/**
 * A vehicle's proof that an answer comes from one member of a committed group version: a plain
 * linkable ring signature over the answer, with its key image scoped to one (LAG, request). The
 * verifier (the CA) learns nothing of which member signed, but one member has one key image per
 * request — a slot nobody else can fill or choose — and a party without a member key (a
 * dishonest LAG) cannot produce a proof at all, nor move one onto another answer.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { decodeLsagSignature, encodeSignature, frame, lsagSign, lsagVerify, type RingStatement, type Scope } from "../crypto/index.js";
import type { VehicleCredential } from "./ca.js";
import type { Backend, PartyContext } from "./context.js";
import { guard, ProtocolError } from "./errors.js";
import type { GroupDirectory } from "./groups.js";
import { MAX_ANSWER_RING } from "./messages.js";


/** The proof's fields, as the messages carry them. */
export interface AnswerProof {
  readonly groupId: Uint8Array;
  readonly groupVersion: bigint;
  readonly ring: readonly Uint8Array[];
  readonly signature: Uint8Array;
}

/** The scope of the answers to one request at one LAG under `tag` (each protocol its own). */
export function answerScope(tag: string, lagId: Uint8Array, requestId: Uint8Array): Scope {
  return { lagId: sha256(frame(tag, [lagId, requestId])), epoch: 0n };
}

/** Signs `message` in `scope` with the vehicle's credential. */
export function signAnswerProof(ctx: PartyContext, credential: VehicleCredential, scope: Scope, message: Uint8Array): AnswerProof {
  const c = credential;
  const statement = { group: { groupId: c.groupId, root: c.root, version: c.groupVersion }, ring: c.ring, scope, message };
  const signature = lsagSign(ctx.backend, statement, c.keys.secretKey, { rng: ctx.rng, maxRingSize: MAX_ANSWER_RING });
  return { groupId: c.groupId, groupVersion: c.groupVersion, ring: [...c.ring], signature: encodeSignature(signature) };
}

/** One ring check of an answer proof, as plain data (it can cross to a worker thread). */
export interface AnswerRingCheck {
  readonly statement: RingStatement;
  /** The encoded plain ring signature. */
  readonly signature: Uint8Array;
}

/** Runs an answer's ring check: true if the signature verifies (on the calling thread). */
export function runAnswerRingCheck(b: Backend, check: AnswerRingCheck): boolean {
  const signature = decodeLsagSignature(check.signature, { maxRingSize: MAX_ANSWER_RING });
  return lsagVerify(b, check.statement, signature, { maxRingSize: MAX_ANSWER_RING });
}

/** Runs many ring checks (e.g. on a worker pool); resolves one boolean per check, in order. */
export type AnswerVerifier = (checks: readonly AnswerRingCheck[]) => Promise<readonly boolean[]>;

/**
 * The cheap part of verifying a proof: the committed group (`UNKNOWN_GROUP`, `NOT_IN_GROUP`,
 * and, given `now` and a grace period, `SUPERSEDED_GROUP`) and the signature's encoding
 * (`MALFORMED`). Returns the ring check still to run and the key image it would prove: the
 * answering vehicle's slot for this request.
 */
export function prepareAnswerProof(
  groups: GroupDirectory,
  proof: AnswerProof,
  scope: Scope,
  message: Uint8Array,
  current?: { readonly now: bigint; readonly graceSeconds: bigint },
): { readonly check: AnswerRingCheck; readonly keyImage: Uint8Array } {
  if (current !== undefined) groups.checkCurrent(proof.groupId, proof.groupVersion, current.now, current.graceSeconds);
  const group = groups.checkRing(proof.groupId, proof.groupVersion, proof.ring);
  const signature = guard(() => decodeLsagSignature(proof.signature, { maxRingSize: MAX_ANSWER_RING }));
  const statement = { group: { groupId: proof.groupId, root: group.root, version: proof.groupVersion }, ring: [...proof.ring], scope, message };
  return { check: { statement, signature: proof.signature }, keyImage: signature.keyImage };
}

/** Refuses a ring check that failed. */
export function requireRingCheck(ok: boolean): void {
  if (!ok) throw new ProtocolError("BAD_SIGNATURE", "the answer's ring signature does not verify");
}

/**
 * Verifies a proof on the calling thread (`prepareAnswerProof`, then the ring check:
 * `BAD_SIGNATURE`); returns the key image.
 */
export function verifyAnswerProof(
  b: Backend,
  groups: GroupDirectory,
  proof: AnswerProof,
  scope: Scope,
  message: Uint8Array,
  current?: { readonly now: bigint; readonly graceSeconds: bigint },
): Uint8Array {
  const { check, keyImage } = prepareAnswerProof(groups, proof, scope, message, current);
  requireRingCheck(runAnswerRingCheck(b, check));
  return keyImage;
}
