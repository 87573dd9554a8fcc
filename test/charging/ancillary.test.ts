/**
 * What the TSO is owed by a re-optimised fleet, as a property over seeded fleets: the aggregate
 * demand changes by exactly the command in every slot of the window (not less, not more) against
 * the schedule in force, the slots already executed stay as they were, every vehicle still reaches
 * its target, no vehicle moves against the command, and what each pseudonym is credited is its own
 * change, adding up to what the fleet delivered.
 */
import { expect } from "chai";
import type { Highs } from "highs";
import { reoptimiseForAncillary } from "../../src/charging/ancillary.js";
import { ChargingError } from "../../src/charging/errors.js";
import type { FleetProblem } from "../../src/charging/fleet.js";
import { loadHighs } from "../../src/charging/highs.js";
import type { VehiclePlan } from "../../src/charging/fleetModel.js";
import { aggregateKw, checkSchedule } from "../../src/charging/scheduleCheck.js";
import { scheduleFleet } from "../../src/charging/scheduler.js";
import { dayScenario, rng } from "./helpers/fleetScenario.js";
import { expectBound, expectNear } from "./helpers/near.js";

const net = (plan: VehiclePlan, t: number): number => plan.chargeKw[t]! - plan.dischargeKw[t]!;

/** A command like the day's: half the fleet's lowest draw over a night hour where it charges, or more demand at the evening peak, within the feeder's room. */
function commandFor(p: FleetProblem, base: readonly number[], seed: number): { nowSlot: number; fromSlot: number; toSlot: number; deltaKw: number } {
  const rand = rng(1000 + seed);
  const cut = seed % 3 !== 0;
  // A cut at night, where the fleet charges off-peak; a raise at the evening peak, where it holds back or sells.
  const fromSlot = cut ? 40 + Math.floor(rand() * 24) : 22 + Math.floor(rand() * 8);
  const toSlot = fromSlot + 4;
  const window = base.slice(fromSlot, toSlot);
  const low = Math.min(...window);
  const room = Math.min(...p.feederImportKw.slice(fromSlot, toSlot).map((lim, k) => lim - window[k]!));
  const deltaKw = cut ? -Math.max(1, Math.round(low * 0.5)) : Math.max(1, Math.round(Math.min(room, 20) * 0.5));
  return { nowSlot: fromSlot - 4, fromSlot, toSlot, deltaKw };
}

