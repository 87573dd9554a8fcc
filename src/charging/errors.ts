/** Typed errors of the smart-charging layer: a short message, a machine-readable code, details, a cause. */
import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

export type ChargingErrorCode =
  /** A request, problem or record that is malformed or out of range. */
  | "BAD_INPUT"
  /** The LP solver returned a status other than optimal or infeasible. */
  | "SOLVER"
  /** A signature that does not verify, or a signer that is not the registered key. */
  | "BAD_SIGNATURE"
  /** A certificate, tariff, price signal or authorisation outside its validity window. */
  | "EXPIRED"
  /** A control message or request refused by the receiving party. */
  | "REFUSED"
  /** The chain (e.g. the participant registry behind a key directory) did not answer. */
  | "UNAVAILABLE";

/** Where each smart-charging code stands in the exit-code table. */
export const CHARGING_EXIT_CODES: ExitCodeTable<ChargingErrorCode> = {
  BAD_INPUT: ExitCode.Usage,
  SOLVER: ExitCode.Internal,
  BAD_SIGNATURE: ExitCode.Negative,
  EXPIRED: ExitCode.Negative,
  REFUSED: ExitCode.Refused,
  UNAVAILABLE: ExitCode.Unavailable,
};

export class ChargingError extends CodedError<ChargingErrorCode> {
  override readonly name = "ChargingError";

  protected get exitCodes(): ExitCodeTable<ChargingErrorCode> {
    return CHARGING_EXIT_CODES;
  }
}
