/** The day's own typed errors: a bad option of the run, or a step of the day that did not hold. */
import { CodedError } from "../../errors.js";

export type DayErrorCode = "BAD_OPTION" | "FAILED";

export class DayError extends CodedError<DayErrorCode> {
  override readonly name = "DayError";
}
