/** The `v2g` command-line program: commander set up once, commands registered from `commands/`. */
import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands/index.js";
import { defaultDeps, type CliContext, type CliDeps } from "./context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "./io.js";

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("v2g")
    .description("V2G roaming ledger: evidence bundles, verification and operations")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  for (const register of COMMANDS) register(program, ctx);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps = defaultDeps): Promise<ExitCodeValue> {
  const ctx: CliContext = { io, deps, exitCode: ExitCode.Ok };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    io.err(`error: ${(error as Error).message ?? String(error)}`);
    return ExitCode.BadInput;
  }
}
