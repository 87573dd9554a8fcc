/** The small day the scenario tests run: 3 suppliers, 4 aggregators, 12 vehicles, on a fresh embedded network. */
import { serveEmbeddedNetwork, type LocalNode } from "../../src/chain/localNode.js";
import type { DayReport } from "../../src/report/schema.js";
import { dayChainOf } from "../../src/scenario/day/chain.js";
import { runDay } from "../../src/scenario/day/runDay.js";
import { settleDay } from "../../src/scenario/day/settlementStep.js";
import type { DayChain } from "../../src/scenario/day/world.js";

export const SMALL = { seed: 7, suppliers: 3, aggregators: 4, vehicles: 12, ringSize: 8 } as const;

/**
 * One small day into `outDir` on a fresh embedded network served on 127.0.0.1; `whileUp` runs
 * on its report and chain before the node is stopped (the node is stopped whatever happens);
 * `over` changes the small day's options (another seed).
 */
export async function runSmallDay(outDir: string, whileUp?: (report: DayReport, chain: DayChain) => Promise<void>, over: { seed?: number } = {}): Promise<DayReport> {
  const node: LocalNode = await serveEmbeddedNetwork();
  const chain = dayChainOf(node, "embedded");
  try {
    const report = await runDay({ ...SMALL, ...over, outDir }, chain, settleDay);
    await whileUp?.(report, chain);
    return report;
  } finally {
    chain.close?.();
    await node.stop();
  }
}
