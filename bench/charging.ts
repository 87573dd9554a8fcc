/**
 * Smart-charging benchmark. Writes bench/results/charging.json (one run) and prints a table:
 *
 *   schedule_ms_100_vehicles_96_slots       the scheduler as the aggregator runs it (HiGHS, the lazy
 *                                           state-of-charge LP and its cuts, the default algorithm: primal
 *                                           simplex from the greedy start),
 *                                           a day in 15-minute slots, half the vehicles offering V2G,
 *                                           a feeder limit that binds and a one-hour ancillary event
 *                                           where the fleet draws most;
 *                                           build + solve + cuts + decode, median of 9
 *   schedule_solve_ms_100_vehicles_96_slots the HiGHS solves alone, same runs
 *   schedule_ms_100_vehicles_96_slots_logical_start  the same lazy LP and cuts, primal simplex from
 *                                           the logical basis instead of the greedy start (fleetStart.ts),
 *                                           build + solve + decode, run interleaved with the above
 *   schedule_greedy_start_speedup            logical-start time / scheduler time (medians)
 *   schedule_iterations_100_vehicles_96_slots / _logical_start  simplex iterations (first solve and
 *                                           cut rounds) from the greedy start and from the logical basis
 *   schedule_ms_100_vehicles_96_slots_primal / _ipm / _dual  the same with primal simplex, interior
 *                                           point or dual simplex for the first solve
 *   schedule_ms_100_vehicles_96_slots_full_lp  the full LP (a state-of-charge column and a dynamics
 *                                           row per vehicle and slot), HiGHS primal simplex: the peer,
 *                                           run interleaved with the above
 *   schedule_full_lp_vs_lazy                 full LP time / scheduler time (medians)
 *   schedule_ms_500_vehicles_96_slots       the same at 500 vehicles (the scheduler, its default algorithm)
 *   schedule_ms_glpk_100_vehicles_96_slots  the same 100-vehicle LP solved by glpk.js (solve alone)
 *   schedule_cost_vs_uncontrolled           optimised cost / cost of charging at full power on arrival
 *   feeder_overload_kw_uncontrolled         how far uncontrolled charging exceeds the feeder limit
 *   feeder_slots_at_limit_optimised         slots where the optimised fleet draws the full limit
 *   ocmf_verify_per_s                       OCMF records (secp256r1, DER) parsed and verified per
 *                                           second, one core, median of 5 rounds
 */
import { fileURLToPath } from "node:url";
import type { Highs } from "highs";
import type { FleetProblem } from "../src/charging/fleet.js";
import { buildFleetModel, decodePlans } from "../src/charging/fleetModel.js";
import { fleetStart } from "../src/charging/fleetStart.js";
import { loadHighs, solveWithHighs, type LpAlgorithm } from "../src/charging/highs.js";
import { aggregateKw, checkSchedule, planCost } from "../src/charging/scheduleCheck.js";
import { scheduleFleet, uncontrolledPlans, type ScheduleOutcome } from "../src/charging/scheduler.js";
import { dayScenario } from "../test/charging/helpers/fleetScenario.js";
import { solveWithGlpk } from "../test/charging/helpers/glpk.js";
import { OCMF_CURVES } from "../src/charging/ocmf/curves.js";
import { OcmfMeter } from "../src/charging/ocmf/meter.js";
import { verifyOcmf } from "../src/charging/ocmf/verify.js";
import { median, writeMetrics, type Metrics } from "./metrics.js";

const FEEDER_SHARE = 0.45;

function scheduled(outcome: ScheduleOutcome): Extract<ScheduleOutcome, { status: "scheduled" }> {
  if (outcome.status !== "scheduled") throw new Error(`benchmark problem not schedulable: ${JSON.stringify(outcome)}`);
  return outcome;
}

/**
 * The day scenario with a one-hour ancillary event where the optimised fleet draws most (cut 10%
 * of the feeder's import limit): a cut where the fleet already exports at its limit could not be
 * met by any schedule.
 */
