/** The `v2g` command-line program: commander set up once, commands registered from `commands/`. */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { refuseKeyArguments, UsageError } from "./args.js";
import { COMMANDS } from "./commands/index.js";
import { DEFAULT_RPC, defaultDeps, type CliContext, type CliDeps } from "./context.js";
import { reportError } from "./errors.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "./io.js";

/** The package's version, read from package.json (no build step involved). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

const EXIT_TABLE = `
Exit codes (every command):
  0  ok                     5  not found (session, claim, digest, file)
  1  negative answer        10 internal error (a bug)
     (bundle invalid, check failed)
  2  usage (argument, config or input file)
  3  unavailable (node or service unreachable or timed out: retry later)
  4  refused (a revert, not authorised)
  A long-running command stopped by SIGTERM/SIGINT exits 0 once it has shut down.
Keys come only from a key file (--key-file) or an environment variable (--key-env), never from an argument.
See docs/cli.md.`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("v2g")
    .description("V2G roaming ledger: local node, deployment, registry, suppliers, CDRs, settlement, disputes and evidence")
    .version(packageVersion(), "-V, --version", "print the package version")
    .addOption(
      new Option("--rpc <url>", "JSON-RPC node; the default is the embedded Hardhat network that `v2g node` serves").default(DEFAULT_RPC),
    )
    .option("--rpc-timeout <seconds>", "longest wait for one answer of the node (default 10)")
    .option("--json", "machine-readable result on standard output; errors too, as {\"error\":{code,message,details}}")
    .option("--key-file <path>", "file holding the signing account's private key (hex)")
    .option("--key-env <NAME>", "environment variable holding the signing account's private key (hex)")
    .addHelpText("after", EXIT_TABLE)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      // Commander's own errors (unknown option, missing argument) go through the one error path.
      outputError: () => undefined,
    });
  for (const register of COMMANDS) register(program, ctx);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s), outputError: () => undefined });
    if (c !== program) c.addHelpText("after", "\nGlobal options (--rpc, --json, --key-file, --key-env) and exit codes: v2g --help");
    if (c !== program && c.commands.length > 0) requireSubcommand(c);
  }
  return program;
}

/** A command group run without one of its commands: one usage line, not its help. */
function requireSubcommand(group: Command): void {
  const path = (c: Command): string => (c.parent ? `${path(c.parent)} ${c.name()}` : c.name());
  const names = group.commands.map((c) => c.name()).join(", ");
  group.argument("[command]").action((name: string | undefined) => {
    throw new UsageError(name === undefined ? `${path(group)} needs a command: ${names}` : `unknown command '${name}' of ${path(group)}: use ${names}`);
  });
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps = defaultDeps): Promise<ExitCodeValue> {
  const ctx: CliContext = { io, deps, exitCode: ExitCode.Ok };
  const json = argv.includes("--json");
  try {
    refuseKeyArguments(argv);
    await buildProgram(ctx).parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.Ok;
      // A command group without its subcommand: commander has printed the group's help.
      if (error.code === "commander.help") return ExitCode.Usage;
      return reportError(io, new UsageError(error.message.replace(/^error: /, "")), json);
    }
    return reportError(io, error, json);
  }
}
