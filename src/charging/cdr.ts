/**
 * Charge detail records from verified readings and the signed tariff, signed by the host
 * supplier into its evidence store (where the settlement bot's `CdrSource` finds them).
 *
 * Rounding is explicit and never creates value: energy is summed exactly in milliwatt-hours
 * and rounded down to the Wh; the amount is summed exactly as a fraction (energy of each
 * interval between readings × the price of each slot it overlaps, pro rata by time) and rounded
 * down once, to the token's base unit (micro-units, the tariff's unit).
 */
import { type TypedDataDomain } from "ethers";
import type { SignedMessage } from "../evidence/messages.js";
import { buildBatch } from "../evidence/merkle.js";
import type { EvidenceStore } from "../evidence/store.js";
import { ChargingError } from "./errors.js";
import { flowHeader, signFlowMessage, type FlowParty, type FlowSequences } from "./flowEvidence.js";
import type { MeteredTransaction } from "./metering.js";
import type { SlotPrices } from "./prices.js";

export interface Priced {
  /** Energy rounded down to the Wh. */
  energyWh: bigint;
  /** Exact energy in mWh. */
  energyMilliWh: bigint;
  /** Amount rounded down to micro-units. */
  amount: bigint;
  /** The exact amount in micro-units as a fraction num/den (amount = floor(num/den)). */
  exact: { num: bigint; den: bigint };
}

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

export interface SlotSlice {
  /** Tariff slot index. */
  slot: number;
  /** Energy of the whole interval (mWh) and the share of it in this slot: overlap / duration (ms). */
  energyMilliWh: bigint;
  overlapMs: bigint;
  durationMs: bigint;
  /** Start of the overlap, ms. */
  fromMs: bigint;
}

/** Cuts the intervals between consecutive points (time in ms, cumulative mWh) at the tariff's slot boundaries. */
export function sliceBySlot(points: readonly { at: number; mWh: bigint }[], start: bigint, slotSeconds: number, slots: number): SlotSlice[] {
  if (points.length < 2) throw new ChargingError("BAD_INPUT", "pricing needs a begin and an end reading");
  const slotMs = BigInt(slotSeconds) * 1000n;
  const startMs = start * 1000n;
  const out: SlotSlice[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const e = b.mWh - a.mWh;
    const t0 = BigInt(a.at);
    const t1 = BigInt(b.at);
    if (e < 0n || t1 < t0) throw new ChargingError("BAD_INPUT", "readings must not go back", { index: i });
    if (t1 === t0) {
      if (e === 0n) continue;
      throw new ChargingError("BAD_INPUT", "energy without elapsed time", { index: i });
    }
    if (t0 < startMs || t1 > startMs + slotMs * BigInt(slots)) throw new ChargingError("BAD_INPUT", "readings outside the tariff's slots", { index: i });
    for (let k = (t0 - startMs) / slotMs; startMs + k * slotMs < t1; k++) {
      const from = startMs + k * slotMs > t0 ? startMs + k * slotMs : t0;
      const to = startMs + (k + 1n) * slotMs < t1 ? startMs + (k + 1n) * slotMs : t1;
      out.push({ slot: Number(k), energyMilliWh: e, overlapMs: to - from, durationMs: t1 - t0, fromMs: from });
    }
  }
  return out;
}

/** Prices the energy between consecutive points (time in ms, cumulative mWh) under `prices`. */
export function priceEnergy(points: readonly { at: number; mWh: bigint }[], prices: SlotPrices): Priced {
  let num = 0n;
  let den = 1n;
  for (const s of sliceBySlot(points, prices.start, prices.slotSeconds, prices.importPrice.length)) {
    // e mWh × (overlap / dur) × price micro/kWh = e·overlap·price / (dur·10⁶) micro-units.
    const n = s.energyMilliWh * s.overlapMs * prices.importPrice[s.slot]!;
    const d = s.durationMs * 1_000_000n;
    num = num * d + n * den;
    den = den * d;
    const g = gcd(num, den);
    if (g > 1n) {
      num /= g;
      den /= g;
    }
  }
  const energyMilliWh = points[points.length - 1]!.mWh - points[0]!.mWh;
  return { energyWh: energyMilliWh / 1000n, energyMilliWh, amount: num / den, exact: { num, den } };
}

export interface CdrInput {
  cdrId: string;
  homeSupplier: string;
  metered: MeteredTransaction;
  prices: SlotPrices;
  issuedAt: bigint;
  validitySeconds?: bigint;
}

/** The host supplier prices a metered session and signs its CDR (the next of its `sequences` in the session) into `store`. */
export async function issueCdr(host: FlowParty, sequences: FlowSequences, domain: TypedDataDomain, store: EvidenceStore, input: CdrInput): Promise<{ cdr: SignedMessage<"ChargeDetailRecord">; priced: Priced }> {
  const { metered } = input;
  if (metered.readings.length === 0) throw new ChargingError("BAD_INPUT", "a CDR needs meter readings");
  const priced = priceEnergy(metered.points, input.prices);
  if (priced.amount === 0n) throw new ChargingError("BAD_INPUT", "a CDR must charge something", { energyMilliWh: priced.energyMilliWh });
  const sessionId = metered.readings[0]!.header.sessionId;
  const body = {
    cdrId: input.cdrId,
    hostSupplier: host.address,
    homeSupplier: input.homeSupplier,
    start: BigInt(Math.floor(metered.summary.startAt / 1000)),
    end: BigInt(Math.ceil(metered.summary.endAt / 1000)),
    energyWh: priced.energyWh,
    amount: priced.amount,
    readingsRoot: buildBatch(metered.readings.map((r) => r.digest)).root,
  };
  const header = flowHeader(sessionId, sequences.take(host.address, sessionId), input.issuedAt, input.issuedAt + (input.validitySeconds ?? 30n * 86_400n), input.homeSupplier);
  const cdr = await signFlowMessage(host, domain, "ChargeDetailRecord", header, body);
  const put = store.putMessage(cdr);
  if (put.status !== "inserted") throw new ChargingError("REFUSED", "CDR already stored", { reason: put.reason });
  return { cdr, priced };
}
