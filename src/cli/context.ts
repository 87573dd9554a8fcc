/** What every command gets: where to write, how to reach a chain, the global options, and its exit code. */
import type { Command } from "commander";
import { parseRpcUrl, parseTimeoutSeconds } from "./args.js";
import { reportError } from "./errors.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "./io.js";
import type { KeySource } from "./keys.js";
import type { Connect } from "./rpc.js";

export interface CliDeps {
  connect: Connect;
  /** Where `--key-env` variables are read from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Stops a long-running command (default: SIGINT or SIGTERM of this process). */
  signal?: AbortSignal;
}

/** The real connector, loaded when a command first reaches a node (ethers stays out of `--help`). */
const connectLazily: Connect = async (url, timeoutMs) => (await import("./rpc.js")).connectRpc(url, timeoutMs);

export const defaultDeps: CliDeps = { connect: connectLazily, env: process.env };

/** The local node `v2g node` serves by default: the embedded Hardhat network. */
export const DEFAULT_RPC = "http://127.0.0.1:8545";

export interface CliContext {
  io: CliIo;
  deps: CliDeps;
  /** Set by the command's action; `runCli` returns it. */
  exitCode: ExitCodeValue;
}

/** The options every command takes (defined once on the program). */
export interface GlobalOptions {
  rpc: string;
  /** True when `--rpc` was given, not defaulted. */
  rpcGiven: boolean;
  /** Longest wait for one answer of the node, milliseconds. */
  rpcTimeoutMs?: number;
  json: boolean;
  key: KeySource;
}

/** The global options as seen from `command` (its own or its parents'), validated. */
export function globalsOf(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  const o = command.optsWithGlobals<{ rpc: string; rpcTimeout?: string; json?: boolean; keyFile?: string; keyEnv?: string }>();
  return {
    rpc: parseRpcUrl(o.rpc),
    rpcGiven: root.getOptionValueSource("rpc") !== "default",
    rpcTimeoutMs: o.rpcTimeout === undefined ? undefined : parseTimeoutSeconds(o.rpcTimeout, "--rpc-timeout"),
    json: o.json ?? false,
    key: { file: o.keyFile, env: o.keyEnv },
  };
}

/**
 * Runs a command body and turns a failure into one line on standard error (or, with `json`,
 * `{"error": {code, message, details}}` on standard output) and the exit code of its kind.
 */
export async function guarded(io: CliIo, body: () => Promise<ExitCodeValue>, json = false): Promise<ExitCodeValue> {
  try {
    return await body();
  } catch (error) {
    return reportError(io, error, json);
  }
}

/** Waits for `signal` to abort, or for SIGTERM/SIGINT when none is given. */
export function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((done) => {
    if (signal !== undefined) {
      if (signal.aborted) return done();
      return signal.addEventListener("abort", () => done(), { once: true });
    }
    const stop = () => {
      process.removeListener("SIGTERM", stop);
      process.removeListener("SIGINT", stop);
      done();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

/** A command body that takes its options, the validated global options, the output and the deps. */
export type CommandRun<O> = (o: O, g: GlobalOptions, io: CliIo, deps: CliDeps) => Promise<ExitCodeValue>;

/**
 * A commander action for `run`: `shape` builds its options from the positional arguments and the
 * command's own options; failures go through `guarded` (as JSON with `--json`).
 */
export function commandAction<O, Own = O>(ctx: CliContext, run: CommandRun<O>, shape: (args: string[], own: Own) => O) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args.at(-1) as Command;
    const own = args.at(-2) as Own;
    const json = cmd.optsWithGlobals<{ json?: boolean }>().json;
    ctx.exitCode = await guarded(ctx.io, () => run(shape(args.slice(0, -2) as string[], own), globalsOf(cmd), ctx.io, ctx.deps), json);
  };
}

/** Writes a command's result: `text` for people, `data` with `--json` (big integers as decimal strings). */
export function printResult(io: CliIo, g: GlobalOptions, text: string, data: unknown): ExitCodeValue {
  io.out(g.json ? JSON.stringify(data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) : text);
  return ExitCode.Ok;
}
