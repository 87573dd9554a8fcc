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
 *   ancillary [t1,t2): Σv (c − d) = baseline + Δ                (exactly the change asked)
 *   and per vehicle v with a baseline b[v]: c − d ≤ b[v,t] (Δ < 0) or ≥ b[v,t] (Δ > 0) (no
 *   vehicle moves against the command, so each one's change is its own delivery)
 * Objective: Σ h·(price[t]·c − exportPrice[t]·d + degradation·d): least cost net of V2G revenue.
 *
 * In shortfall mode the targets become soft (a slack u[v] ≥ 0 per vehicle, s[v,dep-1] + u[v] ≥
 * target) and the objective is Σ u[v]: the least total energy by which the targets are missed.
 *
 * The state of charge is written per segment: a column e[v,k] (the energy at the end of a
 * checkpoint slot, within [minKwh, capacity]) and one row per run of slots between checkpoints,
 * e[v,k−1] + Σ segment (ηc·h·c − h/ηd·d) − e[v,k] = 0 (e[v,−1] = initial), the last one ranged:
 * the energy at departure within [max(minKwh, target), capacity]. "rows" (the full LP, the
 * reference the tests hand to independent solvers) checkpoints every slot of a V2G vehicle.
 * "lazy" (what the scheduler solves) checkpoints only the slots after which the tariff changes,
 * where a cost-driven battery turns from charging to discharging; a vehicle without V2G has no
 * checkpoint (its energy only grows). The lazy LP is a relaxation of the full one between its
 * checkpoints; `separate` finds the slots where a solution's state of charge leaves
 * [minKwh, capacity] there and returns the rows e[v,k−1] + Σ segment up to t (…) within bounds
 * that cut it off. Solving, adding those rows and solving again from the previous basis until
 * nothing is violated ends at an optimum of the full LP (feasible for it, optimal for a
 * relaxation of it), or proves it infeasible.
 */
import { slotHours, type FleetProblem } from "./fleet.js";
import { LpBuilder, type LinearProgram } from "./lp.js";

/** Column indices of one vehicle (−1 where the variable does not exist). */
export interface VehicleColumns {
  charge: Int32Array;
  discharge: Int32Array;
  /** Energy in the battery at the end of a checkpoint slot (the full LP: every slot but the last). */
  soc: Int32Array;
  /** Per slot, the segment (run of slots between checkpoints) it belongs to. */
  segment: Int32Array;
  /** First slot of each segment. */
  segmentStart: number[];
  /** Each segment's state-of-charge row. */
  segmentRows: number[];
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
  /** The feeder row of each slot (its bounds: the DNO's limits, narrowed by an ancillary command). */
  feederRows: number[];
  /** The renewable-forecast row of each slot (none when no vehicle asks for a renewable share). */
  renewableRows: number[];
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
    // Exactly the change asked; a level outside the feeder's limits leaves the row empty (infeasible).
    for (let t = a.fromSlot; t < a.toSlot; t++) {
      const level = a.baselineKw[t]! + a.deltaKw;
      b.tightenRow(feeder[t]!, level, level);
    }
  }
  const wantsRenewable = p.vehicles.some((v) => v.renewableShare > 0);
  const renewable: number[] = [];
  if (wantsRenewable) for (let t = 0; t < p.slots; t++) renewable.push(b.addRow(-Infinity, p.renewableKw[t]!));

  const chargeCols = (v: FleetProblem["vehicles"][number]): { gain: number; loss: number } => ({
    gain: v.chargeEfficiency * h,
    loss: h / v.dischargeEfficiency,
  });
  const columns = p.vehicles.map((v): VehicleColumns => {
    const cols: VehicleColumns = {
      charge: new Int32Array(p.slots).fill(-1),
      discharge: new Int32Array(p.slots).fill(-1),
      soc: new Int32Array(p.slots).fill(-1),
      segment: new Int32Array(p.slots).fill(-1),
      segmentStart: [],
      segmentRows: [],
      shortfall: -1,
    };
    const v2g = v.maxDischargeKw > 0;
    const last = v.departureSlot - 1;
    const checkpoint = (t: number): boolean => v2g && t < last && (soc === "rows" || tariffChangesAfter(p, t));
    // c + d ≤ limit only binds where exporting could pay more than importing costs; elsewhere a
    // simultaneous charge and discharge costs h·(price + degradation − exportPrice) > 0 per kW.
    const bothWays = (t: number): boolean => v2g && p.exportPrice[t]! >= p.importPrice[t]! + p.degradationPerKwh;
    const { gain, loss } = chargeCols(v);
    // In the ancillary window, one row per slot keeping the vehicle's net power on the command's side of its own baseline.
    const own: number[] = [];
    const ownBase = a?.vehicleBaselineKw?.[v.id];
    if (a !== undefined && ownBase !== undefined) {
      for (let t = Math.max(a.fromSlot, v.arrivalSlot); t < Math.min(a.toSlot, v.departureSlot); t++) {
        own[t] = a.deltaKw < 0 ? b.addRow(-Infinity, ownBase[t]!) : b.addRow(ownBase[t]!, Infinity);
      }
    }
    // One row per segment: e[k−1] + Σ segment (ηc·h·c − h/ηd·d) − e[k] = 0 (e[−1] = initial), the
    // last one ranged: the energy at departure within [floor, capacity].
    const floor = mode === "cost" ? (v2g ? Math.max(v.minKwh, v.targetKwh) : v.targetKwh) : v2g ? v.minKwh : -Infinity;
    const segmentRows = cols.segmentRows;
    let k = 0;
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
      if (t === v.arrivalSlot || checkpoint(t - 1)) {
        k = segmentRows.length;
        const base = k === 0 ? v.initialKwh : 0;
        cols.segmentStart.push(t);
        segmentRows.push(t === last || !hasCheckpointFrom(t, last, checkpoint) ? b.addRow(floor - base, v.capacityKwh - base) : b.addRow(-base, -base));
      }
      cols.segment[t] = k;
    }
    const lastSegment = segmentRows.length - 1;
    const targetRow = mode === "shortfall" ? b.addRow(v.targetKwh - (lastSegment === 0 ? v.initialKwh : 0), Infinity) : -1;
    const charger: number[] = [];
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
      if (bothWays(t)) charger[t] = b.addRow(-Infinity, Math.max(v.maxChargeKw, v.maxDischargeKw));
    }
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
      const row = segmentRows[cols.segment[t]!]!;
      const inLast = cols.segment[t] === lastSegment && mode === "shortfall";
      const chargeCap = v.offPeakOnly && p.peak[t] ? 0 : v.maxChargeKw;
      const c: [number, number][] = [[feeder[t]!, 1], [row, gain]];
      if (inLast) c.push([targetRow, gain]);
      if (bothWays(t)) c.push([charger[t]!, 1]);
      if (v.renewableShare > 0) c.push([renewable[t]!, v.renewableShare]);
      const ownRow = own[t];
      if (ownRow !== undefined) c.push([ownRow, 1]);
      cols.charge[t] = b.addCol(costOf(h * p.importPrice[t]!), 0, chargeCap, c);
      if (v2g) {
        const d: [number, number][] = [[feeder[t]!, -1], [row, -loss]];
        if (inLast) d.push([targetRow, -loss]);
        if (bothWays(t)) d.push([charger[t]!, 1]);
        if (ownRow !== undefined) d.push([ownRow, -1]);
        cols.discharge[t] = b.addCol(costOf(h * (p.degradationPerKwh - p.exportPrice[t]!)), 0, v.maxDischargeKw, d);
      }
      if (checkpoint(t)) {
        // The energy at the end of slot t: leaves this segment's row, enters the next one's.
        const next = segmentRows[cols.segment[t]! + 1]!;
        const e: [number, number][] = [[row, -1], [next, 1]];
        if (cols.segment[t]! + 1 === lastSegment && mode === "shortfall") e.push([targetRow, 1]);
        cols.soc[t] = b.addCol(0, v.minKwh, v.capacityKwh, e);
      }
    }
    if (mode === "shortfall") cols.shortfall = b.addCol(1, 0, v.targetKwh, [[targetRow, 1]]);
    return cols;
  });
  const separate = (x: ArrayLike<number>): CutRow[] =>
    soc === "lazy" ? p.vehicles.flatMap((v, i) => (v.maxDischargeKw > 0 ? socCuts(v, chargeCols(v), columns[i]!, x) : [])) : [];
  return { lp: b.build(), columns, feederRows: feeder, renewableRows: renewable, separate };
}