function withAncillary(highs: Highs, vehicles: number, algorithm?: LpAlgorithm): FleetProblem {
  const base = dayScenario({ vehicles, seed: 42, feederShare: FEEDER_SHARE });
  const first = scheduled(scheduleFleet(highs, base, algorithm));
  const baselineKw = aggregateKw(base.slots, first.plans);
  const hour = 3600 / base.slotSeconds;
  let fromSlot = 0;
  const lowest = (t: number): number => Math.min(...baselineKw.slice(t, t + hour));
  for (let t = 1; t + hour <= base.slots; t++) if (lowest(t) > lowest(fromSlot)) fromSlot = t;
  return { ...base, ancillary: { fromSlot, toSlot: fromSlot + hour, deltaKw: -0.1 * base.feederImportKw[0]!, baselineKw } };
}

interface Timed {
  total: number[];
  solve: number[];
  outcome?: ScheduleOutcome;
}

/** Runs every variant once per round, in turn, so a drift of the machine's speed hits them alike. */
function timeInterleaved(runs: number, variants: Record<string, () => { outcome?: ScheduleOutcome; solveMs: number }>): Record<string, Timed> {
  const out: Record<string, Timed> = {};
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(variants)) {
      const t0 = performance.now();
      const r = run();
      const timed = (out[name] ??= { total: [], solve: [] });
      timed.total.push(performance.now() - t0);
      timed.solve.push(r.solveMs);
      timed.outcome = r.outcome;
    }
  }
  return out;
}

function timeSchedule(highs: Highs, p: FleetProblem, runs: number, algorithm?: LpAlgorithm): Timed {
  return timeInterleaved(runs, { only: () => scheduleOnce(highs, p, algorithm) }).only!;
}

function scheduleOnce(highs: Highs, p: FleetProblem, algorithm?: LpAlgorithm): { outcome: ScheduleOutcome; solveMs: number } {
  const outcome = scheduleFleet(highs, p, algorithm);
  return { outcome, solveMs: scheduled(outcome).solveMs };
}

/** The scheduler's lazy LP and cuts, primal simplex from the logical basis: build + solve + decode. */
function logicalStartOnce(highs: Highs, p: FleetProblem): { solveMs: number; iterations: number } {
  const model = buildFleetModel(p, "cost", "lazy");
  const r = solveWithHighs(highs, model.lp, "primal", model.separate);
  if (r.status !== "optimal") throw new Error("the lazy LP has no optimum");
  decodePlans(p, model, r.x);
  return { solveMs: r.solveMs, iterations: r.iterations };
}

/** The full LP (no cuts needed), solved by HiGHS primal simplex: build + solve. */
function fullLpOnce(highs: Highs, p: FleetProblem): { solveMs: number } {
  const r = solveWithHighs(highs, buildFleetModel(p, "cost", "rows").lp, "primal");
  if (r.status !== "optimal") throw new Error("the full LP has no optimum");
  return { solveMs: r.solveMs };
}

function ocmfVerifyPerSecond(): number {
  const secret = OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey();
  const meter = new OcmfMeter({ serial: "M-1", gateway: "EVSE-1", gatewaySerial: "1" }, secret);
  const t0 = Date.UTC(2026, 0, 1);
  const records = [meter.begin("bench", t0, 0)];
  for (let i = 1; i < 199; i++) records.push(meter.progress(t0 + i * 900_000, i * 2500));
  records.push(meter.end(t0 + 199 * 900_000, 199 * 2500));
  const key = meter.publicKey();
  const rates: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (const record of records) if (!verifyOcmf(record, key).valid) throw new Error("benchmark record does not verify");
    rates.push(records.length / ((performance.now() - start) / 1000));
  }
  return median(rates);
}

