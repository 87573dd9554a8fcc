/** Typed errors of the evidence layer: a short message, a machine-readable code, details, a cause. */
import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

export type EvidenceErrorCode =
  /** A signature that does not verify, or a signer that is not the registered key. */
  | "BAD_SIGNATURE"
  /** A message, record or argument that is malformed or out of range. */
  | "BAD_INPUT"
  /** A session, record, anchor or digest the store or the chain does not know. */
  | "NOT_FOUND"
  /** The evidence store could not be opened, read or written. */
  | "STORE"
  /** A chain call failed; `details.error` holds the decoded custom error when it reverted. */
  | "CHAIN"
  /** A bundle that does not match its schema. */
  | "BUNDLE_SCHEMA";

/** Where each evidence-layer code stands in the exit-code table. */
export const EVIDENCE_EXIT_CODES: ExitCodeTable<EvidenceErrorCode> = {
  BAD_SIGNATURE: ExitCode.Negative,
  BAD_INPUT: ExitCode.Usage,
  NOT_FOUND: ExitCode.NotFound,
  STORE: ExitCode.Unavailable,
  CHAIN: { causeOr: ExitCode.Refused },
  BUNDLE_SCHEMA: ExitCode.Negative,
};

export class EvidenceError extends CodedError<EvidenceErrorCode> {
  override readonly name = "EvidenceError";

  protected get exitCodes(): ExitCodeTable<EvidenceErrorCode> {
    return EVIDENCE_EXIT_CODES;
  }
}
