/**
 * `npm run demo [-- --seed <n> --suppliers <n> --aggregators <n> --vehicles <n> --out <dir> --serve <port>]`:
 * a day of V2G roaming on the embedded Hardhat network, served on 127.0.0.1 for the settlement
 * bots. Prints progress and the summary; leaves the report (JSON and HTML), the deployments file
 * and every party's evidence store in the output folder. With `--serve <port>` the chain is served
 * on that port and stays up after the day, for `npx v2g` commands (`dispute show` reads the
 * chain), until SIGINT or SIGTERM (exit 0). Exit codes: the table of src/errors.ts; a day stopped
 * before its end by SIGINT or SIGTERM exits 128 + the signal's number (130, 143), by the end of
 * the process that started it 129 (as a hang-up).
 *
 * Whatever stops it (the end of the day, a signal, or its parent process gone: a killed `npm` or
 * `tsx` wrapper), the demo stops what it started, the served chain and the day's services and
 * workers, before it exits: it never keeps a port after its caller is gone.
 */
import { constants } from "node:os";
import { untilStopped } from "../src/cli/context.js";
import { serveEmbeddedNetwork } from "../src/chain/localNode.js";
import { exitCodeOf } from "../src/errors.js";
import { DayError } from "../src/scenario/day/errors.js";
import { writeReport } from "../src/report/write.js";
import { dayChainOf } from "../src/scenario/day/chain.js";
import { parseDayArgs } from "../src/scenario/day/options.js";
import { consoleProgress } from "../src/scenario/day/progress.js";
import { runDay } from "../src/scenario/day/runDay.js";
import { settleDay } from "../src/scenario/day/settlementStep.js";
import { summaryLines } from "../src/scenario/day/summary.js";

/** `--serve <port>` (taken out of the day's own options): the port to keep the chain up on. */
function servePort(argv: string[]): number | undefined {
  const at = argv.indexOf("--serve");
  if (at < 0) return undefined;
  const value = argv[at + 1];
  const port = Number(value);
  if (value === undefined || !/^[1-9][0-9]*$/.test(value) || port > 65_535) {
    throw new DayError("BAD_OPTION", `--serve needs a port from 1 to 65535, got ${value ?? "nothing"}`, { option: "serve", value });
  }
  argv.splice(at, 2);
  return port;
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;
/** Why the demo stops early: a signal, or its parent gone. */
type StopReason = (typeof STOP_SIGNALS)[number] | "parent";
/** How often the demo looks whether its parent is still there. */
const PARENT_POLL_MS = 250;
/** How long an interrupted day may take to close its services and workers once the chain is down. */
const UNWIND_MS = 5_000;

/**
 * Aborted at the first SIGINT or SIGTERM (with the signal's name), or when the parent process is
 * gone ("parent": this process was handed to another parent, e.g. its wrapper was killed).
 * SIGHUP keeps its disposition, so that `nohup` still works.
 */
function stopSignal(): AbortSignal {
  const stopper = new AbortController();
  // Kept for every signal: a second Ctrl-C while stopping (the terminal signals the whole group,
  // a wrapper may relay it again) waits for the same stop instead of cutting it short.
  for (const name of STOP_SIGNALS) process.on(name, () => stopper.abort(name));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) stopper.abort("parent" satisfies StopReason);
  }, PARENT_POLL_MS);
  watch.unref();
  stopper.signal.addEventListener("abort", () => clearInterval(watch), { once: true });
  return stopper.signal;
}

const reasonOf = (stop: AbortSignal) => stop.reason as StopReason;
const interruptedCode = (stop: AbortSignal) => 128 + constants.signals[reasonOf(stop) === "parent" ? "SIGHUP" : (reasonOf(stop) as NodeJS.Signals)];

async function main(stop: AbortSignal): Promise<number> {
  const argv = process.argv.slice(2);
  const port = servePort(argv);
  const options = parseDayArgs(argv);
  const node = await serveEmbeddedNetwork(port === undefined ? {} : { port });
  const chain = dayChainOf(node, "embedded");
  let interrupted: Promise<unknown> | undefined;
  try {
    if (stop.aborted) return interruptedCode(stop);
    const progress = consoleProgress((line) => console.log(line), process.stdout.isTTY === true);
    const day = runDay({ ...options, progress }, chain, settleDay);
    const report = await Promise.race([day, untilStopped(stop).then(() => undefined)]);
    if (report === undefined) {
      // The day goes on against a chain that is about to stop: it fails, and closes its services
      // and workers on the way out (bounded: the process exits after that either way).
      interrupted = day.catch(() => undefined);
      console.error(`stopped by ${reasonOf(stop) === "parent" ? "the end of the process that started it" : reasonOf(stop)} before the day ended`);
      return interruptedCode(stop);
    }
    writeReport(options.outDir, report);
    for (const line of summaryLines(report)) console.log(line);
    if (port === undefined) {
      console.log(`  (dispute show reads the chain: keep it up with \`npm run demo -- --serve 8545\`; the bundle alone: npx v2g verify ${report.dispute.bundle})`);
      return 0;
    }
    console.log(`the chain stays up on ${node.url} for npx v2g commands (--rpc ${node.url}); Ctrl-C stops it`);
    await untilStopped(stop);
    return 0;
  } finally {
    chain.close?.();
    await node.stop();
    if (interrupted !== undefined) await Promise.race([interrupted, new Promise((r) => setTimeout(r, UNWIND_MS).unref())]);
  }
}

const stop = stopSignal();
main(stop).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = exitCodeOf(error);
  },
).finally(() => {
  // Stopped from outside, nothing started may keep the process up: what is still running ends with it.
  if (stop.aborted) setTimeout(() => process.exit(), UNWIND_MS).unref();
});
