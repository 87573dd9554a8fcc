/**
 * The fleet's linear program: one LP over every vehicle and slot at once.
 *
 * Per vehicle v and plugged-in slot t (h = slot length in hours):
 *   c[v,t] charge kW, d[v,t] discharge kW (V2G only), s[v,t] energy in the battery at the end
 *   of slot t.
 *   s[v,t] = s[v,t-1] + ηc·h·c[v,t] − h/ηd·d[v,t]            (state of charge, s[v,a-1] = initial)
 *   minKwh ≤ s[v,t] ≤ capacity, s[v,dep-1] ≥ target         (capacity, departure target)
 *   (a vehicle without V2G only gains energy: one row target ≤ initial + Σt ηc·h·c ≤ capacity)
 *   c[v,t] + d[v,t] ≤ charger limit                         (only in slots where exporting pays at
 *                                                           least what importing costs: elsewhere
 *                                                           a simultaneous flow is never optimal)
 * Per slot t:
 *   −feederExport[t] ≤ Σv (c − d) ≤ feederImport[t]           (DNO limit, both directions)
 *   Σv share[v]·c[v,t] ≤ renewable forecast[t]               (renewable share, slot by slot: the
 *                                                           renewable part of v's charge is share·c)
 *   ancillary [t1,t2): Σv (c − d) ≤ baseline + Δ (Δ < 0) or ≥ baseline + Δ (Δ > 0)
 * Objective: Σ h·(price[t]·c − exportPrice[t]·d + degradation·d): least cost net of V2G revenue.
 *
 * In shortfall mode the targets become soft (a slack u[v] ≥ 0 per vehicle, s[v,dep-1] + u[v] ≥
 * target) and the objective is Σ u[v]: the least total energy by which the targets are missed.
 *
 * "lazy" state of charge (what the scheduler solves): a V2G vehicle gets no s columns and no
 * dynamics rows, only the energy row of a charging-only vehicle over its whole stay,
 * max(minKwh, target) ≤ initial + Σt (ηc·h·c − h/ηd·d) ≤ capacity. That LP is a relaxation of the
 * full one; `separate` finds the slots where a solution's state of charge leaves
 * [minKwh, capacity] and returns the prefix rows minKwh ≤ initial + Στ≤t (…) ≤ capacity that cut
 * it off. Solving, adding those rows and solving again (from the previous basis) until nothing
 * is violated ends at an optimum of the full LP: it is feasible for it, and optimal for a
 * relaxation of it. Few prefix rows ever bind (a V2G vehicle empties to its floor once or twice a
 * day), so the LP is a fraction of the full one's size. "rows" builds the full LP, the reference
 * the tests hand to independent solvers.
 */
import { slotHours, type FleetProblem } from "./fleet.js";
import { LpBuilder, type LinearProgram } from "./lp.js";

/** Column indices of one vehicle (−1 where the variable does not exist). */
export interface VehicleColumns {
  charge: Int32Array;
  discharge: Int32Array;
  soc: Int32Array;
  shortfall: number;
}

/** A row to add to the LP: bounds and (column, coefficient) entries. */
export interface CutRow {
  lower: number;
  upper: number;
  indices: number[];
  values: number[];
}

export interface FleetModel {
  lp: LinearProgram;
  columns: VehicleColumns[];
  /**
   * The prefix rows a solution `x` of the LP (with the rows added so far) violates, one per
   * vehicle and maximal run of slots out of [minKwh, capacity] (at its worst slot); empty when
   * `x` keeps every state of charge within bounds (always empty for "rows").
   */
  separate(x: ArrayLike<number>): CutRow[];
}

export type SocFormulation = "rows" | "lazy";

/** Slack allowed on a state-of-charge bound before a cut is added, kWh (the solver's tolerance is far below). */
const SOC_TOLERANCE_KWH = 1e-7;

export interface VehiclePlan {
  id: string;
  /** Per slot of the horizon (0 outside the plug-in window). */
  chargeKw: number[];
  dischargeKw: number[];
  renewableKw: number[];
  /** Energy in the battery at the end of each slot (initial energy before arrival, last value after). */
  socKwh: number[];
}

