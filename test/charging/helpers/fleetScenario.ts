/**
 * Seeded fleet problems: a day in 15-minute slots from noon (peak 17:00–21:00, off-peak
 * 22:00–06:00), home-style arrivals in the evening and departures in the morning, half the
 * vehicles offering V2G, some asking a renewable share, a feeder limit that binds.
 */
import type { FleetProblem, VehicleRequest } from "../../../src/charging/fleet.js";

/** mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ScenarioOptions {
  vehicles: number;
  slots?: number;
  seed?: number;
  v2gShare?: number;
  renewableShare?: number;
  /** Feeder import limit as a share of the sum of the chargers' power (export: 0.2 of it). */
  feederShare?: number;
}

export function dayScenario(opts: ScenarioOptions): FleetProblem {
  const slots = opts.slots ?? 96;
  const rand = rng(opts.seed ?? 1);
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rand();
  const int = (lo: number, hi: number): number => Math.floor(uniform(lo, hi + 1));
  const hourOf = (t: number): number => (12 + (t * 24) / slots) % 24;
  const peak = Array.from({ length: slots }, (_, t) => hourOf(t) >= 17 && hourOf(t) < 21);
  const offPeak = (t: number): boolean => hourOf(t) >= 22 || hourOf(t) < 6;
  const importPrice = Array.from({ length: slots }, (_, t) => (peak[t] ? 0.4 : offPeak(t) ? 0.1 : 0.25));
  const exportPrice = importPrice.map((p) => 0.8 * p);
  const scale = slots / 96;
  const vehicles: VehicleRequest[] = [];
  for (let i = 0; i < opts.vehicles; i++) {
    const arrivalSlot = Math.min(slots - 2, Math.round(int(16, 30) * scale));
    const departureSlot = Math.max(arrivalSlot + 2, Math.min(slots, Math.round(int(72, 90) * scale)));
    const capacityKwh = uniform(40, 80);
    const maxChargeKw = rand() < 0.5 ? 7.4 : 11;
    const initialKwh = capacityKwh * uniform(0.2, 0.5);
    const hours = ((departureSlot - arrivalSlot) * 24) / slots;
    const reachable = initialKwh + 0.6 * maxChargeKw * 0.92 * hours;
    const targetKwh = Math.min(capacityKwh * 0.8, reachable);
    const v2g = i % 2 === 0 && (opts.v2gShare ?? 0.5) > 0;
    vehicles.push({
      id: `p${i}`,
      arrivalSlot,
      departureSlot,
      capacityKwh,
      initialKwh,
      targetKwh,
      minKwh: v2g ? Math.min(initialKwh, capacityKwh * 0.2) : Math.min(initialKwh, targetKwh),
      maxChargeKw,
      maxDischargeKw: v2g ? maxChargeKw : 0,
      chargeEfficiency: 0.92,
      dischargeEfficiency: 0.92,
      renewableShare: rand() < (opts.renewableShare ?? 0.2) ? 0.3 : 0,
      offPeakOnly: false,
    });
  }
  const total = vehicles.reduce((s, v) => s + v.maxChargeKw, 0);
  const solar = (t: number): number => Math.max(0, Math.sin(((hourOf(t) - 6) / 12) * Math.PI));
  return {
    slotSeconds: (24 * 3600) / slots,
    slots,
    importPrice,
    exportPrice,
    peak,
    renewableKw: Array.from({ length: slots }, (_, t) => 0.3 * total * solar(t) + 0.05 * total),
    feederImportKw: new Array<number>(slots).fill((opts.feederShare ?? 0.35) * total),
    feederExportKw: new Array<number>(slots).fill(0.2 * total),
    degradationPerKwh: 0.05,
    vehicles,
  };
}
