/**
 * The aggregator's scheduler: one LP over all its vehicles (HiGHS). A problem whose targets
 * cannot all be met gets an explicit infeasible answer with the least shortfall per vehicle,
 * never a partial schedule. Synchronous: inside a service use `ScheduleService` (a worker).
 */
import type { Highs } from "highs";
import { validateProblem, type FleetProblem } from "./fleet.js";
import { buildFleetModel, decodePlans, decodeShortfall, type VehiclePlan } from "./fleetModel.js";
import { fleetStart } from "./fleetStart.js";
import { solveWithHighs, type LpAlgorithm } from "./highs.js";
import { planCost } from "./scheduleCheck.js";

export type ScheduleOutcome =
  | { status: "scheduled"; plans: VehiclePlan[]; cost: number; solveMs: number }
  | {
      status: "infeasible";
      /** "targets": some departure targets cannot be met; "ancillary": the command itself cannot be met. */
      reason: "targets" | "ancillary";
      /** kWh by which each vehicle's target is missed at best (empty for "ancillary"). */
      shortfallKwh: Record<string, number>;
      totalShortfallKwh: number;
    };

export function scheduleFleet(highs: Highs, problem: FleetProblem, algorithm: LpAlgorithm = "primal"): ScheduleOutcome {
  validateProblem(problem);
  const model = buildFleetModel(problem, "cost", "lazy");
  // The primal simplex starts from the greedy basis; the other algorithms would not use it.
  const start = algorithm === "primal" ? fleetStart(problem, model) : undefined;
  const outcome = solveWithHighs(highs, model.lp, algorithm, model.separate, start);
  if (outcome.status === "optimal") {
    const plans = decodePlans(problem, model, outcome.x);
    return { status: "scheduled", plans, cost: planCost(problem, plans), solveMs: outcome.solveMs };
  }
  const relaxed = buildFleetModel(problem, "shortfall", "lazy");
  const phase1 = solveWithHighs(highs, relaxed.lp, algorithm, relaxed.separate);
  if (phase1.status !== "optimal") {
    return { status: "infeasible", reason: "ancillary", shortfallKwh: {}, totalShortfallKwh: 0 };
  }
  const shortfall = decodeShortfall(relaxed, phase1.x);
  const shortfallKwh: Record<string, number> = {};
  problem.vehicles.forEach((v, i) => {
    if (shortfall[i]! > 1e-9) shortfallKwh[v.id] = shortfall[i]!;
  });
  return { status: "infeasible", reason: "targets", shortfallKwh, totalShortfallKwh: phase1.objective };
}

/**
 * Uncontrolled charging: every vehicle at full power from arrival until its target is reached
 * (no V2G, no feeder limit, no tariff): the baseline the optimised schedule is compared with.
 */
export function uncontrolledPlans(problem: FleetProblem): VehiclePlan[] {
  validateProblem(problem);
  const h = problem.slotSeconds / 3600;
  return problem.vehicles.map((v) => {
    const plan: VehiclePlan = { id: v.id, chargeKw: [], dischargeKw: [], renewableKw: [], socKwh: [] };
    let soc = v.initialKwh;
    for (let t = 0; t < problem.slots; t++) {
      let c = 0;
      if (t >= v.arrivalSlot && t < v.departureSlot && soc < v.targetKwh) {
        c = Math.min(v.maxChargeKw, (v.targetKwh - soc) / (v.chargeEfficiency * h));
        soc += v.chargeEfficiency * h * c;
      }
      plan.chargeKw.push(c);
      plan.dischargeKw.push(0);
      plan.renewableKw.push(0);
      plan.socKwh.push(soc);
    }
    return plan;
  });
}
