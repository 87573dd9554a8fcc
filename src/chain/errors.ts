/** Typed errors of the chain layer: a short message, a machine-readable code, details, a cause. */
import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

export type ChainErrorCode =
  /** The endpoint could not be reached or did not answer (connection, timeout, HTTP status): retry later. */
  | "RPC_UNAVAILABLE"
  /** The node answered with a JSON-RPC error object; `details.rpcCode` and `details.rpcData` hold it. */
  | "RPC_ERROR"
  /** An answer the layer depends on is malformed or inconsistent (a missing receipt field, a wrong hash). */
  | "BAD_RESPONSE"
  /** The endpoint serves another chain than the configured one. */
  | "WRONG_CHAIN"
  /** A call or transaction reverted; `details.error` holds the decoded custom error. */
  | "REVERTED"
  /** An intent was given up (dead-letter); `details` hold its last error. */
  | "DEAD_LETTER"
  /** An idempotency key was reused for a different call. */
  | "IDEMPOTENCY_CONFLICT"
  | "NOT_FOUND"
  | "TIMEOUT"
  /** The local database could not be opened, migrated or written. */
  | "DB"
  /** The configuration is invalid or does not match what the database recorded. */
  | "CONFIG";

/** Where each chain-layer code stands in the exit-code table. */
export const CHAIN_EXIT_CODES: ExitCodeTable<ChainErrorCode> = {
  RPC_UNAVAILABLE: ExitCode.Unavailable,
  RPC_ERROR: ExitCode.Refused,
  BAD_RESPONSE: ExitCode.Unavailable,
  WRONG_CHAIN: ExitCode.Usage,
  REVERTED: ExitCode.Refused,
  DEAD_LETTER: ExitCode.Refused,
  IDEMPOTENCY_CONFLICT: ExitCode.Usage,
  NOT_FOUND: ExitCode.NotFound,
  TIMEOUT: ExitCode.Unavailable,
  DB: ExitCode.Unavailable,
  CONFIG: ExitCode.Usage,
};

export class ChainError extends CodedError<ChainErrorCode> {
  override readonly name = "ChainError";

  protected get exitCodes(): ExitCodeTable<ChainErrorCode> {
    return CHAIN_EXIT_CODES;
  }
}

/** True if `error` is a ChainError, and of `code` when one is given. */
export function isChainError(error: unknown, code?: ChainErrorCode): error is ChainError {
  return error instanceof ChainError && (code === undefined || error.code === code);
}

/** A one-line description of any thrown value, for the `last_error` columns. */
export function describeError(error: unknown): string {
  if (error instanceof ChainError) {
    const rpc = error.details.rpcMessage;
    return `${error.code}: ${error.message}${typeof rpc === "string" && !error.message.includes(rpc) ? ` (${rpc})` : ""}`;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
