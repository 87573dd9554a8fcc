/**
 * Commands started in a process group of their own, so that a test can stop all they started (a
 * wrapper's child, the child's helpers) and check that nothing of them is left.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface GroupRun {
  child: ChildProcess;
  /** The process group: the leader's pid. */
  pgid: number;
  /** Resolves with the leader's exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Resolves once its output is read to the end (every process holding the pipes is gone). */
  closed: Promise<void>;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
}

/** Starts `command` as the leader of a new process group, its output kept. */
export function spawnGroup(command: string, args: string[], options: Omit<SpawnOptions, "detached" | "stdio"> = {}): GroupRun {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  let out = "";
  let err = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return { child, pgid: child.pid, exited, closed, stdout: () => out, stderr: () => err };
}

/** The pids of the processes in group `pgid` (zombies included), as `ps` lists them. */
export function groupMembers(pgid: number): { pid: number; command: string }[] {
  const lines = execFileSync("ps", ["-e", "-o", "pid=,pgid=,stat=,args="], { encoding: "utf8" }).split("\n");
  return lines.flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    return m && Number(m[2]) === pgid ? [{ pid: Number(m[1]), command: `${m[3]} ${m[4]}` }] : [];
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until group `pgid` is empty; true if it was within `timeoutMs`. */
export async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupMembers(pgid).length > 0) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // nobody left in the group
  }
}

/**
 * Stops the whole group: SIGTERM, then SIGKILL to whatever is left after `graceMs`; waits (bounded)
 * until the group is empty. Safe to call when it already is.
 */
export async function stopGroup(run: GroupRun, graceMs = 10_000): Promise<void> {
  signalGroup(run.pgid, "SIGTERM");
  if (await groupGone(run.pgid, graceMs)) return;
  signalGroup(run.pgid, "SIGKILL");
  await groupGone(run.pgid, 5_000);
}
