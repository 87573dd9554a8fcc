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

export interface FleetModel {
  lp: LinearProgram;
  columns: VehicleColumns[];
}

export interface VehiclePlan {
  id: string;
  /** Per slot of the horizon (0 outside the plug-in window). */
  chargeKw: number[];
  dischargeKw: number[];
  renewableKw: number[];
  /** Energy in the battery at the end of each slot (initial energy before arrival, last value after). */
  socKwh: number[];
}

export function buildFleetModel(p: FleetProblem, mode: "cost" | "shortfall" = "cost"): FleetModel {
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
    // c + d ≤ limit only binds where exporting could pay more than importing costs; elsewhere a
    // simultaneous charge and discharge costs h·(price + degradation − exportPrice) > 0 per kW.
    const bothWays = (t: number): boolean => v2g && p.exportPrice[t]! >= p.importPrice[t]! + p.degradationPerKwh;
    const dyn: number[] = [];
    const charger: number[] = [];
    // Without discharge the energy only grows: one row Σ ηc·h·c ∈ [target, capacity] − initial
    // replaces the per-slot state of charge.
    const energyRow = v2g ? -1 : b.addRow(mode === "cost" ? v.targetKwh - v.initialKwh : -Infinity, v.capacityKwh - v.initialKwh);
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
      const rhs = t === v.arrivalSlot ? v.initialKwh : 0;
      if (v2g) dyn[t] = b.addRow(rhs, rhs);
      if (bothWays(t)) charger[t] = b.addRow(-Infinity, Math.max(v.maxChargeKw, v.maxDischargeKw));
    }
    const last = v.departureSlot - 1;
    const targetRow = mode === "shortfall" ? b.addRow(v2g ? v.targetKwh : v.targetKwh - v.initialKwh, Infinity) : -1;
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
      const chargeCap = v.offPeakOnly && p.peak[t] ? 0 : v.maxChargeKw;
      const c: [number, number][] = [[feeder[t]!, 1]];
      if (v2g) c.push([dyn[t]!, -v.chargeEfficiency * h]);
      else {
        c.push([energyRow, v.chargeEfficiency * h]);
        if (mode === "shortfall") c.push([targetRow, v.chargeEfficiency * h]);
      }
      if (bothWays(t)) c.push([charger[t]!, 1]);
      if (v.renewableShare > 0) c.push([renewable[t]!, v.renewableShare]);
      cols.charge[t] = b.addCol(costOf(h * p.importPrice[t]!), 0, chargeCap, c);
      if (v2g) {
        const d: [number, number][] = [[dyn[t]!, h / v.dischargeEfficiency], [feeder[t]!, -1]];
        if (bothWays(t)) d.push([charger[t]!, 1]);
        cols.discharge[t] = b.addCol(costOf(h * (p.degradationPerKwh - p.exportPrice[t]!)), 0, v.maxDischargeKw, d);
        const s: [number, number][] = [[dyn[t]!, 1]];
        if (t < last) s.push([dyn[t + 1]!, -1]);
        if (t === last && mode === "shortfall") s.push([targetRow, 1]);
        const floor = t === last && mode === "cost" ? Math.max(v.minKwh, v.targetKwh) : v.minKwh;
        cols.soc[t] = b.addCol(0, floor, v.capacityKwh, s);
      }
    }
    if (mode === "shortfall") cols.shortfall = b.addCol(1, 0, v.targetKwh, [[targetRow, 1]]);
    return cols;
  });
  return { lp: b.build(), columns };
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
      else if (cols.charge[t]! >= 0) soc += v.chargeEfficiency * (p.slotSeconds / 3600) * plan.chargeKw[t]!;
      plan.socKwh.push(soc);
    }
    return plan;
  });
}

/** Per-vehicle shortfall (kWh) of a shortfall-mode solution. */
export function decodeShortfall(model: FleetModel, x: ArrayLike<number>): number[] {
  return model.columns.map((c) => Math.max(0, x[c.shortfall]!));
}