/** Whether the tariff (import or export price, peak) changes between slot t and t + 1. */
function tariffChangesAfter(p: FleetProblem, t: number): boolean {
  return p.importPrice[t] !== p.importPrice[t + 1] || p.exportPrice[t] !== p.exportPrice[t + 1] || p.peak[t] !== p.peak[t + 1];
}

function hasCheckpointFrom(from: number, last: number, checkpoint: (t: number) => boolean): boolean {
  for (let t = from; t < last; t++) if (checkpoint(t)) return true;
  return false;
}

/**
 * The rows cutting off the slots where `x` takes vehicle `v` out of [minKwh, capacity], one per
 * maximal run of such slots (at its worst slot): the energy at the start of the slot's segment plus
 * the segment's flows up to the slot.
 */
function socCuts(v: FleetProblem["vehicles"][number], k: { gain: number; loss: number }, cols: VehicleColumns, x: ArrayLike<number>): CutRow[] {
  const cuts: CutRow[] = [];
  let soc = v.initialKwh;
  // The worst slot of the current run of violations: its excess (> 0) and which bound.
  let worst: { t: number; excess: number; low: boolean } | undefined;
  const close = (): void => {
    if (worst === undefined) return;
    const segment = cols.segment[worst.t]!;
    const from = cols.segmentStart[segment]!;
    const indices: number[] = [];
    const values: number[] = [];
    if (segment > 0) {
      indices.push(cols.soc[from - 1]!);
      values.push(1);
    }
    for (let t = from; t <= worst.t; t++) {
      indices.push(cols.charge[t]!, cols.discharge[t]!);
      values.push(k.gain, -k.loss);
    }
    const base = segment === 0 ? v.initialKwh : 0;
    cuts.push(worst.low ? { lower: v.minKwh - base, upper: Infinity, indices, values } : { lower: -Infinity, upper: v.capacityKwh - base, indices, values });
    worst = undefined;
  };
  for (let t = v.arrivalSlot; t < v.departureSlot; t++) {
    soc += k.gain * x[cols.charge[t]!]! - k.loss * x[cols.discharge[t]!]!;
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
