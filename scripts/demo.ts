/**
 * `npm run demo [-- --seed <n> --suppliers <n> --aggregators <n> --vehicles <n> --out <dir> --serve <port>]`:
 * a day of V2G roaming on the embedded Hardhat network, served on 127.0.0.1 for the settlement
 * bots. Prints progress and the summary; leaves the report (JSON and HTML), the deployments file
 * and every party's evidence store in the output folder. With `--serve <port>` the chain is served
 * on that port and stays up after the day, for `npx v2g` commands (`dispute show` reads the
 * chain), until SIGINT or SIGTERM (exit 0). Exit codes: the table of src/errors.ts.
 */
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

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const port = servePort(argv);
  const options = parseDayArgs(argv);
  const node = await serveEmbeddedNetwork(port === undefined ? {} : { port });
  const chain = dayChainOf(node, "embedded");
  try {
    const progress = consoleProgress((line) => console.log(line), process.stdout.isTTY === true);
    const report = await runDay({ ...options, progress }, chain, settleDay);
    writeReport(options.outDir, report);
    for (const line of summaryLines(report)) console.log(line);
    if (port === undefined) {
      console.log(`  (dispute show reads the chain: keep it up with \`npm run demo -- --serve 8545\`; the bundle alone: npx v2g verify ${report.dispute.bundle})`);
      return 0;
    }
    console.log(`the chain stays up on ${node.url} for npx v2g commands (--rpc ${node.url}); Ctrl-C stops it`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    return 0;
  } finally {
    chain.close?.();
    await node.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = exitCodeOf(error);
  },
);
