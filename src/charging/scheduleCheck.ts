/**
 * Checks a fleet schedule against the physical problem, independently of the LP that produced
 * it: power limits, state-of-charge dynamics recomputed from the powers, capacity, targets,
 * feeder limits, renewable shares and the ancillary command. Returns every violation found.
 */
import { slotHours, type FleetProblem } from "./fleet.js";
import type { VehiclePlan } from "./fleetModel.js";

export interface Violation {
  rule: string;
  vehicle?: string;
  slot?: number;
  excess: number;
}

/** Cost of the plans: Σ h·(price·charge − exportPrice·discharge + degradation·discharge). */
export function planCost(p: FleetProblem, plans: readonly VehiclePlan[]): number {
  const h = slotHours(p);
  let cost = 0;
  for (const plan of plans) {
    for (let t = 0; t < p.slots; t++) {
      cost += h * (p.importPrice[t]! * plan.chargeKw[t]! + (p.degradationPerKwh - p.exportPrice[t]!) * plan.dischargeKw[t]!);
    }
  }
  return cost;
}

/** Aggregate net power (charge − discharge) per slot. */
export function aggregateKw(slots: number, plans: readonly VehiclePlan[]): number[] {
  const out = new Array<number>(slots).fill(0);
  for (const plan of plans) for (let t = 0; t < slots; t++) out[t]! += plan.chargeKw[t]! - plan.dischargeKw[t]!;
  return out;
}

export function checkSchedule(p: FleetProblem, plans: readonly VehiclePlan[], tol = 1e-6): Violation[] {
  const h = slotHours(p);
  const out: Violation[] = [];
  const flag = (rule: string, excess: number, vehicle?: string, slot?: number): void => {
    if (excess > tol) out.push({ rule, excess, ...(vehicle === undefined ? {} : { vehicle }), ...(slot === undefined ? {} : { slot }) });
  };
  if (plans.length !== p.vehicles.length) flag("one plan per vehicle", Math.abs(plans.length - p.vehicles.length));
  p.vehicles.forEach((v, i) => {
    const plan = plans[i];
    if (plan === undefined || plan.id !== v.id) return flag("plan order", 1, v.id);
    let soc = v.initialKwh;
    for (let t = 0; t < p.slots; t++) {
      const c = plan.chargeKw[t]!;
      const d = plan.dischargeKw[t]!;
      const r = plan.renewableKw[t]!;
      const plugged = t >= v.arrivalSlot && t < v.departureSlot;
      flag("no negative power", Math.max(-c, -d, -r), v.id, t);
      if (!plugged) {
        flag("no power while unplugged", Math.max(c, d, r), v.id, t);
        continue;
      }
      flag("charge power limit", c - (v.offPeakOnly && p.peak[t] ? 0 : v.maxChargeKw), v.id, t);
      flag("discharge power limit (V2G only where offered)", d - v.maxDischargeKw, v.id, t);
      if (v.maxDischargeKw > 0) flag("charger limit", c + d - Math.max(v.maxChargeKw, v.maxDischargeKw), v.id, t);
      flag("renewable part of the charge", r - c, v.id, t);
      soc += v.chargeEfficiency * h * c - (h / v.dischargeEfficiency) * d;
      flag("state of charge matches the powers", Math.abs(soc - plan.socKwh[t]!), v.id, t);
      flag("capacity", soc - v.capacityKwh, v.id, t);
      flag("discharge floor", v.minKwh - soc, v.id, t);
    }
    flag("departure target", v.targetKwh - soc, v.id);
    if (v.renewableShare > 0) {
      const charged = plan.chargeKw.reduce((s, c) => s + c, 0);
      const green = plan.renewableKw.reduce((s, r) => s + r, 0);
      flag("renewable share", v.renewableShare * charged - green, v.id);
    }
  });
  const net = aggregateKw(p.slots, plans);
  for (let t = 0; t < p.slots; t++) {
    flag("feeder import limit", net[t]! - p.feederImportKw[t]!, undefined, t);
    flag("feeder export limit", -p.feederExportKw[t]! - net[t]!, undefined, t);
    const green = plans.reduce((s, plan) => s + plan.renewableKw[t]!, 0);
    flag("renewable forecast", green - p.renewableKw[t]!, undefined, t);
  }
  const a = p.ancillary;
  if (a !== undefined) {
    const direction = Math.sign(a.deltaKw);
    for (let t = a.fromSlot; t < a.toSlot; t++) {
      flag("ancillary command", Math.abs(net[t]! - (a.baselineKw[t]! + a.deltaKw)), undefined, t);
      p.vehicles.forEach((v, i) => {
        const own = a.vehicleBaselineKw?.[v.id];
        const plan = plans[i];
        if (own !== undefined && plan !== undefined) flag("ancillary: against the command", direction * (own[t]! - (plan.chargeKw[t]! - plan.dischargeKw[t]!)), v.id, t);
      });
    }
  }
  return out;
}
