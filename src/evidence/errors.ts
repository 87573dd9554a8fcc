/** Typed errors of the evidence layer: a short message, a machine-readable code, details, a cause. */
import { CodedError } from "../errors.js";

export type EvidenceErrorCode =
  | "BAD_SIGNATURE"
  | "BAD_INPUT"
  | "NOT_FOUND"
  | "STORE"
  | "CHAIN"
  | "BUNDLE_SCHEMA";

export class EvidenceError extends CodedError<EvidenceErrorCode> {
  override readonly name = "EvidenceError";
}