export function buildFleetModel(p: FleetProblem, mode: "cost" | "shortfall" = "cost", soc: SocFormulation = "rows"): FleetModel {
  const h = slotHours(p);
  const b = new LpBuilder();
  const costOf = (v: number): number => (mode === "cost" ? v : 0);
  const feeder: number[] = [];
  for (let t = 0; t < p.slots; t++) feeder.push(b.addRow(-p.feederExportKw[t]!, p.feederImportKw[t]!));
  const a = p.ancillary;
  if (a !== undefined) {
    for (let t = a.fromSlot; t < a.toSlot; t++) {
      const level = a.baselineKw[t]! + a.deltaKw;
      if (a.deltaKw < 0) b.tightenRow(feeder[t]!, -Infinity, level);
      else b.tightenRow(feeder[t]!, level, Infinity);
    }
  }
  const wantsRenewable = p.vehicles.some((v) => v.renewableShare > 0);
  const renewable: number[] = [];
  if (wantsRenewable) for (let t = 0; t < p.slots; t++) renewable.push(b.addRow(-Infinity, p.renewableKw[t]!));

  const columns = p.vehicles.map((v): VehicleColumns => {
    const cols: VehicleColumns = {
      charge: new Int32Array(p.slots).fill(-1),
      discharge: new Int32Array(p.slots).fill(-1),
      soc: new Int32Array(p.slots).fill(-1),
      shortfall: -1,
    };
    const v2g = v.maxDischargeKw > 0;
    // With explicit state of charge (full LP, V2G vehicles only) or with one energy row.
    const socRows = v2g && soc === "rows";
    // c + d ≤ limit only binds where exporting could pay more than importing costs; elsewhere a
    // simultaneous charge and discharge costs h·(price + degradation − exportPrice) > 0 per kW.
    const bothWays = (t: number): boolean => v2g && p.exportPrice[t]! >= p.importPrice[t]! + p.degradationPerKwh;
    const dyn: number[] = [];
    const charger: number[] = [];
    // One row for the energy over the whole stay (Σ ηc·h·c − h/ηd·d ∈ [floor, capacity] −
    // initial) replaces the per-slot state of charge: exactly so without discharge (the energy
    // only grows), as the lazy relaxation with it.
    const floor = v2g ? Math.max(v.minKwh, v.targetKwh) : v.targetKwh;
    const energyRow = socRows ? -1 : b.addRow(mode === "cost" ? floor - v.initialKwh : -Infinity, v.capacityKwh - v.initialKwh);
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
      const rhs = t === v.arrivalSlot ? v.initialKwh : 0;
      if (socRows) dyn[t] = b.addRow(rhs, rhs);
      if (bothWays(t)) charger[t] = b.addRow(-Infinity, Math.max(v.maxChargeKw, v.maxDischargeKw));
    }
    const last = v.departureSlot - 1;
    const targetRow = mode === "shortfall" ? b.addRow(socRows ? v.targetKwh : v.targetKwh - v.initialKwh, Infinity) : -1;
    const chargeGain = v.chargeEfficiency * h;
    const dischargeLoss = h / v.dischargeEfficiency;
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
      const chargeCap = v.offPeakOnly && p.peak[t] ? 0 : v.maxChargeKw;
      const c: [number, number][] = [[feeder[t]!, 1]];
      if (socRows) c.push([dyn[t]!, -chargeGain]);
      else {
        c.push([energyRow, chargeGain]);
        if (mode === "shortfall") c.push([targetRow, chargeGain]);
      }
      if (bothWays(t)) c.push([charger[t]!, 1]);
      if (v.renewableShare > 0) c.push([renewable[t]!, v.renewableShare]);
      cols.charge[t] = b.addCol(costOf(h * p.importPrice[t]!), 0, chargeCap, c);
      if (v2g) {
        const d: [number, number][] = [[feeder[t]!, -1]];
        if (socRows) d.push([dyn[t]!, dischargeLoss]);
        else {
          d.push([energyRow, -dischargeLoss]);
          if (mode === "shortfall") d.push([targetRow, -dischargeLoss]);
        }
        if (bothWays(t)) d.push([charger[t]!, 1]);
        cols.discharge[t] = b.addCol(costOf(h * (p.degradationPerKwh - p.exportPrice[t]!)), 0, v.maxDischargeKw, d);
        if (!socRows) continue;
        const s: [number, number][] = [[dyn[t]!, 1]];
        if (t < last) s.push([dyn[t + 1]!, -1]);
        if (t === last && mode === "shortfall") s.push([targetRow, 1]);
        const socFloor = t === last && mode === "cost" ? Math.max(v.minKwh, v.targetKwh) : v.minKwh;
        cols.soc[t] = b.addCol(0, socFloor, v.capacityKwh, s);
      }
    }
    if (mode === "shortfall") cols.shortfall = b.addCol(1, 0, v.targetKwh, [[targetRow, 1]]);
    return cols;
  });
  const separate = (x: ArrayLike<number>): CutRow[] =>
    soc === "lazy" ? p.vehicles.flatMap((v, i) => (v.maxDischargeKw > 0 ? socCuts(p, v, columns[i]!, x) : [])) : [];
  return { lp: b.build(), columns, separate };
}

