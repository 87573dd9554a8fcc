/**
 * The main job end to end. Writes bench/results/e2e.json and prints a table:
 *
 *   sessions_per_s        complete sessions per second — anonymous authentication over the LAG
 *                         services, discharge answers through the CA service, REQ_EV, one LP per
 *                         fleet, schedules and confirmations, CSEV control with EVSE receipts, OCMF
 *                         metering, CDRs, every item stored and anchored — over `--sessions` vehicles
 *                         (default 1,000), timed from the first authentication to the last anchored
 *                         batch (set-up of contracts and services not counted); target ≥ 50/s.
 *                         A session is complete when its vehicle authenticated, its schedule was
 *                         confirmed, it was steered and metered, and its evidence is in its
 *                         parties' stores and anchored; the benchmark fails if any session that
 *                         smart charging kept (every vehicle but those whose users rejected their
 *                         schedule) is not complete
 *   session_floor_*       the floor under it (`sessionFloor.ts`): CPU milliseconds per session of the
 *                         work a complete session cannot avoid (ring signatures and their checks,
 *                         one ECDSA signature, one verification and two EIP-712 digests per message
 *                         and receipt, OCMF signatures and checks, its LP share), per part and in
 *                         all, priced right after the day under the same load; and the sessions
 *                         per second that floor allows on one core and, perfectly parallel, on two
 *   demo_wall_s_default   wall time of the default day (`npm run demo`'s runDay, settlement included)
 *   gas_<operation>       mean gas of each operation of the default day
 *
 * Each figure comes from one run (a day is long); run it again for more samples.
 * Usage: npm run bench:e2e [-- --sessions <n>]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveEmbeddedNetwork } from "../src/chain/localNode.js";
import { dayChainOf } from "../src/scenario/day/chain.js";
import { runChargingDay, type ChargingDay } from "../src/scenario/day/chargingDay.js";
import { DEFAULT_DAY } from "../src/scenario/day/options.js";
import { runDay } from "../src/scenario/day/runDay.js";
import { settleDay } from "../src/scenario/day/settlementStep.js";
import { writeMetrics, type Metrics } from "./metrics.js";
import { sessionFloor } from "./sessionFloor.js";

const flag = process.argv.indexOf("--sessions");
const sessions = flag >= 0 ? Number(process.argv[flag + 1]) : 1_000;
if (!Number.isSafeInteger(sessions) || sessions < 8) throw new Error("--sessions must be a whole number ≥ 8");
const dir = mkdtempSync(join(tmpdir(), "v2g-bench-e2e-"));
const metrics: Metrics = {};

async function onNode<T>(run: (chain: ReturnType<typeof dayChainOf>) => Promise<T>): Promise<T> {
  const node = await serveEmbeddedNetwork();
  const chain = dayChainOf(node, "embedded");
  try {
    return await run(chain);
  } finally {
    chain.close?.();
    await node.stop();
  }
}

/** The sessions of `day` that are complete (see above); throws naming the first incomplete one. */
function completeSessions(day: ChargingDay): number {
  const kept = day.fleets.flatMap((f) => f.sessions.filter((s) => s.decision !== "reject").map((s) => ({ s, f })));
  const executed = new Map(day.execution.sessions.map((e) => [e.session.sessionId, e]));
  const fail = (what: string, id: string) => {
    throw new Error(`incomplete session ${id}: ${what} (${executed.size} executed of ${kept.length} kept)`);
  };
  for (const { s, f } of kept) {
    const e = executed.get(s.sessionId);
    if (day.auth.sessions[s.vehicle.index] === undefined) fail("its vehicle did not authenticate", s.vehicle.id);
    if (e === undefined) fail("not executed", s.vehicle.id);
    if (e!.energyWh < 0n || e!.fleet !== f) fail("metered wrongly", s.vehicle.id);
    const stores = [f.store, day.day.siteStores[f.aggregator.index]!, s.userStore];
    for (const store of stores) if (!store.hasSession(s.sessionId)) fail("evidence missing from a party's store", s.vehicle.id);
    if (e!.roaming && e!.energyWh > 0n && e!.cdr === undefined) fail("a roaming session without its CDR", s.vehicle.id);
  }
  for (const entry of day.day.stores.entries) {
    if (entry.anchorer === undefined) continue;
    for (const kind of ["Messages", "Receipts"] as const) {
      const left = entry.store.batches.unbatched(kind).length;
      if (left > 0) throw new Error(`${left} ${kind.toLowerCase()} of ${entry.party} not anchored`);
    }
  }
  return kept.length;
}

try {
  const started = Date.now();
  const report = await onNode((chain) => runDay({ ...DEFAULT_DAY, outDir: join(dir, "default") }, chain, settleDay));
  metrics.demo_wall_s_default = { value: (Date.now() - started) / 1000, unit: "s" };
  console.log(`default day: ${report.sessions.total} sessions in ${metrics.demo_wall_s_default.value.toFixed(1)} s`);

  const charging = await onNode(async (chain) => {
    const day = await runChargingDay({ ...DEFAULT_DAY, vehicles: sessions, outDir: join(dir, "sessions") }, chain);
    try {
      const complete = completeSessions(day);
      return { sessionSeconds: day.sessionSeconds, complete, floor: await sessionFloor(day) };
    } finally {
      await day.close();
    }
  });
  const { complete, floor } = charging;
  metrics.sessions_per_s = { value: complete / charging.sessionSeconds, unit: `sessions/s (target ≥ 50; ${complete} sessions of ${sessions} vehicles in ${charging.sessionSeconds.toFixed(1)} s)` };
  const c = floor.counts;
  const perSession = (seconds: number) => (seconds * 1000) / complete;
  metrics.session_floor_cpu_ms = {
    value: perSession(floor.totalSeconds),
    unit: `CPU ms per session (${c.authentications} authentications, ${c.answers} discharge answers, ${c.messages} messages, ${c.receipts} receipts, ${c.ocmfRecords} OCMF records, ${c.fleets} LPs)`,
  };
  for (const [part, seconds] of Object.entries(floor.seconds)) metrics[`session_floor_${part}_ms`] = { value: perSession(seconds), unit: "CPU ms per session" };
  for (const [unit, ms] of Object.entries(floor.unitMs)) metrics[`session_floor_unit_${unit}_ms`] = { value: ms, unit: "ms (median)" };
  metrics.session_floor_per_s_1core = { value: complete / floor.totalSeconds, unit: "sessions/s the floor allows on one core" };
  metrics.session_floor_per_s_2cores = { value: (2 * complete) / floor.totalSeconds, unit: "sessions/s the floor allows on two cores, perfectly parallel" };
  metrics.sessions_per_s_of_floor = { value: (complete / charging.sessionSeconds) / ((2 * complete) / floor.totalSeconds), unit: "sessions_per_s / session_floor_per_s_2cores" };
  for (const g of report.gas) metrics[`gas_${g.operation.replace(/[^A-Za-z0-9]+/g, "_")}`] = { value: Number(g.mean), unit: `gas (mean of ${g.count})` };
  writeMetrics(join(import.meta.dirname, "results", "e2e.json"), metrics);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