export async function main(): Promise<void> {
  const highs = await loadHighs();
  const metrics: Metrics = {};
  const round = (v: number): number => Number(v.toFixed(3));

  const p100 = withAncillary(highs, 100, "choose");
  scheduleFleet(highs, p100); // warm-up
  const t100 = timeInterleaved(9, {
    scheduler: () => scheduleOnce(highs, p100),
    primal: () => scheduleOnce(highs, p100, "primal"),
    ipm: () => scheduleOnce(highs, p100, "ipm"),
    dual: () => scheduleOnce(highs, p100, "simplex"),
    logical: () => logicalStartOnce(highs, p100),
    full: () => fullLpOnce(highs, p100),
  });
  const r100 = t100.scheduler!;
  const s100 = scheduled(r100.outcome!);
  const violations = checkSchedule(p100, s100.plans);
  if (violations.length > 0) throw new Error(`schedule breaks constraints: ${JSON.stringify(violations.slice(0, 3))}`);
  metrics.schedule_ms_100_vehicles_96_slots = { value: round(median(r100.total)), unit: "ms" };
  metrics.schedule_solve_ms_100_vehicles_96_slots = { value: round(median(r100.solve)), unit: "ms" };
  for (const variant of ["primal", "ipm", "dual"] as const) {
    metrics[`schedule_ms_100_vehicles_96_slots_${variant}`] = { value: round(median(t100[variant]!.total)), unit: "ms" };
  }
  metrics.schedule_ms_100_vehicles_96_slots_logical_start = { value: round(median(t100.logical!.total)), unit: "ms" };
  metrics.schedule_greedy_start_speedup = { value: round(median(t100.logical!.total) / median(r100.total)), unit: "ratio" };
  const lazy100 = buildFleetModel(p100, "cost", "lazy");
  const iterations = (start?: ReturnType<typeof fleetStart>): number => {
    const r = solveWithHighs(highs, lazy100.lp, "primal", lazy100.separate, start);
    if (r.status !== "optimal") throw new Error("the lazy LP has no optimum");
    return r.iterations;
  };
  metrics.schedule_iterations_100_vehicles_96_slots = { value: iterations(fleetStart(p100, lazy100)), unit: "iterations" };
  metrics.schedule_iterations_100_vehicles_96_slots_logical_start = { value: iterations(), unit: "iterations" };
  metrics.schedule_ms_100_vehicles_96_slots_full_lp = { value: round(median(t100.full!.total)), unit: "ms" };
  metrics.schedule_full_lp_vs_lazy = { value: round(median(t100.full!.total) / median(r100.total)), unit: "ratio" };

  const lp100 = buildFleetModel(p100).lp;
  const glpkMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const g = await solveWithGlpk(lp100);
    if (!g.optimal || Math.abs(g.objective - s100.cost) > 1e-6 * Math.abs(s100.cost)) {
      throw new Error(`glpk.js disagrees: ${g.objective} vs ${s100.cost}`);
    }
    glpkMs.push(g.solveMs);
  }
  metrics.schedule_ms_glpk_100_vehicles_96_slots = { value: round(median(glpkMs)), unit: "ms" };

  const p500 = withAncillary(highs, 500);
  const r500 = timeSchedule(highs, p500, 3);
  metrics.schedule_ms_500_vehicles_96_slots = { value: round(median(r500.total)), unit: "ms" };

  const uncontrolled = uncontrolledPlans(p100);
  const { ancillary: _event, ...plain } = p100;
  const plainCost = scheduled(scheduleFleet(highs, plain, "primal")).cost;
  metrics.schedule_cost_vs_uncontrolled = { value: round(plainCost / planCost(p100, uncontrolled)), unit: "ratio" };
  const peakDraw = Math.max(...aggregateKw(p100.slots, uncontrolled));
  metrics.feeder_overload_kw_uncontrolled = { value: round(peakDraw - p100.feederImportKw[0]!), unit: "kW" };
  const net = aggregateKw(p100.slots, s100.plans);
  metrics.feeder_slots_at_limit_optimised = {
    value: net.filter((kw, t) => kw >= p100.feederImportKw[t]! - 1e-6).length,
    unit: "slots",
  };

  metrics.ocmf_verify_per_s = { value: round(ocmfVerifyPerSecond()), unit: "records/s" };

  console.log(`HiGHS 100×96 runs (ms): ${r100.total.map((v) => v.toFixed(0)).join(" ")}; logical start: ${t100.logical!.total.map((v) => v.toFixed(0)).join(" ")}; full LP: ${t100.full!.total.map((v) => v.toFixed(0)).join(" ")}; glpk.js: ${glpkMs.map((v) => v.toFixed(0)).join(" ")}`);
  console.log(`HiGHS 500×96 runs (ms): ${r500.total.map((v) => v.toFixed(0)).join(" ")}`);
  writeMetrics(fileURLToPath(new URL("./results/charging.json", import.meta.url)), metrics);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
