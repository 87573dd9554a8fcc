/** The day's own typed errors: a bad option of the run, or a step of the day that did not hold. */
import { CodedError, ExitCode, type ExitCodeTable } from "../../errors.js";

export type DayErrorCode =
  /** A bad command-line option or scale of the day. */
  | "BAD_OPTION"
  /** A step of the day did not hold (a check of the day's own consistency failed). */
  | "FAILED";

export class DayError extends CodedError<DayErrorCode> {
  override readonly name = "DayError";

  protected get exitCodes(): ExitCodeTable<DayErrorCode> {
    return { BAD_OPTION: ExitCode.Usage, FAILED: ExitCode.Internal };
  }
}