describe("Ancillary services: what the TSO is owed", function () {
  let highs: Highs;
  before(async () => {
    highs = await loadHighs();
  });

  it("should change the aggregate demand by exactly the command over the window, credit each pseudonym its own change, and meet every target (seeds 1–12)", () => {
    let scheduled = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const p = dayScenario({ vehicles: 8 + (seed % 5), seed });
      const first = scheduleFleet(highs, p);
      if (first.status !== "scheduled") throw new Error(`seed ${seed}: expected a schedule`);
      const base = aggregateKw(p.slots, first.plans);
      const cmd = commandFor(p, base, seed);
      const out = reoptimiseForAncillary(highs, p, first.plans, { ...cmd, incentivePerKwh: 0.3 });
      if (out.status !== "scheduled") {
        // Refused: say why, never a silent partial delivery.
        expect(out.reason, `seed ${seed}`).to.be.oneOf(["ancillary", "targets"]);
        continue;
      }
      scheduled++;
      const label = `seed ${seed} (Δ ${cmd.deltaKw} kW over ${cmd.fromSlot}–${cmd.toSlot})`;
      expect(checkSchedule(out.problem, out.plans), label).to.deep.equal([]);
      const after = aggregateKw(p.slots, out.plans);
      for (let t = cmd.fromSlot; t < cmd.toSlot; t++) expectNear(after[t]! - base[t]!, cmd.deltaKw, 1e-6, `${label}: change of the aggregate in slot ${t}`);
      const h = p.slotSeconds / 3600;
      const direction = Math.sign(cmd.deltaKw);
      out.plans.forEach((plan, i) => {
        const old = first.plans[i]!;
        for (let t = 0; t < cmd.nowSlot; t++) expectNear(net(plan, t), net(old, t), 1e-9, `${label}: executed slot ${t} of ${plan.id}`);
        let own = 0;
        for (let t = cmd.fromSlot; t < cmd.toSlot; t++) {
          const moved = direction * (net(plan, t) - net(old, t));
          expectBound(moved, "atLeast", -1e-6, `${label}: ${plan.id} against the command in slot ${t}`);
          own += moved * h;
        }
        if (own > 1e-9) {
          expectNear(out.deliveredKwh[plan.id], own, 1e-6, `${label}: ${plan.id}'s credit`);
          expectNear(out.incentive[plan.id], 0.3 * own, 1e-6, `${label}: ${plan.id}'s incentive`);
        } else expect(out.deliveredKwh, `${label}: ${plan.id} delivered nothing`).to.not.have.property(plan.id);
      });
      const credited = Object.values(out.deliveredKwh).reduce((a, b) => a + b, 0);
      expectNear(credited, Math.abs(cmd.deltaKw) * h * (cmd.toSlot - cmd.fromSlot), 1e-6, `${label}: energy credited vs asked`);
      expectNear(out.changeKw, cmd.deltaKw, 1e-6, `${label}: the reported mean change`);
    }
    expectBound(scheduled, "atLeast", 10, "commands the fleets could meet");
  });

  it("should flag an overshoot, a shortfall and a vehicle moving against the command (the checker can fail)", () => {
    const p = dayScenario({ vehicles: 6, seed: 5 });
    const first = scheduleFleet(highs, p);
    if (first.status !== "scheduled") throw new Error("expected a schedule");
    const out = reoptimiseForAncillary(highs, p, first.plans, { nowSlot: 40, fromSlot: 44, toSlot: 48, deltaKw: -4, incentivePerKwh: 0.3 });
    if (out.status !== "scheduled") throw new Error("expected a schedule under the command");
    expect(checkSchedule(out.problem, out.plans)).to.deep.equal([]);
    // A vehicle that delivered in slot 44 (it draws at least 1 kW less than in its schedule before).
    const own = out.problem.ancillary!.vehicleBaselineKw!;
    const moving = out.plans.findIndex((plan) => own[plan.id]![44]! - net(plan, 44) >= 1);
    expectBound(moving, "atLeast", 0, "a vehicle delivering in slot 44");
    const rules = (kw: number) =>
      checkSchedule(out.problem, out.plans.map((plan, i) => (i === moving ? { ...plan, chargeKw: plan.chargeKw.map((c, t) => (t === 44 ? c + kw : c)) } : plan)))
        .filter((v) => v.slot === 44 && v.rule.startsWith("ancillary"))
        .map((v) => v.rule);
    const plan = out.plans[moving]!;
    // An overshoot (1 kW less demand than asked), a shortfall (half a kW more), a vehicle drawing 1 kW more than before the command.
    expect(rules(-1)).to.deep.equal(["ancillary command"]);
    expect(rules(0.5)).to.deep.equal(["ancillary command"]);
    expect(rules(own[plan.id]![44]! + 1 - net(plan, 44))).to.deep.equal(["ancillary command", "ancillary: against the command"]);
  });

  it("should refuse a per-vehicle baseline for a vehicle the problem does not have", () => {
    const p = dayScenario({ vehicles: 2, seed: 1 });
    const ancillary = { fromSlot: 44, toSlot: 48, deltaKw: -1, baselineKw: new Array<number>(p.slots).fill(5), vehicleBaselineKw: { nobody: new Array<number>(p.slots).fill(0) } };
    expect(() => scheduleFleet(highs, { ...p, ancillary })).to.throw(ChargingError, "names a vehicle not in the problem");
    const short = { ...ancillary, vehicleBaselineKw: { p0: [0] } };
    expect(() => scheduleFleet(highs, { ...p, ancillary: short })).to.throw(ChargingError, "one value per slot");
  });

  it("should refuse a command that leaves the feeder's limits as the ancillary infeasibility it is", () => {
    const p = dayScenario({ vehicles: 10, seed: 3 });
    const first = scheduleFleet(highs, p);
    if (first.status !== "scheduled") throw new Error("expected a schedule");
    const base = aggregateKw(p.slots, first.plans);
    const room = p.feederImportKw[48]! - base[48]!;
    const out = reoptimiseForAncillary(highs, p, first.plans, { nowSlot: 44, fromSlot: 48, toSlot: 52, deltaKw: room + 1, incentivePerKwh: 0.3 });
    expect(out.status).to.equal("infeasible");
    if (out.status === "infeasible") expect(out.reason).to.equal("ancillary");
  });
});
