/** Typed errors of the evidence layer: a short message, a machine-readable code, details, a cause. */
export type EvidenceErrorCode =
  | "BAD_SIGNATURE"
  | "BAD_INPUT"
  | "NOT_FOUND"
  | "STORE"
  | "CHAIN"
  | "BUNDLE_SCHEMA";

export class EvidenceError extends Error {
  override readonly name = "EvidenceError";
  readonly code: EvidenceErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: EvidenceErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}
