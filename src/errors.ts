/**
 * The one error model of the off-chain layers and the one exit-code table of every command.
 *
 * Every typed error extends `CodedError` (a code, a short message, details, a cause) and gives each
 * of its codes a place in the exit-code table; `exitCodeOf(error)` maps any thrown value to it.
 */

/** The exit codes of every command (docs/architecture.md holds the same table). */
export const ExitCode = {
  /** The command did what was asked. Also: a long-running command stopped cleanly on SIGTERM/SIGINT. */
  Ok: 0,
  /** The command ran and the answer is "no": a bundle is invalid, a check failed. */
  Negative: 1,
  /** A bad argument, configuration or input file: fix the call, do not retry it. */
  Usage: 2,
  /** A node or a service could not be reached or timed out: retry later. */
  Unavailable: 3,
  /** The chain or a service refused: a revert, not authorised. */
  Refused: 4,
  /** A session, claim, digest or file is unknown. */
  NotFound: 5,
  /** A bug: never expected for any input. */
  Internal: 10,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Where one code of an error class stands in the exit-code table: an exit code, or the exit code
 * of the error's cause when the error only wraps one (`causeOr` when there is no typed cause).
 */
export type ExitCodeRule = ExitCode | { readonly causeOr: ExitCode };

/** The exit code of every code of one error class: a missing code does not compile. */
export type ExitCodeTable<Code extends string> = Readonly<Record<Code, ExitCodeRule>>;

/** The shape shared by the typed errors of the off-chain layers: a short message, a code, details, a cause. */
export abstract class CodedError<Code extends string> extends Error {
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, details: Readonly<Record<string, unknown>> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }

  /** The exit code of each code of this class. */
  protected abstract get exitCodes(): ExitCodeTable<Code>;

  /** This error's place in the exit-code table. */
  get exitCode(): ExitCode {
    const rule = this.exitCodes[this.code];
    if (typeof rule === "number") return rule;
    return this.cause instanceof CodedError || isClassifiable(this.cause) ? exitCodeOf(this.cause) : rule.causeOr;
  }
}

/** A bad command-line argument, configuration value or input file (exit code 2). */
export class UsageError extends CodedError<"USAGE"> {
  override readonly name: string = "UsageError";

  constructor(message: string, details: Readonly<Record<string, unknown>> = {}, cause?: unknown) {
    super("USAGE", message, details, cause);
  }

  protected get exitCodes(): ExitCodeTable<"USAGE"> {
    return { USAGE: ExitCode.Usage };
  }
}

/** Error codes of ethers 6 (`error.code`) and where they stand in the table. */
const ETHERS_CODES: Readonly<Record<string, ExitCode>> = {
  CALL_EXCEPTION: ExitCode.Refused,
  INSUFFICIENT_FUNDS: ExitCode.Refused,
  NONCE_EXPIRED: ExitCode.Refused,
  REPLACEMENT_UNDERPRICED: ExitCode.Refused,
  TRANSACTION_REPLACED: ExitCode.Refused,
  ACTION_REJECTED: ExitCode.Refused,
  NETWORK_ERROR: ExitCode.Unavailable,
  SERVER_ERROR: ExitCode.Unavailable,
  TIMEOUT: ExitCode.Unavailable,
  INVALID_ARGUMENT: ExitCode.Usage,
  MISSING_ARGUMENT: ExitCode.Usage,
  UNEXPECTED_ARGUMENT: ExitCode.Usage,
  BAD_DATA: ExitCode.Unavailable,
};

/** Error codes of Node's system calls (`error.code`) and where they stand in the table. */
const SYSTEM_CODES: Readonly<Record<string, ExitCode>> = {
  ENOENT: ExitCode.NotFound,
  ENOTDIR: ExitCode.Usage,
  EISDIR: ExitCode.Usage,
  EACCES: ExitCode.Usage,
  EPERM: ExitCode.Usage,
  ECONNREFUSED: ExitCode.Unavailable,
  ECONNRESET: ExitCode.Unavailable,
  ETIMEDOUT: ExitCode.Unavailable,
  EHOSTUNREACH: ExitCode.Unavailable,
  ENOTFOUND: ExitCode.Unavailable,
  EADDRINUSE: ExitCode.Unavailable,
};

function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function isClassifiable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (code in ETHERS_CODES || code in SYSTEM_CODES);
}

/**
 * The exit code for any thrown value: a `CodedError`'s place in the table, the class of an ethers
 * or a Node system error, and `Internal` for anything else (a bug).
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CodedError) return error.exitCode;
  const code = codeOf(error);
  if (code !== undefined) {
    const known = ETHERS_CODES[code] ?? SYSTEM_CODES[code];
    if (known !== undefined) return known;
  }
  return ExitCode.Internal;
}

/** The name of an exit code (`Unavailable` for 3), for messages and `--json` output. */
export function exitCodeName(code: ExitCode): keyof typeof ExitCode {
  const entry = (Object.entries(ExitCode) as [keyof typeof ExitCode, ExitCode][]).find(([, value]) => value === code);
  if (!entry) throw new RangeError(`no exit code ${String(code)}`);
  return entry[0];
}