/** The prefix rows cutting off the slots where `x` takes vehicle `v` out of [minKwh, capacity]. */
function socCuts(p: FleetProblem, v: FleetProblem["vehicles"][number], cols: VehicleColumns, x: ArrayLike<number>): CutRow[] {
  const h = slotHours(p);
  const cuts: CutRow[] = [];
  let soc = v.initialKwh;
  // The worst slot of the current run of violations: its excess (> 0) and which bound.
  let worst: { t: number; excess: number; low: boolean } | undefined;
  const close = (): void => {
    if (worst === undefined) return;
    const indices: number[] = [];
    const values: number[] = [];
    for (let t = v.arrivalSlot; t <= worst.t; t++) {
      indices.push(cols.charge[t]!, cols.discharge[t]!);
      values.push(v.chargeEfficiency * h, -h / v.dischargeEfficiency);
    }
    const low = worst.low ? v.minKwh - v.initialKwh : -Infinity;
    const high = worst.low ? Infinity : v.capacityKwh - v.initialKwh;
    cuts.push({ lower: low, upper: high, indices, values });
    worst = undefined;
  };
  for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
    soc += v.chargeEfficiency * h * x[cols.charge[t]!]! - (h / v.dischargeEfficiency) * x[cols.discharge[t]!]!;
    const below = v.minKwh - soc;
    const above = soc - v.capacityKwh;
    const excess = Math.max(below, above);
    if (excess <= SOC_TOLERANCE_KWH) {
      close();
      continue;
    }
    const low = below > above;
    if (worst !== undefined && worst.low !== low) close();
    if (worst === undefined || excess > worst.excess) worst = { t, excess, low };
  }
  close();
  return cuts;
}

/** Reads each vehicle's plan out of a solution vector (tiny solver noise is clamped to 0). */
export function decodePlans(p: FleetProblem, model: FleetModel, x: ArrayLike<number>): VehiclePlan[] {
  const at = (col: number): number => {
    if (col < 0) return 0;
    const value = x[col]!;
    return Math.abs(value) < 1e-9 ? 0 : value;
  };
  return p.vehicles.map((v, i) => {
    const cols = model.columns[i]!;
    const plan: VehiclePlan = { id: v.id, chargeKw: [], dischargeKw: [], renewableKw: [], socKwh: [] };
    let soc = v.initialKwh;
    for (let t = 0; t < p.slots; t++) {
      plan.chargeKw.push(at(cols.charge[t]!));
      plan.dischargeKw.push(at(cols.discharge[t]!));
      plan.renewableKw.push(v.renewableShare * plan.chargeKw[t]!);
      if (cols.soc[t]! >= 0) soc = x[cols.soc[t]!]!;
      else if (cols.charge[t]! >= 0) {
        soc += v.chargeEfficiency * (p.slotSeconds / 3600) * plan.chargeKw[t]! - (p.slotSeconds / 3600 / v.dischargeEfficiency) * plan.dischargeKw[t]!;
      }
      plan.socKwh.push(soc);
    }
    return plan;
  });
}

/** Per-vehicle shortfall (kWh) of a shortfall-mode solution. */
export function decodeShortfall(model: FleetModel, x: ArrayLike<number>): number[] {
  return model.columns.map((c) => Math.max(0, x[c.shortfall]!));
}
