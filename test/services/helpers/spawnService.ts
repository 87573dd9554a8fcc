/**
 * A service command (`lag serve`, `ca serve`) as its own process, for the drain tests: spawned
 * with `tsx`, its URL read from the "listening on" line, its exit code awaited; `kill()` ends a
 * process that is still running (the tests' `finally`, so none outlives its test).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../../src/cli/main.ts", import.meta.url));

export interface SpawnedService {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** SIGKILL if the process still runs. */
  kill(): void;
}

/** Spawns `v2g <args>` and resolves once it prints the URL it listens on (rejects if it exits first). */
export async function spawnService(args: readonly string[], timeoutMs = 50_000): Promise<SpawnedService> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs });
  child.stdin.end();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m !== null) resolve(m[1] as string);
      });
      child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited early with ${code}`)));
    });
    return { url, child, exited, kill };
  } catch (error) {
    kill();
    throw error;
  }
}

/** Polls the service's /metrics until gauge `name` reaches `atLeast` (at most `tries` reads); resolves with the last value. */
export async function waitForGauge(url: string, name: string, atLeast: number, tries = 200): Promise<number> {
  let value = 0;
  for (let i = 0; i < tries && value < atLeast; i++) {
    const m = await (await fetch(`${url}/metrics`)).text();
    value = Number(new RegExp(`^${name} (\\d+)$`, "m").exec(m)?.[1] ?? 0);
  }
  return value;
}
