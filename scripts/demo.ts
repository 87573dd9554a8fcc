/**
 * `npm run demo [-- --seed <n> --suppliers <n> --aggregators <n> --vehicles <n> --out <dir>]`:
 * a day of V2G roaming on the embedded Hardhat network, served on 127.0.0.1 for the settlement
 * bots. Prints progress and the summary; leaves the report (JSON and HTML), the deployments file
 * and every party's evidence store in the output folder. Exit codes: the table of src/errors.ts.
 */
import { serveEmbeddedNetwork } from "../src/chain/localNode.js";
import { exitCodeOf } from "../src/errors.js";
import { writeReport } from "../src/report/write.js";
import { dayChainOf } from "../src/scenario/day/chain.js";
import { parseDayArgs } from "../src/scenario/day/options.js";
import { consoleProgress } from "../src/scenario/day/progress.js";
import { runDay } from "../src/scenario/day/runDay.js";
import { settleDay } from "../src/scenario/day/settlementStep.js";
import { summaryLines } from "../src/scenario/day/summary.js";

async function main(): Promise<number> {
  const options = parseDayArgs(process.argv.slice(2));
  const node = await serveEmbeddedNetwork();
  const chain = dayChainOf(node, "embedded");
  try {
    const progress = consoleProgress((line) => console.log(line), process.stdout.isTTY === true);
    const report = await runDay({ ...options, progress }, chain, settleDay);
    writeReport(options.outDir, report);
    for (const line of summaryLines(report)) console.log(line);
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
