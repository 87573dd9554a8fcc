/**
 * A settlement bot as a separate process, through the real CLI entry
 * (`node --import tsx src/cli/main.ts settlement-bot run --config <file>`): its output is kept,
 * and it is stopped with SIGTERM (a clean stop) or killed with SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface BotProcess {
  name: string;
  pid: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when it printed a line matching `pattern` (rejects after `timeoutMs` or if it exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with how it ended once it exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();

/** Starts `settlement-bot run` on `configPath` with `env` added to this process's environment. */
export function startBotProcess(name: string, configPath: string, env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "settlement-bot", "run", "--config", configPath], {
    stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env },
  });
  live.add(child);
  let text = "";
  for (const stream of [child.stdout, child.stderr]) stream.setEncoding("utf8").on("data", (c: string) => (text = (text + c).slice(-65_536)));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  let exited = false;
  void ended.then(() => (exited = true));
  return {
    name,
    pid: child.pid!,
    output: () => text,
    async waitFor(pattern, timeoutMs = 60_000) {
      for (const end = Date.now() + timeoutMs; !pattern.test(text); ) {
        if (exited) throw new Error(`bot ${name} exited before printing ${pattern}:\n${text}`);
        if (Date.now() > end) throw new Error(`bot ${name} did not print ${pattern} within ${timeoutMs} ms:\n${text}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (!exited) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await ended;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** SIGKILLs every bot process still running (for `finally` blocks and `after` hooks). */
export async function killAllBots(): Promise<void> {
  const waits = [...live].map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once("close", resolve))));
  for (const c of live) c.kill("SIGKILL");
  await Promise.all(waits);
}
