/**
 * The aggregator's scheduling problem: one horizon of equal slots, the supplier's tariff and
 * export price per slot, a renewable forecast, the DNO's feeder limits in both directions and
 * every vehicle's request (from its REQ_EV and its charger). Power in kW, energy in kWh,
 * prices in currency units per kWh.
 */
import { ChargingError } from "./errors.js";

export interface VehicleRequest {
  /** The session pseudonym (the aggregator knows no other name). */
  id: string;
  /** First slot the vehicle is plugged in. */
  arrivalSlot: number;
  /** First slot it is gone (exclusive); the target applies at the end of slot `departureSlot - 1`. */
  departureSlot: number;
  capacityKwh: number;
  initialKwh: number;
  targetKwh: number;
  /** Floor the battery may be discharged to (V2G), ≤ initial and ≤ target. */
  minKwh: number;
  /** min(vehicle, charger) charging power. */
  maxChargeKw: number;
  /** Discharge power offered for V2G; 0 when the user does not offer ancillary services. */
  maxDischargeKw: number;
  /** Grid-to-battery efficiency in (0, 1]. */
  chargeEfficiency: number;
  /** Battery-to-grid efficiency in (0, 1]. */
  dischargeEfficiency: number;
  /** Share of the vehicle's charged energy that must be renewable (1 = renewable only). */
  renewableShare: number;
  /** Charge only in off-peak slots. */
  offPeakOnly: boolean;
}

/**
 * An aggregate demand change the TSO asked for: `deltaKw` (negative = reduce) over `[fromSlot, toSlot)`.
 * In every slot of the window the aggregate net power is exactly `baselineKw + deltaKw`: the
 * change asked, not less (a shortfall) and not more (an overshoot the TSO did not ask for).
 */
export interface AncillaryCommand {
  fromSlot: number;
  toSlot: number;
  deltaKw: number;
  /** Aggregate net power per slot of the schedule in force when the command arrived. */
  baselineKw: readonly number[];
  /**
   * Net power per slot of each named vehicle's schedule in force: in the window a vehicle named
   * here moves only in the command's direction from it, so what each delivers is its own change
   * and the changes add up to the aggregate one (no vehicle is credited for offsetting another).
   */
  vehicleBaselineKw?: Readonly<Record<string, readonly number[]>>;
}

export interface FleetProblem {
  slotSeconds: number;
  slots: number;
  importPrice: readonly number[];
  exportPrice: readonly number[];
  /** Peak slots of the tariff (off-peak-only vehicles do not charge in them). */
  peak: readonly boolean[];
  renewableKw: readonly number[];
  feederImportKw: readonly number[];
  feederExportKw: readonly number[];
  /** Battery-degradation cost per kWh discharged. */
  degradationPerKwh: number;
  vehicles: readonly VehicleRequest[];
  ancillary?: AncillaryCommand;
}

const bad = (message: string, details: Record<string, unknown>): never => {
  throw new ChargingError("BAD_INPUT", message, details);
};

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function checkSeries(name: string, series: readonly unknown[], slots: number, min: number): void {
  if (!Array.isArray(series) || series.length !== slots) bad(`${name} must have one value per slot`, { name, slots });
  series.forEach((v, slot) => {
    if (!finite(v) || v < min) bad(`${name} must be finite and ≥ ${min}`, { name, slot, value: v });
  });
}

/** Throws `ChargingError("BAD_INPUT")` naming the first field out of range. */
export function validateProblem(p: FleetProblem): void {
  if (!Number.isInteger(p.slots) || p.slots < 1 || p.slots > 10_000) bad("slots must be an integer in [1, 10000]", { slots: p.slots });
  if (!Number.isInteger(p.slotSeconds) || p.slotSeconds < 60) bad("slotSeconds must be an integer ≥ 60", { slotSeconds: p.slotSeconds });
  checkSeries("importPrice", p.importPrice, p.slots, -Infinity);
  checkSeries("exportPrice", p.exportPrice, p.slots, -Infinity);
  checkSeries("renewableKw", p.renewableKw, p.slots, 0);
  checkSeries("feederImportKw", p.feederImportKw, p.slots, 0);
  checkSeries("feederExportKw", p.feederExportKw, p.slots, 0);
  if (!Array.isArray(p.peak) || p.peak.length !== p.slots) bad("peak must have one flag per slot", { slots: p.slots });
  if (!finite(p.degradationPerKwh) || p.degradationPerKwh < 0) bad("degradationPerKwh must be ≥ 0", { value: p.degradationPerKwh });
  const ids = new Set<string>();
  for (const v of p.vehicles) {
    if (ids.has(v.id)) bad("duplicate vehicle id", { id: v.id });
    ids.add(v.id);
    validateVehicle(v, p.slots);
  }
  const a = p.ancillary;
  if (a !== undefined) {
    if (!Number.isInteger(a.fromSlot) || !Number.isInteger(a.toSlot) || a.fromSlot < 0 || a.toSlot > p.slots || a.fromSlot >= a.toSlot) {
      bad("ancillary window must be a non-empty slot range in the horizon", { fromSlot: a.fromSlot, toSlot: a.toSlot });
    }
    if (!finite(a.deltaKw) || a.deltaKw === 0) bad("ancillary deltaKw must be finite and non-zero", { deltaKw: a.deltaKw });
    checkSeries("ancillary.baselineKw", a.baselineKw, p.slots, -Infinity);
    for (const [id, series] of Object.entries(a.vehicleBaselineKw ?? {})) {
      if (!ids.has(id)) bad("ancillary.vehicleBaselineKw names a vehicle not in the problem", { id });
      checkSeries(`ancillary.vehicleBaselineKw.${id}`, series, p.slots, -Infinity);
    }
  }
}

function validateVehicle(v: VehicleRequest, slots: number): void {
  const d = { id: v.id };
  if (typeof v.id !== "string" || v.id.length === 0) bad("vehicle id must be a non-empty string", d);
  if (!Number.isInteger(v.arrivalSlot) || !Number.isInteger(v.departureSlot) || v.arrivalSlot < 0 || v.departureSlot > slots || v.arrivalSlot >= v.departureSlot) {
    bad("vehicle must arrive before it departs, inside the horizon", { ...d, arrivalSlot: v.arrivalSlot, departureSlot: v.departureSlot });
  }
  for (const k of ["capacityKwh", "initialKwh", "targetKwh", "minKwh", "maxChargeKw", "maxDischargeKw"] as const) {
    if (!finite(v[k]) || v[k] < 0) bad(`${k} must be finite and ≥ 0`, { ...d, [k]: v[k] });
  }
  if (v.capacityKwh <= 0) bad("capacityKwh must be > 0", d);
  if (v.initialKwh > v.capacityKwh || v.targetKwh > v.capacityKwh) bad("initial and target energy must not exceed capacity", d);
  if (v.minKwh > v.initialKwh || v.minKwh > v.targetKwh) bad("minKwh must not exceed initial or target energy", d);
  for (const k of ["chargeEfficiency", "dischargeEfficiency"] as const) {
    if (!finite(v[k]) || v[k] <= 0 || v[k] > 1) bad(`${k} must be in (0, 1]`, { ...d, [k]: v[k] });
  }
  if (!finite(v.renewableShare) || v.renewableShare < 0 || v.renewableShare > 1) bad("renewableShare must be in [0, 1]", d);
  if (typeof v.offPeakOnly !== "boolean") bad("offPeakOnly must be a boolean", d);
}

/** Slot length in hours. */
export const slotHours = (p: FleetProblem): number => p.slotSeconds / 3600;
