/**
 * The part of the LAG's charging → FC authentication that runs off its event loop: everything
 * between the LAG's cheap checks (`LagAuthenticator.prepare`: session, windows, freshness, ring
 * size, role, group version, membership of the committed set) and its final state change (key
 * image claimed, session registered). A job is plain bytes and numbers, so a worker thread runs
 * it as well as the LAG's own thread, and copying it across costs a few microseconds.
 *
 * The job, in order of cost: decode the challenge and the response; decode the escrowed ring
 * signature (bounded by `maxRingSize`); rebuild the transcript and the signed statement; then
 * `checkAnonymousAuth` (own permit, session key and the vehicle's operator, ring signature with
 * escrow proof); and only for a verified response the `AuthConfirm` under the session key and
 * the transcript digest.
 */
import {
  authOperator,
  checkAnonymousAuth,
  committedMembers,
  decodeEscrowSignature,
  decodePermit,
  transcriptHash,
  type AnonymousAuthCheck,
  type KeyPair,
} from "../crypto/index.js";
import type { Backend } from "./context.js";
import { guard } from "./errors.js";
import { decodeMessage, encodeMessage, withoutOperator } from "./messages.js";
import { AUTH_LABELS, authDigest, authStatement } from "./transcript.js";

/** The LAG's own keys a job needs (the same for every job of one LAG). */
export interface LagAuthKeys {
  /** The encoded CA permit for the LAG's static key. */
  readonly permit: Uint8Array;
  readonly staticKeys: KeyPair;
  readonly caPermitKey: Uint8Array;
  readonly caEscrowKey: Uint8Array;
  readonly maxRingSize: number;
}

/** One response that passed the LAG's cheap checks. */
export interface LagAuthJob {
  readonly keys: LagAuthKeys;
  /** The challenge as the LAG sent it. */
  readonly challenge: Uint8Array;
  /** The response as received. */
  readonly response: Uint8Array;
  /** The challenge's ephemeral key pair (zeroed by whoever holds a copy once the job is done). */
  readonly ephemeral: KeyPair;
  /** The committed root of the group version the ring was drawn from. */
  readonly groupRoot: Uint8Array;
  /** The LAG's time when it admitted the response (the permit's validity is checked at it). */
  readonly now: bigint;
  /** The expiry the confirmation grants the session. */
  readonly expiresAt: bigint;
}

/** What a job found: the confirmation to send, or the check that failed. */
export type LagAuthOutcome =
  | { readonly ok: true; readonly sessionKey: Uint8Array; readonly keyImage: Uint8Array; readonly confirm: Uint8Array; readonly digest: string }
  | { readonly ok: false; readonly failed: "permit" | "membership" | "operator" | "ring" };

/** Runs a job somewhere (this thread, or a worker pool). */
export type LagAuthRunner = (job: LagAuthJob) => LagAuthOutcome | Promise<LagAuthOutcome>;

/**
 * Runs one job. Throws `ProtocolError` (`MALFORMED` for a signature that does not decode) and
 * returns `{ ok: false }` for a well-formed response that does not verify.
 */
export function runLagAuthJob(backend: Backend, job: LagAuthJob): LagAuthOutcome {
  return guard(() => {
    const { keys } = job;
    const challenge = decodeMessage("AuthChallenge", job.challenge);
    const response = decodeMessage("AuthResponse", job.response);
    const signature = decodeEscrowSignature(response.signature, { maxRingSize: keys.maxRingSize });
    const transcript = [job.challenge, withoutOperator(job.response)];
    const check: AnonymousAuthCheck = {
      permit: decodePermit(keys.permit),
      // The LAG checked the ring against its committed member set before admitting the job.
      members: committedMembers(response.ring),
      caPermitKey: keys.caPermitKey,
      now: job.now,
      keyAgreement: {
        ephemeral: job.ephemeral,
        static: keys.staticKeys,
        vehicleEphemeralKey: response.ephemeralKey,
        transcriptHash: transcriptHash(transcript),
      },
      operatorLabel: AUTH_LABELS.response,
      transcript,
      operatorTag: response.operator,
      ring: { kind: "lsag-escrow", statement: authStatement(challenge, response, job.groupRoot, keys.caEscrowKey), signature },
      limits: { maxRingSize: keys.maxRingSize },
    };
    const result = checkAnonymousAuth(backend, check);
    if (!result.ok) return result;
    const confirm = encodeMessage("AuthConfirm", { sessionId: challenge.sessionId, expiresAt: job.expiresAt, operator: new Uint8Array(32) });
    confirm.set(authOperator(result.sessionKey, AUTH_LABELS.confirm, [job.challenge, job.response, withoutOperator(confirm)]), confirm.length - 32);
    const digest = authDigest({ challenge: job.challenge, response: job.response, confirm });
    return { ok: true, sessionKey: result.sessionKey, keyImage: result.keyImage, confirm, digest };
  });
}
