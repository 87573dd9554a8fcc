/**
 * Ancillary services: a TSO command (change the aggregate demand by Δ kW over [t1, t2))
 * re-optimises the fleet from its current state. Slots before `nowSlot` have happened and stay
 * as they were; every vehicle still has to reach its target (or the command is refused with the
 * shortfall); in every slot of the window the aggregate changes by exactly Δ against the schedule
 * in force, and no vehicle moves against the command, so the change each pseudonym delivered is
 * its own and the pseudonyms' energy adds up to what the TSO asked for.
 */
import type { Highs } from "highs";
import { ChargingError } from "./errors.js";
import { slotHours, type FleetProblem, type VehicleRequest } from "./fleet.js";
import type { VehiclePlan } from "./fleetModel.js";
import type { LpAlgorithm } from "./highs.js";
import { aggregateKw } from "./scheduleCheck.js";
import { scheduleFleet, type ScheduleOutcome } from "./scheduler.js";

export interface AncillaryEvent {
  /** First slot not yet executed (the command's window starts here or later). */
  nowSlot: number;
  fromSlot: number;
  toSlot: number;
  deltaKw: number;
  /** What the TSO pays the aggregator per kWh delivered, passed on to the vehicles. */
  incentivePerKwh: number;
}

export type AncillaryOutcome =
  | {
      status: "scheduled";
      /** The whole horizon: executed slots as they were, re-optimised slots after. */
      plans: VehiclePlan[];
      /** The problem with the command attached (check the plans against it). */
      problem: FleetProblem;
      /** The mean change of the aggregate demand over the window against the schedule in force, kW (signed like `deltaKw`: equal to it). */
      changeKw: number;
      /** kWh each pseudonym moved in the command's direction over the window (> 0; they add up to |Δ| × the window's hours). */
      deliveredKwh: Record<string, number>;
      incentive: Record<string, number>;
      cost: number;
    }
  | Extract<ScheduleOutcome, { status: "infeasible" }>;

export function reoptimiseForAncillary(
  highs: Highs,
  problem: FleetProblem,
  current: readonly VehiclePlan[],
  event: AncillaryEvent,
  algorithm: LpAlgorithm = "choose",
): AncillaryOutcome {
  const { nowSlot, fromSlot, toSlot } = event;
  if (!Number.isInteger(nowSlot) || nowSlot < 0 || nowSlot > fromSlot) {
    throw new ChargingError("BAD_INPUT", "an ancillary window cannot start before the current slot", { nowSlot, fromSlot });
  }
  if (!Number.isFinite(event.incentivePerKwh) || event.incentivePerKwh < 0) {
    throw new ChargingError("BAD_INPUT", "incentivePerKwh must be finite and ≥ 0", { incentivePerKwh: event.incentivePerKwh });
  }
  if (current.length !== problem.vehicles.length) {
    throw new ChargingError("BAD_INPUT", "one current plan per vehicle", { plans: current.length, vehicles: problem.vehicles.length });
  }
  const net = (plan: VehiclePlan): number[] => plan.chargeKw.map((c, t) => c - plan.dischargeKw[t]!);
  const vehicleBaselineKw = Object.fromEntries(current.map((plan) => [plan.id, net(plan)]));
  const ancillary = { fromSlot, toSlot, deltaKw: event.deltaKw, baselineKw: aggregateKw(problem.slots, current), vehicleBaselineKw };
  const withCommand: FleetProblem = { ...problem, ancillary };
  // Vehicles still plugged in from nowSlot on, starting from the energy they have now.
  const live: { index: number; request: VehicleRequest }[] = [];
  problem.vehicles.forEach((v, index) => {
    if (v.departureSlot <= nowSlot) return;
    const arrived = v.arrivalSlot < nowSlot;
    const now = arrived ? current[index]!.socKwh[nowSlot - 1]! : v.initialKwh;
    const initialKwh = Math.min(v.capacityKwh, Math.max(0, now));
    live.push({ index, request: { ...v, arrivalSlot: Math.max(v.arrivalSlot, nowSlot), initialKwh, minKwh: Math.min(v.minKwh, initialKwh) } });
  });
  // Slots before nowSlot are fixed: the aggregate of the departed and executed parts is the past.
  const future: FleetProblem = {
    ...withCommand,
    vehicles: live.map((l) => l.request),
    ancillary: {
      ...ancillary,
      baselineKw: ancillary.baselineKw.map((b, t) => b - pastNet(current, live, nowSlot, t)),
      vehicleBaselineKw: Object.fromEntries(live.map((l) => [l.request.id, vehicleBaselineKw[current[l.index]!.id]!])),
    },
    feederImportKw: problem.feederImportKw.map((lim, t) => Math.max(0, lim - pastNet(current, live, nowSlot, t))),
    feederExportKw: problem.feederExportKw.map((lim, t) => Math.max(0, lim + pastNet(current, live, nowSlot, t))),
  };
  const outcome = scheduleFleet(highs, future, algorithm);
  if (outcome.status !== "scheduled") return outcome;
  const plans = current.map((plan) => ({ ...plan }));
  live.forEach((l, k) => {
    const fresh = outcome.plans[k]!;
    const old = current[l.index]!;
    const merge = (a: number[], b: number[]): number[] => a.map((value, t) => (t < nowSlot ? value : b[t]!));
    plans[l.index] = {
      id: old.id,
      chargeKw: merge(old.chargeKw, fresh.chargeKw),
      dischargeKw: merge(old.dischargeKw, fresh.dischargeKw),
      renewableKw: merge(old.renewableKw, fresh.renewableKw),
      socKwh: merge(old.socKwh, fresh.socKwh),
    };
  });
  // Each vehicle's change in the command's direction (never against it: the LP's rows), kWh.
  const h = slotHours(problem);
  const direction = Math.sign(event.deltaKw);
  const deliveredKwh: Record<string, number> = {};
  const incentive: Record<string, number> = {};
  plans.forEach((plan, i) => {
    const old = current[i]!;
    let moved = 0;
    for (let t = fromSlot; t < toSlot; t++) moved += direction * h * (plan.chargeKw[t]! - plan.dischargeKw[t]! - (old.chargeKw[t]! - old.dischargeKw[t]!));
    if (moved > 1e-9) {
      deliveredKwh[plan.id] = moved;
      incentive[plan.id] = moved * event.incentivePerKwh;
    }
  });
  const after = aggregateKw(problem.slots, plans);
  let change = 0;
  for (let t = fromSlot; t < toSlot; t++) change += after[t]! - ancillary.baselineKw[t]!;
  return { status: "scheduled", plans, problem: withCommand, changeKw: change / (toSlot - fromSlot), deliveredKwh, incentive, cost: outcome.cost };
}

/** Net power in slot t of what cannot change any more: departed vehicles, and everything before nowSlot. */
function pastNet(current: readonly VehiclePlan[], live: readonly { index: number }[], nowSlot: number, t: number): number {
  const liveSet = new Set(live.map((l) => l.index));
  let net = 0;
  current.forEach((plan, i) => {
    if (t < nowSlot || !liveSet.has(i)) net += plan.chargeKw[t]! - plan.dischargeKw[t]!;
  });
  return net;
}
