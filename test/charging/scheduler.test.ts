import { readFileSync } from "node:fs";
import { expect } from "chai";
import type { Highs } from "highs";
import { reoptimiseForAncillary } from "../../src/charging/ancillary.js";
import { ChargingError } from "../../src/charging/errors.js";
import type { FleetProblem, VehicleRequest } from "../../src/charging/fleet.js";
import { buildFleetModel, decodePlans } from "../../src/charging/fleetModel.js";
import { fleetStart } from "../../src/charging/fleetStart.js";
import { loadHighs, solveWithHighs } from "../../src/charging/highs.js";
import { BasisStatus, LpBuilder } from "../../src/charging/lp.js";
import { aggregateKw, checkSchedule, planCost } from "../../src/charging/scheduleCheck.js";
import { scheduleFleet, uncontrolledPlans } from "../../src/charging/scheduler.js";
import { ScheduleService } from "../../src/charging/scheduleService.js";
import { bruteForceLp } from "./helpers/bruteForce.js";
import { dayScenario, rng } from "./helpers/fleetScenario.js";
import { solveWithGlpk } from "./helpers/glpk.js";
import { expectBound, expectNear } from "./helpers/near.js";

const vehicle = (over: Partial<VehicleRequest> = {}): VehicleRequest => ({
  id: "p0",
  arrivalSlot: 0,
  departureSlot: 2,
  capacityKwh: 20,
  initialKwh: 5,
  targetKwh: 7,
  minKwh: 5,
  maxChargeKw: 10,
  maxDischargeKw: 0,
  chargeEfficiency: 1,
  dischargeEfficiency: 1,
  renewableShare: 0,
  offPeakOnly: false,
  ...over,
});

const problem = (slots: number, vehicles: VehicleRequest[], over: Partial<FleetProblem> = {}): FleetProblem => ({
  slotSeconds: 900,
  slots,
  importPrice: Array.from({ length: slots }, (_, t) => 0.1 + 0.1 * t),
  exportPrice: Array.from({ length: slots }, (_, t) => 0.08 + 0.08 * t),
  peak: Array.from({ length: slots }, (_, t) => t === slots - 1),
  renewableKw: new Array<number>(slots).fill(100),
  feederImportKw: new Array<number>(slots).fill(100),
  feederExportKw: new Array<number>(slots).fill(100),
  degradationPerKwh: 0.01,
  vehicles,
  ...over,
});

/** A tiny random instance: one vehicle over 3 slots or two over 2 (at most one with V2G). */
function tinyProblem(seed: number): FleetProblem {
  const r = rng(seed);
  const slots = 2 + (seed % 2);
  const n = slots === 3 ? 1 : 2;
  const vehicles = Array.from({ length: n }, (_, i) => {
    const cap = 10 + 10 * r();
    const initial = cap * (0.2 + 0.3 * r());
    const max = 4 + 8 * r();
    const v2g = i === 0 && r() < 0.7;
    return vehicle({
      id: `p${i}`,
      capacityKwh: cap,
      initialKwh: initial,
      targetKwh: Math.min(cap, initial + 0.25 * max * 0.9 * slots * r()),
      minKwh: v2g ? initial * r() : initial,
      departureSlot: slots,
      maxChargeKw: max,
      maxDischargeKw: v2g ? max * r() : 0,
      chargeEfficiency: 0.85 + 0.15 * r(),
      dischargeEfficiency: 0.85 + 0.15 * r(),
      renewableShare: r() < 0.3 ? r() : 0,
    });
  });
  return problem(slots, vehicles, {
    importPrice: Array.from({ length: slots }, () => 0.05 + 0.4 * r()),
    exportPrice: Array.from({ length: slots }, () => 0.05 + 0.4 * r()),
    feederImportKw: Array.from({ length: slots }, () => 6 + 10 * r()),
    feederExportKw: Array.from({ length: slots }, () => 3 * r()),
    renewableKw: Array.from({ length: slots }, () => 10 * r()),
  });
}

