/**
 * Smart-charging benchmark. Writes bench/results/charging.json (one run) and prints a table:
 *
 *   schedule_ms_100_vehicles_96_slots       one LP (HiGHS, primal simplex), a day in 15-minute slots, half the
 *                                           vehicles offering V2G, a feeder limit that binds and a
 *                                           one-hour ancillary event; build + solve + decode, median
 *   schedule_solve_ms_100_vehicles_96_slots the HiGHS solve alone, same runs
 *   schedule_ms_100_vehicles_96_slots_ipm   the same with HiGHS' interior-point method
 *   schedule_ms_100_vehicles_96_slots_default  the same with HiGHS' default choice (dual simplex)
 *   schedule_ms_500_vehicles_96_slots       the same at 500 vehicles (HiGHS interior point)
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
import { buildFleetModel } from "../src/charging/fleetModel.js";
import { loadHighs, type LpAlgorithm } from "../src/charging/highs.js";
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

/** The day scenario with a one-hour ancillary event at 18:00 (cut 10% of the peak draw). */
function withAncillary(highs: Highs, vehicles: number, algorithm: LpAlgorithm): FleetProblem {
  const base = dayScenario({ vehicles, seed: 42, feederShare: FEEDER_SHARE });
  const first = scheduled(scheduleFleet(highs, base, algorithm));
  const baselineKw = aggregateKw(base.slots, first.plans);
  return { ...base, ancillary: { fromSlot: 24, toSlot: 28, deltaKw: -0.1 * base.feederImportKw[0]!, baselineKw } };
}

function timeSchedule(highs: Highs, p: FleetProblem, runs: number, algorithm: LpAlgorithm): { total: number[]; solve: number[]; outcome: ScheduleOutcome } {
  const total: number[] = [];
  const solve: number[] = [];
  let outcome: ScheduleOutcome | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    outcome = scheduleFleet(highs, p, algorithm);
    total.push(performance.now() - t0);
    solve.push(scheduled(outcome).solveMs);
  }
  return { total, solve, outcome: outcome! };
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
  scheduleFleet(highs, p100, "primal"); // warm-up
  const r100 = timeSchedule(highs, p100, 9, "primal");
  const s100 = scheduled(r100.outcome);
  const violations = checkSchedule(p100, s100.plans);
  if (violations.length > 0) throw new Error(`schedule breaks constraints: ${JSON.stringify(violations.slice(0, 3))}`);
  metrics.schedule_ms_100_vehicles_96_slots = { value: round(median(r100.total)), unit: "ms" };
  metrics.schedule_solve_ms_100_vehicles_96_slots = { value: round(median(r100.solve)), unit: "ms" };
  const r100ipm = timeSchedule(highs, p100, 5, "ipm");
  metrics.schedule_ms_100_vehicles_96_slots_ipm = { value: round(median(r100ipm.total)), unit: "ms" };
  const r100dual = timeSchedule(highs, p100, 5, "choose");
  metrics.schedule_ms_100_vehicles_96_slots_default = { value: round(median(r100dual.total)), unit: "ms" };

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

  const p500 = withAncillary(highs, 500, "ipm");
  const r500 = timeSchedule(highs, p500, 3, "ipm");
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

  console.log(`HiGHS 100×96 runs (ms): ${r100.total.map((v) => v.toFixed(0)).join(" ")}; glpk.js: ${glpkMs.map((v) => v.toFixed(0)).join(" ")}`);
  console.log(`HiGHS 500×96 runs (ms): ${r500.total.map((v) => v.toFixed(0)).join(" ")}`);
  writeMetrics(fileURLToPath(new URL("./results/charging.json", import.meta.url)), metrics);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
