import { expect } from "chai";
import type { Highs } from "highs";
import { reoptimiseForAncillary } from "../../src/charging/ancillary.js";
import { hostBill } from "../../src/charging/billing.js";
import type { FleetProblem, VehicleRequest } from "../../src/charging/fleet.js";
import { loadHighs } from "../../src/charging/highs.js";
import { aggregateKw, checkSchedule, planCost } from "../../src/charging/scheduleCheck.js";
import { scheduleFleet, uncontrolledPlans } from "../../src/charging/scheduler.js";
import { expectBound } from "./helpers/near.js";

const ev = (id: string, over: Partial<VehicleRequest>): VehicleRequest => ({
  id,
  arrivalSlot: 0,
  departureSlot: 4,
  capacityKwh: 60,
  initialKwh: 20,
  targetKwh: 40,
  minKwh: 20,
  maxChargeKw: 11,
  maxDischargeKw: 0,
  chargeEfficiency: 0.92,
  dischargeEfficiency: 0.92,
  renewableShare: 0,
  offPeakOnly: false,
  ...over,
});

const hours = (n: number, slotsPerHour: number) => n * slotsPerHour;
const series = <T,>(slots: number, f: (t: number) => T): T[] => Array.from({ length: slots }, (_, t) => f(t));

describe("charging: the use cases (home, work, public top-up)", function () {
  this.timeout(60_000);
  let highs: Highs;
  before(async () => {
    highs = await loadHighs();
  });

  it("home: charges overnight off-peak, sells at the evening peak, and reaches the morning target", () => {
    // 18:00 → 08:00 in hourly slots; peak 18:00–21:00, off-peak 22:00–06:00.
    const slots = 14;
    const hourOf = (t: number) => (18 + t) % 24;
    const peak = series(slots, (t) => hourOf(t) < 21 && hourOf(t) >= 18);
    const price = series(slots, (t) => (peak[t] ? 0.4 : hourOf(t) >= 22 || hourOf(t) < 6 ? 0.1 : 0.25));
    const p: FleetProblem = {
      slotSeconds: 3600, slots, importPrice: price, exportPrice: price.map((x) => 0.8 * x), peak,
      renewableKw: series(slots, () => 0), feederImportKw: series(slots, () => 11), feederExportKw: series(slots, () => 11), degradationPerKwh: 0.03,
      vehicles: [ev("home", { departureSlot: slots, maxDischargeKw: 7, initialKwh: 36, minKwh: 15, targetKwh: 48 })],
    };
    const out = scheduleFleet(highs, p);
    if (out.status !== "scheduled") throw new Error("expected a schedule");
    expect(checkSchedule(p, out.plans)).to.deep.equal([]);
    const plan = out.plans[0]!;
    expectBound(plan.dischargeKw.slice(0, 3).reduce((s, d) => s + d, 0), "above", 0, "peak export");
    expect(plan.chargeKw.filter((_, t) => peak[t]).every((c) => c === 0)).to.equal(true);
    expectBound(out.cost, "below", planCost(p, uncontrolledPlans(p)), "cost vs uncontrolled");
  });

  it("work: a car park aggregated for ancillary services, charged free to employees from the company's bulk energy", () => {
    // 08:00 → 17:00 in 15-minute slots; the company buys in bulk at a flat price.
    const slots = hours(9, 4);
    const p: FleetProblem = {
      slotSeconds: 900, slots, importPrice: series(slots, () => 0.12), exportPrice: series(slots, () => 0.1), peak: series(slots, () => false),
      renewableKw: series(slots, (t) => 30 * Math.sin((Math.PI * t) / slots)), feederImportKw: series(slots, () => 40), feederExportKw: series(slots, () => 20), degradationPerKwh: 0.02,
      vehicles: Array.from({ length: 8 }, (_, i) => ev(`car${i}`, { departureSlot: slots, maxDischargeKw: 7, minKwh: 15, renewableShare: i < 2 ? 0.5 : 0 })),
    };
    const first = scheduleFleet(highs, p);
    if (first.status !== "scheduled") throw new Error("expected a schedule");
    expect(checkSchedule(p, first.plans)).to.deep.equal([]);
    // The TSO asks the car park for 15 kW less demand from 12:00 to 13:00.
    const base = aggregateKw(slots, first.plans);
    const out = reoptimiseForAncillary(highs, p, first.plans, { nowSlot: 8, fromSlot: 16, toSlot: 20, deltaKw: -15, incentivePerKwh: 0.3 });
    if (out.status !== "scheduled") throw new Error("expected a schedule under the command");
    expect(checkSchedule(out.problem, out.plans)).to.deep.equal([]);
    const net = aggregateKw(slots, out.plans);
    for (let t = 16; t < 20; t++) expectBound(net[t], "atMost", base[t]! - 15 + 1e-6, `slot ${t}`);
    expectBound(Object.keys(out.deliveredKwh).length, "above", 0, "pseudonyms delivering");
    // Free charging for the plugged-in cars: the employee's bill for the car park's energy is zero.
    const delivered = out.plans.reduce((s, plan) => s + plan.chargeKw.reduce((a, c) => a + c * 0.25, 0), 0);
    expect(hostBill({ meterStartMilliWh: 0n, meterEndMilliWh: BigInt(Math.round(delivered * 1e6)), roamingMilliWh: [], priceMicroPerKwh: 0n }).amount).to.equal(0n);
  });

  it("public top-up: fast charging to the target in half an hour, no ancillary services offered", () => {
    const slots = 6; // 5-minute slots
    const p: FleetProblem = {
      slotSeconds: 300, slots, importPrice: series(slots, () => 0.59), exportPrice: series(slots, () => 0), peak: series(slots, () => true),
      renewableKw: series(slots, () => 0), feederImportKw: series(slots, () => 300), feederExportKw: series(slots, () => 0), degradationPerKwh: 0,
      vehicles: [ev("visitor", { departureSlot: slots, maxChargeKw: 150, initialKwh: 12, minKwh: 12, targetKwh: 48, capacityKwh: 60 })],
    };
    const out = scheduleFleet(highs, p);
    if (out.status !== "scheduled") throw new Error("expected a schedule");
    expect(checkSchedule(p, out.plans)).to.deep.equal([]);
    expect(out.plans[0]!.dischargeKw.every((d) => d === 0)).to.equal(true);
    // A TSO cut the visitor cannot deliver without missing the target is answered, not ignored.
    const cut = reoptimiseForAncillary(highs, p, out.plans, { nowSlot: 0, fromSlot: 0, toSlot: 6, deltaKw: -1000, incentivePerKwh: 1 });
    expect(cut.status).to.equal("infeasible");
  });
});
