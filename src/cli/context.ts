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
 * usage errors, unreadable or invalid files and chain failures are bad input (2).
 */
export async function guarded(io: CliIo, body: () => Promise<ExitCodeValue>): Promise<ExitCodeValue> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      return ExitCode.BadInput;
    }
    if (error instanceof EvidenceError) {
      io.err(`error: ${error.message} [${error.code}]${detailLine(error)}`);
      return error.code === "NOT_FOUND" ? ExitCode.NotFound : ExitCode.BadInput;
    }
    throw error;
  }
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
