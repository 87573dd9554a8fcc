/**
 * How a failed command ends: exactly one line on standard error (or `{"error": {...}}` on standard
 * output with `--json`) and the exit code of the one table (`exitCodeOf` in src/errors.ts).
 */
import { CodedError, exitCodeOf } from "../errors.js";
import type { CliIo, ExitCodeValue } from "./io.js";

/** The code, message and details shown for any thrown value. */
export interface ShownError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

const toPlain = (value: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(value ?? {}, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;

export function showError(error: unknown): ShownError {
  if (error instanceof CodedError) {
    // Some classes prefix their message with the code and keep the bare text apart.
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return { code: error.code, message: typeof short === "string" ? short : error.message, details: toPlain(error.details) };
  }
  if (error instanceof Error) {
    // ethers and Node errors carry a code of their own (CALL_EXCEPTION, ECONNREFUSED…) that exitCodeOf
    // knows; ethers keeps a short message apart from the long one (which repeats the transaction).
    const e = error as { code?: unknown; shortMessage?: unknown; info?: { error?: { message?: unknown } } };
    const node = e.info?.error?.message;
    const short = typeof e.shortMessage === "string" ? `${e.shortMessage}${typeof node === "string" ? `: ${node}` : ""}` : error.message;
    return { code: typeof e.code === "string" ? e.code : "INTERNAL", message: short, details: {} };
  }
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
  if (typeof name !== "string") return "";
  const args = details.args;
  return Array.isArray(args) ? ` (${name}(${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(", ")}))` : ` (${name})`;
}

/** Writes the error once, as a line or as JSON, and returns its exit code. */
export function reportError(io: CliIo, error: unknown, json: boolean): ExitCodeValue {
  const exit = exitCodeOf(error);
  const shown = showError(error);
  if (json) io.out(JSON.stringify({ error: shown }));
  else {
    const code = shown.code === "USAGE" ? "" : ` [${shown.code}]`;
    io.err(`error: ${shown.message}${code}${detailSuffix(shown.details)}`.replace(/\s*\n\s*/g, " "));
  }
  return exit;
}
