/** What every command gets: where to write, how to reach a chain, and how to report its exit code. */
import { EvidenceError } from "../evidence/errors.js";
import { UsageError } from "./args.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "./io.js";
import { connectRpc, type Connect } from "./rpc.js";

export interface CliDeps {
  connect: Connect;
}

export const defaultDeps: CliDeps = { connect: connectRpc };

export interface CliContext {
  io: CliIo;
  deps: CliDeps;
  /** Set by the command's action; `runCli` returns it. */
  exitCode: ExitCodeValue;
}

/**
 * Runs a command body and turns failures into an exit code and a one-line message:
 * usage errors, unreadable or invalid files and chain failures are bad input (2). With `json`,
 * the message is `{"error": {message, code, details}}` on standard output instead.
 */
export async function guarded(
  io: CliIo,
  body: () => Promise<ExitCodeValue>,
  json = false,
): Promise<ExitCodeValue> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      if (json) io.out(jsonError(error.message, "USAGE", {}));
      else io.err(`error: ${error.message}`);
      return ExitCode.BadInput;
    }
    if (error instanceof EvidenceError) {
      if (json) io.out(jsonError(error.message, error.code, error.details));
      else io.err(`error: ${error.message} [${error.code}]${detailLine(error)}`);
      return error.code === "NOT_FOUND" ? ExitCode.NotFound : ExitCode.BadInput;
    }
    throw error;
  }
}

function jsonError(message: string, code: string, details: Record<string, unknown>): string {
  const plain = JSON.parse(JSON.stringify(details, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  return JSON.stringify({ error: { message, code, details: plain } }, null, 2);
}

function detailLine(error: EvidenceError): string {
  const issues = error.details.issues as { path: (string | number)[]; message: string }[] | undefined;
  if (issues) {
    const shown = issues.slice(0, 10).map((i) => `\n  at ${i.path.join(".") || "(root)"}: ${i.message}`);
    return shown.join("") + (issues.length > 10 ? `\n  … and ${issues.length - 10} more` : "");
  }
  const name = error.details.error;
  return typeof name === "string" ? ` (${name})` : "";
}
