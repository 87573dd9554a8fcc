/**
 * `settlement-bot run --config <file>` (long-running, stops cleanly on SIGINT/SIGTERM; while the
 * endpoint is unreachable at start it retries opening with a doubling delay up to 30 s) and
 * `settlement-bot once --config <file>` (one tick, for cron and tests). Run it directly, not through
 * npm, so that a signal reaches the bot: `node --import tsx src/cli/main.ts settlement-bot run ...`.
 * Exit codes from the table: 0 done (once: the tick had no step errors; run: stopped by a signal),
 * 1 the tick had step errors, 2 bad config, key, deployment or chain (fix first), 3 the endpoint
 * unreachable (retry later).
 */
import type { Command } from "commander";
import type { Eip1193Provider } from "../../chain/rpc.js";
import type { SettlementBot } from "../../settlement/bot.js";
import type { BotConfig } from "../../settlement/config.js";
import type { BotLogger, TickReport } from "../../settlement/context.js";
import type { CliContext } from "../context.js";
import { reportError } from "../errors.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";

export interface SettlementBotOptions {
  mode: "run" | "once";
  config: string;
  /** Print each tick's report as JSON instead of a summary line. */
  json?: boolean;
}

export interface SettlementBotDeps {
  /** Where the account key is read from (the variable the config names). */
  env: Readonly<Record<string, string | undefined>>;
  /** The provider for the config's `rpcUrl`. */
  provider(url: string): Eip1193Provider;
  /** Stops `run` (default: SIGINT or SIGTERM of this process). */
  signal?: AbortSignal;
  /** First delay between attempts to open while the endpoint is unreachable (default 500 ms). */
  retryDelayMs?: number;
}

/** The chain layer's HTTP provider, loaded when the bot starts. */
async function httpProviderOf(): Promise<(url: string) => Eip1193Provider> {
  const { httpProvider } = await import("../../chain/rpc.js");
  return (url) => httpProvider(url);
}

export const defaultSettlementBotDeps = async (): Promise<SettlementBotDeps> => ({ env: process.env, provider: await httpProviderOf() });

/** One line per tick: what happened, only the parts that are not empty. */
export function summarizeTick(r: TickReport): string {
  const parts: [number, string][] = [
    [r.cdrsImported, "CDRs imported"], [r.cdrsRejected.length, "CDRs rejected"], [r.claimsBuilt.length, "claims built"],
    [r.anchorsSent.length, "anchors sent"], [r.claimsSubmitted.length, "claims submitted"], [r.accepted.length, "claims accepted"],
    [r.disputed.length, "CDRs disputed"], [r.claimDisputes.length, "claims disputed"], [r.unverifiable.length, "claims unverifiable"],
    [r.nettingsSent.length, "pairs netted"], [r.withdrawalsSent.length, "withdrawals"], [r.alerts.length, "alerts"], [r.errors.length, "errors"],
  ];
  const done = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const lines = [`tick at block ${r.block ?? "?"} (chain time ${r.chainTime ?? "?"}): ${done.length ? done.join(", ") : "nothing to do"}`];
  for (const a of r.alerts) lines.push(`  alert: ${a}`);
  for (const e of r.errors) lines.push(`  error: ${e}`);
  return lines.join("\n");
}

function jsonLogger(io: CliIo): BotLogger {
  return (level, msg, fields) => io.err(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

/** Runs the bot; returns the exit code. */
export async function runSettlementBot(opts: SettlementBotOptions, io: CliIo, given?: SettlementBotDeps): Promise<ExitCodeValue> {
  const deps = given ?? (await defaultSettlementBotDeps());
  // The signal handlers come first: a SIGTERM while the bot still waits for its endpoint stops it too.
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signal = deps.signal ?? controller.signal;
  const own = opts.mode === "run" && !deps.signal;
  if (own) {
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
  try {
    return await openAndRun(opts, io, deps, signal);
  } finally {
    if (own) {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
    }
  }
}

async function openAndRun(opts: SettlementBotOptions, io: CliIo, deps: SettlementBotDeps, signal: AbortSignal): Promise<ExitCodeValue> {
  let bot: SettlementBot | null;
  let config: BotConfig;
  // Loaded when the command runs, not when the CLI starts: they read the contracts' build
  // artifacts, which `--help` and the evidence commands do not need.
  const [{ SettlementBot }, { accountFromEnv, loadConfig }, { openWithRetry, runLoop }, { describeError, isChainError }] = await Promise.all([
    import("../../settlement/bot.js"),
    import("../../settlement/config.js"),
    import("../../settlement/loop.js"),
    import("../../chain/errors.js"),
  ]);
  try {
    config = loadConfig(opts.config);
    const signer = accountFromEnv(config, deps.env);
    const open = () => SettlementBot.open({ config, signer, provider: deps.provider(config.rpcUrl), log: jsonLogger(io) });
    bot = opts.mode === "once"
      ? await open()
      : await openWithRetry(open, {
        signal, firstDelayMs: deps.retryDelayMs ?? 500, maxDelayMs: 30_000,
        retryable: (error) => isChainError(error, "RPC_UNAVAILABLE"),
        onRetry: (error, delayMs) => io.err(`warning: ${describeError(error)}; retrying in ${delayMs} ms`),
      });
  } catch (error) {
    return reportError(io, error, opts.json ?? false);
  }
  if (!bot) {
    io.out("settlement bot stopped before it could open");
    return ExitCode.Ok;
  }
  const print = (r: TickReport) => io.out(opts.json ? JSON.stringify(r) : summarizeTick(r));
  try {
    if (opts.mode === "once") {
      const report = await bot.tick();
      print(report);
      return report.errors.length === 0 ? ExitCode.Ok : ExitCode.Negative;
    }
    io.out(`settlement bot of ${bot.address} running (stop with SIGINT or SIGTERM)`);
    const ticks = await runLoop(bot, { intervalMs: config.pollIntervalMs, signal, onTick: print });
    io.out(`settlement bot stopped after ${ticks} ticks`);
    return ExitCode.Ok;
  } catch (error) {
    return reportError(io, error, opts.json ?? false);
  } finally {
    bot.close();
  }
}

export function registerSettlementBot(program: Command, ctx: CliContext): void {
  const bot = program
    .command("settlement-bot")
    .description("a supplier's settlement bot: claims, verification, disputes, netting, withdrawals (exit 0 ok, 1 step errors, 2 fix config, 3 retry)");
  for (const mode of ["run", "once"] as const) {
    bot
      .command(mode)
      .description(mode === "run" ? "tick every pollIntervalMs until SIGINT/SIGTERM" : "run one tick and exit (for cron and tests)")
      .requiredOption("--config <file>", "bot config (JSON; the account key comes from the environment variable it names)")
      .action(async (o: { config: string }, cmd: Command) => {
        const json = cmd.optsWithGlobals<{ json?: boolean }>().json;
        const deps = ctx.deps.signal ? { ...(await defaultSettlementBotDeps()), env: ctx.deps.env, signal: ctx.deps.signal } : undefined;
        ctx.exitCode = await runSettlementBot({ mode, config: o.config, json }, ctx.io, deps);
      });
  }
}
