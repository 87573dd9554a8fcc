/** Typed errors of the day's settlement (src/scenario/day/settlement.ts). */
import { CodedError, ExitCode, type ExitCodeTable } from "../../errors.js";

export type SettlementDayErrorCode =
  /** The input does not fit: unknown party, no roaming CDR to settle, a store of another deployment. */
  | "INPUT"
  /** A supplier's set-up (approval, deposit) failed on the chain. */
  | "SETUP"
  /** A settlement bot stopped with an error. */
  | "BOT"
  /** A step did not happen in time (the bots did not claim, dispute, net or withdraw). */
  | "TIMEOUT"
  /** A bundle cannot be ruled on (no chain snapshot). */
  | "BUNDLE"
  /** Money was not conserved, or a final honest claim was not paid in full. */
  | "MONEY";

const SETTLEMENT_DAY_EXIT_CODES: ExitCodeTable<SettlementDayErrorCode> = {
  INPUT: ExitCode.Usage,
  SETUP: { causeOr: ExitCode.Refused },
  BOT: { causeOr: ExitCode.Internal },
  TIMEOUT: ExitCode.Unavailable,
  BUNDLE: ExitCode.Usage,
  // Money lost or an honest claim unpaid is never expected for any input.
  MONEY: ExitCode.Internal,
};

export class SettlementDayError extends CodedError<SettlementDayErrorCode> {
  override readonly name = "SettlementDayError";

  protected get exitCodes(): ExitCodeTable<SettlementDayErrorCode> {
    return SETTLEMENT_DAY_EXIT_CODES;
  }
}
