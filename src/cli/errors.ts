/**
 * How a failed command ends: exactly one line on standard error (or `{"error": {...}}` on standard
 * output with `--json`) and the exit code of the table in io.ts.
 */
import { CodedError } from "../errors.js";
import { UsageError } from "./args.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "./io.js";

/** The code, message and details shown for any thrown value. */
export interface ShownError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

const toPlain = (value: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(value ?? {}, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;

export function showError(error: unknown): ShownError {
  if (error instanceof UsageError) return { code: "USAGE", message: error.message, details: {} };
  if (error instanceof CodedError) return { code: error.code, message: error.message, details: toPlain(error.details) };
  if (error instanceof Error) return { code: "INTERNAL", message: `${error.name}: ${error.message}`, details: {} };
  return { code: "INTERNAL", message: String(error), details: {} };
}

/** The details worth a reader's eye on the one line: schema issues, a decoded revert. */
function detailSuffix(details: Record<string, unknown>): string {
  const issues = details.issues as { path: (string | number)[]; message: string }[] | undefined;
  if (Array.isArray(issues) && issues.length > 0) {
    const shown = issues.slice(0, 3).map((i) => `at ${i.path.join(".") || "(root)"}: ${i.message}`);
    return ` (${shown.join("; ")}${issues.length > 3 ? `; … and ${issues.length - 3} more` : ""})`;
  }
  const name = details.error;
  return typeof name === "string" ? ` (${name})` : "";
}

/** Writes the error once, as a line or as JSON, and returns its exit code. */
export function reportError(io: CliIo, error: unknown, json: boolean): ExitCodeValue {
  const exit = cliExitCodeOf(error);
  const shown = showError(error);
  if (json) io.out(JSON.stringify({ error: shown }));
  else {
    const code = shown.code === "USAGE" || shown.code === "INTERNAL" ? "" : ` [${shown.code}]`;
    io.err(`error: ${shown.message}${code}${detailSuffix(shown.details)}`.replace(/\s*\n\s*/g, " "));
  }
  return exit;
}

/** The exit code of any error a command can throw. */
export function cliExitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (!(error instanceof CodedError)) return ExitCode.Internal;
  const code = String(error.code);
  switch (error.name) {
    case "ChainError":
      if (code === "RPC_UNAVAILABLE" || code === "TIMEOUT") return ExitCode.Unavailable;
      if (code === "REVERTED" || code === "DEAD_LETTER") return ExitCode.Refused;
      if (code === "CONFIG" || code === "WRONG_CHAIN") return ExitCode.Usage;
      if (code === "NOT_FOUND") return ExitCode.NotFound;
      return ExitCode.Internal;
    case "EvidenceError":
      if (code === "NOT_FOUND") return ExitCode.NotFound;
      if (code === "CHAIN") return error.details.error !== undefined && error.details.error !== "UNKNOWN" ? ExitCode.Refused : ExitCode.Unavailable;
      if (code === "BAD_SIGNATURE") return ExitCode.Negative;
      return ExitCode.Usage;
    case "SettlementError":
      return code === "PACKAGE" ? ExitCode.Internal : ExitCode.Usage;
    case "ProtocolError":
      return code === "INVALID_CONFIG" || code === "MALFORMED" ? ExitCode.Usage : ExitCode.Refused;
    case "ChargingError":
      return code === "REFUSED" ? ExitCode.Refused : code === "SOLVER" ? ExitCode.Internal : ExitCode.Usage;
    default:
      return ExitCode.Usage;
  }
}