describe("charging: fleet scheduler (HiGHS)", function () {
  this.timeout(120_000);
  let highs: Highs;
  before(async () => {
    highs = await loadHighs();
  });

  it("should meet every constraint and cost what glpk.js finds optimal, on random fleets", async () => {
    let compared = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const p = dayScenario({ vehicles: 12, slots: 32, seed, renewableShare: 0.3 });
      const outcome = scheduleFleet(highs, p);
      expect(outcome.status, `seed ${seed}`).to.equal("scheduled");
      if (outcome.status !== "scheduled") continue;
      expect(checkSchedule(p, outcome.plans)).to.deep.equal([]);
      const primal = scheduleFleet(highs, p, "primal");
      if (primal.status !== "scheduled") throw new Error("primal simplex found no schedule");
      expectNear(primal.cost, outcome.cost, 1e-6 * Math.max(1, Math.abs(outcome.cost)), "primal simplex");
      const glpk = await solveWithGlpk(buildFleetModel(p).lp);
      expect(glpk.optimal).to.equal(true);
      expectNear(outcome.cost, glpk.objective, 1e-6 * Math.max(1, Math.abs(glpk.objective)));
      compared++;
    }
    expect(compared).to.equal(6);
  });

  it("should find the brute-force optimum (every vertex enumerated) on tiny instances", () => {
    let feasible = 0;
    let infeasible = 0;
    for (let seed = 100; seed < 108; seed++) {
      const p = tinyProblem(seed);
      const brute = bruteForceLp(buildFleetModel(p).lp);
      const outcome = scheduleFleet(highs, p);
      if (!brute.feasible) {
        expect(outcome.status, `seed ${seed}`).to.equal("infeasible");
        infeasible++;
        continue;
      }
      expect(outcome.status, `seed ${seed}`).to.equal("scheduled");
      if (outcome.status !== "scheduled") continue;
      expect(checkSchedule(p, outcome.plans)).to.deep.equal([]);
      expectNear(outcome.cost, brute.objective, 1e-7, `seed ${seed}`);
      feasible++;
    }
    expect(feasible + infeasible).to.equal(8);
    expectBound(feasible, "above", 4);
  });

  it("should flag a schedule that breaks a constraint (the checker can fail)", () => {
    const p = problem(2, [vehicle(), vehicle({ id: "p1", maxDischargeKw: 5, minKwh: 2 })], { feederImportKw: [12, 12] });
    const outcome = scheduleFleet(highs, p);
    if (outcome.status !== "scheduled") throw new Error("expected a schedule");
    const broken = outcome.plans.map((plan) => ({ ...plan, chargeKw: [...plan.chargeKw], dischargeKw: [...plan.dischargeKw] }));
    broken[0]!.chargeKw[0] = 11;
    const rules = checkSchedule(p, broken).map((v) => v.rule);
    expect(rules).to.include("charge power limit");
    expect(rules).to.include("state of charge matches the powers");
    const noV2g = outcome.plans.map((plan) => ({ ...plan, dischargeKw: [...plan.dischargeKw] }));
    noV2g[0]!.dischargeKw[1] = 1;
    expect(checkSchedule(p, noV2g).map((v) => v.rule)).to.include("discharge power limit (V2G only where offered)");
  });

  it("should answer an unreachable target as infeasible with the exact shortfall, never a partial schedule", () => {
    // 2 slots of 15 min at 10 kW, η = 1: at most 5 kWh more; 8 kWh asked → 3 kWh short.
    const p = problem(2, [vehicle({ targetKwh: 13 })]);
    const outcome = scheduleFleet(highs, p);
    expect(outcome).to.deep.include({ status: "infeasible", reason: "targets" });
    if (outcome.status !== "infeasible") return;
    expectNear(outcome.shortfallKwh["p0"], 3, 1e-9);
    expectNear(outcome.totalShortfallKwh, 3, 1e-9);
    expect(outcome).to.not.have.property("plans");
  });

  it("should report the shortfall that a binding feeder limit causes across vehicles", () => {
    // Two vehicles each wanting 4 kWh over 2 slots; the feeder carries 12 kW → 6 kWh in all.
    const p = problem(2, [vehicle({ targetKwh: 9 }), vehicle({ id: "p1", targetKwh: 9 })], { feederImportKw: [12, 12] });
    const outcome = scheduleFleet(highs, p);
    if (outcome.status !== "infeasible") throw new Error("expected infeasible");
    expectNear(outcome.totalShortfallKwh, 2, 1e-9);
  });

  it("should discharge only where V2G is offered, sell at the peak, and beat uncontrolled charging", () => {
    // A feeder loose enough for off-peak refills to pay for discharging at the peak.
    const p = dayScenario({ vehicles: 20, seed: 9, feederShare: 0.6 });
    const outcome = scheduleFleet(highs, p);
    if (outcome.status !== "scheduled") throw new Error("expected a schedule");
    p.vehicles.forEach((v, i) => {
      const exported = outcome.plans[i]!.dischargeKw.reduce((s, d) => s + d, 0);
      if (v.maxDischargeKw === 0) expect(exported).to.equal(0);
    });
    const peakExport = outcome.plans.reduce((s, plan) => s + plan.dischargeKw.filter((_, t) => p.peak[t]).reduce((a, d) => a + d, 0), 0);
    expectBound(peakExport, "above", 0);
    const uncontrolled = uncontrolledPlans(p);
    expectBound(outcome.cost, "below", 0.5 * planCost(p, uncontrolled));
    expectBound(Math.max(...aggregateKw(p.slots, uncontrolled)), "above", p.feederImportKw[0]!);
  });

  it("should keep off-peak-only vehicles idle at the peak and renewable shares inside the forecast", () => {
    const p = problem(3, [vehicle({ departureSlot: 3, targetKwh: 8, offPeakOnly: true }), vehicle({ id: "p1", departureSlot: 3, targetKwh: 6, renewableShare: 1 })], {
      peak: [true, false, false],
      importPrice: [0.01, 0.3, 0.3],
      renewableKw: [0, 2, 2],
    });
    const outcome = scheduleFleet(highs, p);
    if (outcome.status !== "scheduled") throw new Error("expected a schedule");
    expect(outcome.plans[0]!.chargeKw[0]).to.equal(0);
    expect(outcome.plans[1]!.chargeKw[0]).to.equal(0);
    expectNear(outcome.plans[1]!.chargeKw[1]! + outcome.plans[1]!.chargeKw[2]!, 4, 1e-9);
    expect(checkSchedule(p, outcome.plans)).to.deep.equal([]);
    const tooGreen = problem(3, [vehicle({ departureSlot: 3, targetKwh: 8, renewableShare: 1 })], { renewableKw: [2, 2, 2] });
    expect(scheduleFleet(highs, tooGreen).status).to.equal("infeasible");
  });

  it("should refuse a malformed problem with a typed error naming the field", () => {
    const cases: [Partial<VehicleRequest>, string][] = [
      [{ capacityKwh: -1 }, "capacityKwh"],
      [{ targetKwh: 25 }, "capacity"],
      [{ chargeEfficiency: 1.2 }, "chargeEfficiency"],
      [{ arrivalSlot: 2, departureSlot: 2 }, "arrive"],
      [{ maxChargeKw: Number.NaN }, "maxChargeKw"],
      [{ minKwh: 6 }, "minKwh"],
    ];
    for (const [over, words] of cases) {
      const p = problem(2, [vehicle(over)]);
      expect(() => scheduleFleet(highs, p), words).to.throw(ChargingError, words);
    }
    expect(() => scheduleFleet(highs, problem(2, [vehicle(), vehicle()]))).to.throw(ChargingError, "duplicate");
    expect(() => scheduleFleet(highs, problem(2, [vehicle()], { feederImportKw: [1] }))).to.throw(ChargingError, "feederImportKw");
  });

  it("should still meet every target under a TSO command and pay the pseudonyms that delivered it", () => {
    const p = dayScenario({ vehicles: 16, slots: 48, seed: 3 });
    const first = scheduleFleet(highs, p);
    if (first.status !== "scheduled") throw new Error("expected a schedule");
    const base = aggregateKw(p.slots, first.plans);
    // An hour at 23:00 (off-peak, everyone charging): cut the demand by 20 kW, from slot 10 on.
    const outcome = reoptimiseForAncillary(highs, p, first.plans, { nowSlot: 10, fromSlot: 22, toSlot: 24, deltaKw: -20, incentivePerKwh: 0.2 });
    if (outcome.status !== "scheduled") throw new Error(`expected a schedule, got ${JSON.stringify(outcome)}`);
    expect(checkSchedule(outcome.problem, outcome.plans)).to.deep.equal([]);
    const net = aggregateKw(p.slots, outcome.plans);
    for (let t = 22; t < 24; t++) expectBound(net[t], "atMost", base[t]! - 20 + 1e-6);
    for (let t = 0; t < 10; t++) expectNear(net[t], base[t]!, 1e-9);
    const delivered = Object.values(outcome.deliveredKwh).reduce((s, e) => s + e, 0);
    expectBound(delivered, "atLeast", 20 * 0.5 * 2 - 1e-6);
    for (const [id, kwh] of Object.entries(outcome.deliveredKwh)) expectNear(outcome.incentive[id], 0.2 * kwh, 1e-12);
    const impossible = reoptimiseForAncillary(highs, p, first.plans, { nowSlot: 10, fromSlot: 22, toSlot: 24, deltaKw: -1e6, incentivePerKwh: 0.2 });
    expect(impossible.status).to.equal("infeasible");
    expect(() => reoptimiseForAncillary(highs, p, first.plans, { nowSlot: 23, fromSlot: 22, toSlot: 24, deltaKw: -20, incentivePerKwh: 0 })).to.throw(ChargingError, "before the current slot");
  });

  it("should solve in a worker thread without blocking the event loop, with the same answer", async () => {
    const p = dayScenario({ vehicles: 60, seed: 4 });
    const service = new ScheduleService();
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const outcome = await service.schedule(p);
      clearInterval(timer);
      const direct = scheduleFleet(highs, p);
      if (outcome.status !== "scheduled" || direct.status !== "scheduled") throw new Error("expected schedules");
      expectNear(outcome.cost, direct.cost, 1e-6);
      expectBound(ticks, "above", 3);
      await service.schedule(problem(2, [vehicle({ capacityKwh: -1 })])).then(
        () => expect.fail("should have been refused"),
        (error: unknown) => expect(error).to.be.instanceOf(ChargingError).with.property("code", "BAD_INPUT"),
      );
    } finally {
      await service.close();
    }
  });

  it("should name a solver status that is neither optimal nor infeasible", () => {
    const p = problem(2, [vehicle()]);
    const lp = buildFleetModel(p).lp;
    lp.colLower[0] = -Infinity; // unbounded charge with a positive price: unbounded below
    lp.colUpper[0] = Infinity;
    lp.colCost[0] = -1;
    lp.rowUpper.fill(Infinity);
    lp.rowLower.fill(-Infinity);
    expect(() => solveWithHighs(highs, lp)).to.throw(ChargingError, "did not prove");
  });

  it("should schedule an empty fleet (the seed-11 small day's work aggregator) as nothing to do, not a solver failure", () => {
    const day = JSON.parse(readFileSync(new URL("./fixtures/fleet/day-seed-11-empty-fleet.json", import.meta.url), "utf8")) as FleetProblem;
    expect(day.vehicles).to.have.length(0);
    for (const algorithm of ["choose", "primal", "simplex", "ipm"] as const) {
      expect(scheduleFleet(highs, day, algorithm), algorithm).to.deep.equal({ status: "scheduled", plans: [], cost: 0, solveMs: 0 });
    }
    // No vehicle can change the demand: a TSO command is refused as the ancillary infeasibility it is.
    const baselineKw = new Array<number>(day.slots).fill(0);
    for (const deltaKw of [-1, 1]) {
      expect(scheduleFleet(highs, { ...day, ancillary: { fromSlot: 48, toSlot: 52, deltaKw, baselineKw } })).to.deep.equal({
        status: "infeasible",
        reason: "ancillary",
        shortfallKwh: {},
        totalShortfallKwh: 0,
      });
    }
  });

  it("should decide an LP without columns from its rows alone: optimal at 0 when every row admits 0, else infeasible", () => {
    const empty = (rowLower: number[], rowUpper: number[]) => ({
      numCols: 0,
      numRows: rowLower.length,
      colCost: new Float64Array(0),
      colLower: new Float64Array(0),
      colUpper: new Float64Array(0),
      rowLower: Float64Array.from(rowLower),
      rowUpper: Float64Array.from(rowUpper),
      starts: Int32Array.from([0]),
      indices: new Int32Array(0),
      values: new Float64Array(0),
    });
    const feasible = solveWithHighs(highs, empty([-Infinity, 0, -2], [Infinity, 3, 0]));
    expect(feasible).to.deep.include({ status: "optimal", objective: 0, rounds: 1, cuts: 0, iterations: 0 });
    expect(feasible.status === "optimal" && feasible.x.length).to.equal(0);
    expect(solveWithHighs(highs, empty([-Infinity, 1], [Infinity, 2])).status).to.equal("infeasible");
    expect(solveWithHighs(highs, empty([-3], [-1])).status).to.equal("infeasible");
  });

  it("should reach the full LP's optimum with the lazy state of charge, on random V2G fleets", () => {
    for (const seed of [11, 12, 13, 14, 15]) {
      const p = dayScenario({ vehicles: 16, slots: 48, seed, v2gShare: 1, feederShare: 0.4 });
      const fullModel = buildFleetModel(p, "cost", "rows");
      const full = solveWithHighs(highs, fullModel.lp, "primal");
      const lazy = buildFleetModel(p, "cost", "lazy");
      const cut = solveWithHighs(highs, lazy.lp, "primal", lazy.separate);
      if (full.status !== "optimal" || cut.status !== "optimal") throw new Error(`seed ${seed}: no optimum`);
      expectNear(cut.objective, full.objective, 1e-6 * Math.max(1, Math.abs(full.objective)), `seed ${seed}`);
      expect(checkSchedule(p, decodePlans(p, lazy, cut.x)), `seed ${seed}`).to.deep.equal([]);
      expectBound(lazy.lp.numRows, "below", fullModel.lp.numRows / 2, "rows of the lazy LP");
    }
  });

  it("should reach the logical basis's optimum from the greedy start, in fewer simplex iterations", () => {
    let fewer = 0;
    const cases = [
      { vehicles: 40, seed: 21, feederShare: 0.35 },
      { vehicles: 40, seed: 22, feederShare: 0.6, v2gShare: 1 },
      { vehicles: 30, seed: 23, feederShare: 0.3, renewableShare: 0.5 },
      { vehicles: 1, seed: 24 },
    ];
    for (const c of cases) {
      const p = dayScenario(c);
      const lazy = buildFleetModel(p, "cost", "lazy");
      const start = fleetStart(p, lazy);
      const basic = [...start.colStatus, ...start.rowStatus].filter((s) => s === BasisStatus.basic).length;
      expect(basic, `seed ${c.seed}: basic variables`).to.equal(lazy.lp.numRows);
      const cold = solveWithHighs(highs, lazy.lp, "primal", lazy.separate);
      const warm = solveWithHighs(highs, lazy.lp, "primal", lazy.separate, start);
      if (cold.status !== "optimal" || warm.status !== "optimal") throw new Error(`seed ${c.seed}: no optimum`);
      expectNear(warm.objective, cold.objective, 1e-6 * Math.max(1, Math.abs(cold.objective)), `seed ${c.seed}`);
      expect(checkSchedule(p, decodePlans(p, lazy, warm.x)), `seed ${c.seed}`).to.deep.equal([]);
      if (warm.iterations < cold.iterations) fewer++;
      // The scheduler starts there: the same optimum.
      const scheduled = scheduleFleet(highs, p);
      if (scheduled.status !== "scheduled") throw new Error(`seed ${c.seed}: not scheduled`);
      expectNear(scheduled.cost, planCost(p, decodePlans(p, lazy, cold.x)), 1e-6 * Math.max(1, Math.abs(cold.objective)), `seed ${c.seed}`);
    }
    expect(fewer, "cases where the start saved iterations").to.be.at.least(cases.length - 1);
  });

  it("should cut off a battery taken below its floor inside a tariff period, which the relaxation alone allows", () => {
    // One flat tariff (no checkpoint), renewable-only charging possible from slot 2, and a TSO
    // command to export 5 kW in slot 1: only a battery below its floor could deliver it.
    const flat = { importPrice: [0.2, 0.2, 0.2, 0.2], exportPrice: [0.1, 0.1, 0.1, 0.1], peak: [false, false, false, false] };
    const v = vehicle({ departureSlot: 4, initialKwh: 5, minKwh: 5, targetKwh: 5, maxDischargeKw: 10, renewableShare: 1 });
    const ancillary = { fromSlot: 1, toSlot: 2, deltaKw: -5, baselineKw: [0, 0, 0, 0] };
    const p = problem(4, [v], { ...flat, renewableKw: [0, 0, 100, 100], ancillary });
    const lazy = buildFleetModel(p, "cost", "lazy");
    const relaxed = solveWithHighs(highs, lazy.lp, "primal");
    if (relaxed.status !== "optimal") throw new Error("the relaxation should look feasible");
    expect(checkSchedule(p, decodePlans(p, lazy, relaxed.x)).map((f) => f.rule)).to.include("discharge floor");
    const cuts = lazy.separate(relaxed.x);
    expect(cuts).to.have.length(1);
    expect(cuts[0]!.lower).to.equal(0); // initial + flows up to slot 1 ≥ floor
    expect(solveWithHighs(highs, lazy.lp, "primal", lazy.separate).status).to.equal("infeasible");
    expect(solveWithHighs(highs, buildFleetModel(p, "cost", "rows").lp, "primal").status).to.equal("infeasible");
    const outcome = scheduleFleet(highs, p);
    expect(outcome.status).to.equal("infeasible");
    if (outcome.status === "infeasible") expect(outcome.reason).to.equal("ancillary");
  });

  it("should refuse a column that names one row twice when building an LP", () => {
    const b = new LpBuilder();
    const r0 = b.addRow(0, 1);
    const r1 = b.addRow(0, 1);
    b.addCol(1, 0, 1, [[r0, 1], [r1, 2]]);
    expect(() => b.addCol(1, 0, 1, [[r1, 1], [r0, 0.5], [r1, 2]])).to.throw(Error, `row ${r1} appears twice in one column`);
    // A zero coefficient is no entry: it may repeat a row.
    b.addCol(1, 0, 1, [[r0, 1], [r0, 0]]);
    const lp = b.build();
    expect(lp.numCols).to.equal(2);
    expect(Array.from(lp.indices)).to.deep.equal([r0, r1, r0]);
  });

  it("should report cutting that does not end as a solver failure", () => {
    const p = problem(2, [vehicle({ maxDischargeKw: 5, minKwh: 2 })]);
    const lazy = buildFleetModel(p, "cost", "lazy");
    // A separation that never stops (the same redundant row every round).
    const endless = () => [{ lower: -Infinity, upper: 1e6, indices: [lazy.columns[0]!.charge[0]!], values: [1] }];
    expect(() => solveWithHighs(highs, lazy.lp, "choose", endless)).to.throw(ChargingError, "did not converge");
  });
});
