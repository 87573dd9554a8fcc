/**
 * The grid side of the day: each host supplier's signed tariff (96 quarter-hours: off-peak night,
 * day, evening peak), each site's feeder limit from the DNO and its renewable forecast, and the
 * day's load curves (scheduled import and export against the feeder limit, and what the same
 * vehicles would draw uncontrolled), with a small text chart for the summary.
 */
import { encodeBytes32String } from "ethers";
import type { GridInputs } from "../../charging/aggregator.js";
import type { VehiclePlan } from "../../charging/fleetModel.js";
import { SLOT_SECONDS, SLOTS } from "./clock.js";
import type { AggregatorKind } from "./parties.js";

export const TARIFF_ID = encodeBytes32String("day-tariff");
export const CURRENCY = encodeBytes32String("EUR");

const hourOf = (slot: number) => Math.floor((slot * SLOT_SECONDS) / 3600);
export const isPeak = (slot: number): boolean => hourOf(slot) >= 17 && hourOf(slot) < 21;
const isNight = (slot: number): boolean => hourOf(slot) < 6 || hourOf(slot) >= 23;

/** A supplier's tariff in micro-units per kWh; supplier `index` prices a little differently from the others. */
export function tariffOf(index: number): { importPrice: bigint[]; exportPrice: bigint[]; peakMask: boolean[] } {
  const importPrice: bigint[] = [];
  const exportPrice: bigint[] = [];
  const peakMask: boolean[] = [];
  for (let t = 0; t < SLOTS; t++) {
    const base = isPeak(t) ? 420_000 : isNight(t) ? 120_000 : 260_000;
    const price = BigInt(base + index * 10_000);
    importPrice.push(price);
    exportPrice.push(isPeak(t) ? (price * 9n) / 10n : (price * 6n) / 10n);
    peakMask.push(isPeak(t));
  }
  return { importPrice, exportPrice, peakMask };
}

/** The DNO's feeder limit at a site: a share of what its chargers could draw together, lower at the evening peak. */
export function gridInputsOf(kind: AggregatorKind, chargerKw: readonly number[]): GridInputs {
  const total = chargerKw.reduce((s, k) => s + k, 0);
  const share = kind === "public" ? 0.7 : 0.45;
  const feederImportKw = Array.from({ length: SLOTS }, (_, t) => Math.max(11, Math.round(total * share * (isPeak(t) ? 0.8 : 1))));
  const renewableKw = Array.from({ length: SLOTS }, (_, t) => (kind === "work" ? Math.max(0, 30 * Math.sin((Math.PI * (t - 28)) / 48)) : 0));
  return { renewableKw, feederImportKw, feederExportKw: feederImportKw.map((k) => Math.round(k * 0.8)), degradationPerKwh: 0.03 };
}

export interface LoadCurves {
  feederLimitKw: number[];
  importKw: number[];
  exportKw: number[];
  uncontrolledKw: number[];
}

/** Adds one site's plans to the day's curves (per slot, kW, rounded to 0.001 kW). */
export function addLoad(curves: LoadCurves, feederImportKw: readonly number[], plans: readonly VehiclePlan[], uncontrolled: readonly VehiclePlan[]): void {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  for (let t = 0; t < SLOTS; t++) {
    curves.feederLimitKw[t] = r(curves.feederLimitKw[t]! + feederImportKw[t]!);
    curves.importKw[t] = r(curves.importKw[t]! + plans.reduce((s, p) => s + p.chargeKw[t]!, 0));
    curves.exportKw[t] = r(curves.exportKw[t]! + plans.reduce((s, p) => s + p.dischargeKw[t]!, 0));
    curves.uncontrolledKw[t] = r(curves.uncontrolledKw[t]! + uncontrolled.reduce((s, p) => s + p.chargeKw[t]!, 0));
  }
}

export const emptyCurves = (): LoadCurves => ({
  feederLimitKw: new Array<number>(SLOTS).fill(0),
  importKw: new Array<number>(SLOTS).fill(0),
  exportKw: new Array<number>(SLOTS).fill(0),
  uncontrolledKw: new Array<number>(SLOTS).fill(0),
});

/**
 * The day's load as text, one column per hour (the hour's highest quarter): `#` scheduled
 * import, `-` the feeder limit, `!` uncontrolled charging above the limit.
 */
export function loadChart(c: LoadCurves, rows = 8): string[] {
  const hours = SLOTS / 4;
  const peakOf = (a: readonly number[], h: number) => Math.max(...a.slice(h * 4, h * 4 + 4));
  const top = Math.max(1, ...c.feederLimitKw, ...c.uncontrolledKw, ...c.importKw);
  const lines: string[] = [];
  for (let row = rows; row >= 1; row--) {
    const level = (top * row) / rows;
    const below = (top * (row - 1)) / rows;
    let line = "";
    for (let h = 0; h < hours; h++) {
      const imp = peakOf(c.importKw, h);
      const limit = peakOf(c.feederLimitKw, h);
      const unc = peakOf(c.uncontrolledKw, h);
      const cell = imp > below ? "#" : limit > below && limit <= level ? "-" : unc > below && unc > limit ? "!" : " ";
      line += `${cell}${cell}`;
    }
    lines.push(`${level.toFixed(0).padStart(6)} kW |${line}`);
  }
  lines.push(`${"".padStart(9)} +${"-".repeat(hours * 2)}`);
  lines.push(`${"".padStart(11)}${Array.from({ length: hours / 3 }, (_, i) => String(i * 3).padEnd(6)).join("")}h`);
  return lines;
}
