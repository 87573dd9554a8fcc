/** Typed errors of the report: a short message, a machine-readable code, details, a cause. */
import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

export type ReportErrorCode =
  /** The value or file does not match `reportSchema`; `details.issues` lists what is wrong where. */
  | "INVALID_REPORT"
  /** The report file does not exist. */
  | "NOT_FOUND"
  /** The report file exists but cannot be read. */
  | "READ"
  /** The report could not be written (folder missing rights, disk full); nothing was replaced. */
  | "WRITE";

export class ReportError extends CodedError<ReportErrorCode> {
  override readonly name = "ReportError";

  protected get exitCodes(): ExitCodeTable<ReportErrorCode> {
    return { INVALID_REPORT: ExitCode.Negative, NOT_FOUND: ExitCode.NotFound, READ: ExitCode.Usage, WRITE: ExitCode.Usage };
  }
}
