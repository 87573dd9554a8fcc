/**
 * The suppliers' settlement bots of the day, run as in production: each has its config file
 * (validated by src/settlement/config.ts when the bot opens it), its own SQLite database, its
 * evidence store and the shared package-exchange folder, and runs through the entry of the CLI's
 * `settlement-bot run` (its loop, its outbox owning the account's nonces). The account key reaches
 * the bot only through the environment variable its config names.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSettlementBot } from "../../cli/commands/settlementBot.js";
import { httpProvider } from "../../chain/rpc.js";
import type { BotConfigInput } from "../../settlement/config.js";

export interface BotSettings {
  rpcUrl: string;
  chainId: bigint;
  settlement: string;
  ledger: string;
  registry: string;
  startBlock: number;
  periodSeconds: number;
  /** Each bot withdraws what it holds above this (its collateral): its gains. */
  reserve: bigint;
  pollIntervalMs: number;
  confirmations: number;
  claimDelaySeconds: number;
  nettingDelaySeconds: number;
  disputeMarginSeconds: number;
}

export interface BotSpec {
  id: string;
  accountKey: string;
  storePath: string;
}

/** A bot running in its loop until `stop()`. */
export interface RunningBot {
  id: string;
  configPath: string;
  databasePath: string;
  /** The exit code once the bot stopped, else null. */
  exited(): number | null;
  /** The bot's last error lines (stderr), for a failure report. */
  errors(): string[];
  /** Signals the bot to stop and waits for it; resolves with its exit code. */
  stop(): Promise<number>;
}

const envName = (id: string) => `SETTLEMENT_KEY_${id.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/** Writes the bot's config file into `workDir` and returns its path. */
export function writeBotConfig(workDir: string, spec: BotSpec, s: BotSettings): string {
  const config: BotConfigInput = {
    rpcUrl: s.rpcUrl, chainId: s.chainId.toString(),
    contracts: { settlement: s.settlement, ledger: s.ledger, registry: s.registry },
    startBlock: s.startBlock, accountKeyEnv: envName(spec.id), evidenceStore: spec.storePath, database: `${spec.id}-bot.sqlite`,
    exchangeDir: "exchange", confirmations: s.confirmations, periodSeconds: s.periodSeconds, claimDelaySeconds: s.claimDelaySeconds,
    nettingDelaySeconds: s.nettingDelaySeconds, disputeMarginSeconds: s.disputeMarginSeconds, pollIntervalMs: s.pollIntervalMs,
    withdraw: { threshold: "1", reserve: s.reserve.toString() },
  };
  const path = join(workDir, `${spec.id}-bot.json`);
  writeFileSync(path, JSON.stringify(config, null, 2) + "\n");
  return path;
}

/** Starts the bot of `spec` in its loop; `onLine` gets every line it prints that reports work done. */
export function startBot(workDir: string, spec: BotSpec, s: BotSettings, onLine: (line: string) => void): RunningBot {
  const configPath = writeBotConfig(workDir, spec, s);
  const controller = new AbortController();
  const errors: string[] = [];
  let code: number | null = null;
  const io = {
    out: (text: string) => {
      if (!text.includes("nothing to do")) onLine(text);
    },
    err: (text: string) => {
      errors.push(text);
      if (errors.length > 20) errors.shift();
    },
  };
  const done = runSettlementBot({ mode: "run", config: configPath }, io, {
    env: { [envName(spec.id)]: spec.accountKey }, provider: (url) => httpProvider(url), signal: controller.signal,
  }).then(
    (c) => (code = c),
    (error: unknown) => {
      errors.push(String(error));
      return (code = -1);
    },
  );
  return {
    id: spec.id, configPath, databasePath: join(workDir, `${spec.id}-bot.sqlite`),
    exited: () => code,
    errors: () => [...errors],
    stop: async () => {
      controller.abort();
      return done;
    },
  };
}
