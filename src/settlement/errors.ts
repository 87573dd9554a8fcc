/** Typed errors of the settlement bot: a short message, a machine-readable code, details, a cause. */
import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

export type SettlementErrorCode =
  /** The config file is missing, unreadable or not JSON. */
  | "CONFIG_FILE"
  /** The config does not match the schema; `details.issues` lists what is wrong where. */
  | "CONFIG_INVALID"
  /** The config file holds what looks like a private key: keys come only from the environment. */
  | "CONFIG_SECRET"
  /** The environment variable named by `accountKeyEnv` is missing or not a private key. */
  | "KEY_MISSING"
  /** The configured contracts, chain or evidence store do not belong together. */
  | "DEPLOYMENT"
  /** The bot database was kept for another account, chain or settlement contract. */
  | "STATE"
  /** A claim package could not be built or written. */
  | "PACKAGE";

/** Where each settlement-bot code stands in the exit-code table. */
export const SETTLEMENT_EXIT_CODES: ExitCodeTable<SettlementErrorCode> = {
  CONFIG_FILE: ExitCode.Usage,
  CONFIG_INVALID: ExitCode.Usage,
  CONFIG_SECRET: ExitCode.Usage,
  KEY_MISSING: ExitCode.Usage,
  DEPLOYMENT: ExitCode.Usage,
  STATE: ExitCode.Usage,
  PACKAGE: { causeOr: ExitCode.Internal },
};

export class SettlementError extends CodedError<SettlementErrorCode> {
  override readonly name = "SettlementError";

  protected get exitCodes(): ExitCodeTable<SettlementErrorCode> {
    return SETTLEMENT_EXIT_CODES;
  }
}

/** True if `error` is a SettlementError, and of `code` when one is given. */
export function isSettlementError(error: unknown, code?: SettlementErrorCode): error is SettlementError {
  return error instanceof SettlementError && (code === undefined || error.code === code);
}

/** Codes that mean "fix the configuration or the deployment", never "retry later". */
export const CONFIG_ERROR_CODES: readonly SettlementErrorCode[] = [
  "CONFIG_FILE", "CONFIG_INVALID", "CONFIG_SECRET", "KEY_MISSING", "DEPLOYMENT", "STATE",
];
