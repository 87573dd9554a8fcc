/**
 * The TSO's ancillary-service event: at 11:00 it asks the work aggregator's car park to change
 * its demand over 12:00–13:00 (less demand if it draws, more if it does not); the aggregator
 * re-optimises from the state the fleet is in (the slots before stay as executed), and every
 * vehicle whose plan changed gets the next revision of its schedule, receipts and confirms it.
 * A command the fleet cannot meet without missing a departure target (or at all) is halved, at
 * most three times, and the part it takes is what it delivers: the report keeps the TSO's
 * command, the shortfall and its reason. What was delivered is measured from the signed
 * schedules (what the EVSEs execute), before and after, per pseudonym and in aggregate.
 */
import type { Highs } from "highs";
import { reoptimiseForAncillary, type AncillaryEvent, type AncillaryOutcome } from "../../charging/ancillary.js";
import { Decision, signSchedules } from "../../charging/aggregator.js";
import { amountAt } from "../../charging/billing.js";
import { milliWh } from "../../charging/metering.js";
import { aggregateKw } from "../../charging/scheduleCheck.js";
import { ancillaryShortfallWords } from "../../report/format.js";
import type { DayContext } from "./context.js";
import { confirmAndStore, deliverSchedule, type Fleet } from "./negotiation.js";

export const ANCILLARY = { announceSlot: 44, fromSlot: 48, toSlot: 52, incentivePerKwh: 0.3 } as const;

/** The incentive in micro-units per kWh delivered (what the aggregator pays each pseudonym). */
export const INCENTIVE_MICRO_PER_KWH = BigInt(Math.round(ANCILLARY.incentivePerKwh * 1e6));

/** A pseudonym's incentive for `kwh` delivered: the energy to the mWh, then rounded down to the micro-unit. */
export const incentiveOf = (kwh: number): bigint => amountAt(milliWh(kwh * 1000), INCENTIVE_MICRO_PER_KWH);

/**
 * Why the fleet delivered less than the TSO asked: `targets`, the command would have left a
 * vehicle short of its departure target; `limits`, no schedule within the chargers', batteries'
 * and feeder's limits delivers it at all.
 */
export type AncillaryShortfallReason = "targets" | "limits";

/** Demand changes are signed (negative: less demand); energies are in the command's direction (positive). */
export interface AncillaryReport {
  from: string;
  to: string;
  /** The TSO's command: the change of the fleet's aggregate demand over the window, kW. */
  deltaKw: number;
  /** The change delivered: the fleet's aggregate demand over the window under the schedules in force after the event minus before, mean, kW, to the W. */
  deliveredKw: number;
  /** The part of the command the fleet did not take (|deltaKw| − |what it committed to|), kW; 0 when it took it whole. */
  shortfallKw: number;
  /** Why there is a shortfall; null when the command was taken whole. */
  shortfallReason: AncillaryShortfallReason | null;
  /** Pseudonyms credited with an incentive (each moved its own demand in the command's direction). */
  pseudonyms: number;
  /** The sum of the pseudonyms' incentives (`incentiveOf`), micro-units. */
  incentive: string;
  /** kWh each pseudonym's schedule moved in the command's direction over the window (what the aggregator pays for). */
  deliveredKwh: Readonly<Record<string, number>>;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const signed = (kw: number): string => `${kw > 0 ? "+" : kw < 0 ? "−" : ""}${Math.abs(kw)}`;

export async function runAncillaryEvent(day: DayContext, fleet: Fleet, highs: Highs): Promise<AncillaryReport> {
  const { clock } = day;
  const live = fleet.sessions.map((s, i) => ({ s, i })).filter(({ s }) => s.decision !== "reject");
  const problem = { ...fleet.problem, vehicles: live.map(({ i }) => fleet.problem.vehicles[i]!) };
  const plans = live.map(({ s }) => s.plan);
  const base = aggregateKw(problem.slots, plans);
  const window = base.slice(ANCILLARY.fromSlot, ANCILLARY.toSlot);
  const mean = window.reduce((a, b) => a + b, 0) / window.length;
  const askedKw = mean >= 2 ? -Math.round(Math.min(15, mean * 0.5)) : Math.round(Math.min(10, problem.feederImportKw[ANCILLARY.fromSlot]! / 4));
  const event = (d: number): AncillaryEvent => ({ nowSlot: ANCILLARY.announceSlot, fromSlot: ANCILLARY.fromSlot, toSlot: ANCILLARY.toSlot, deltaKw: d, incentivePerKwh: ANCILLARY.incentivePerKwh });
  let committedKw = askedKw;
  let outcome: AncillaryOutcome = reoptimiseForAncillary(highs, problem, plans, event(committedKw));
  // Why the whole command could not be taken (the first refusal names it).
  const shortfallReason: AncillaryShortfallReason | null = outcome.status === "scheduled" ? null : outcome.reason === "targets" ? "targets" : "limits";
  for (let tries = 0; outcome.status !== "scheduled" && tries < 3; tries++) {
    committedKw = committedKw / 2;
    outcome = reoptimiseForAncillary(highs, problem, plans, event(committedKw));
  }
  const from = clock.iso(clock.slotStart(ANCILLARY.fromSlot));
  const to = clock.iso(clock.slotStart(ANCILLARY.toSlot));
  const span = `${from.slice(11, 16)}–${to.slice(11, 16)}`;
  if (outcome.status !== "scheduled") {
    day.timeline.add("ancillary", `TSO command ${signed(askedKw)} kW over ${span} at ${fleet.aggregator.name}: declined, not even an eighth of it can be taken (${ancillaryShortfallWords(shortfallReason!)}), nothing delivered`, fleet.aggregator.id);
    return { from, to, deltaKw: askedKw, deliveredKw: 0, shortfallKw: Math.abs(askedKw), shortfallReason, pseudonyms: 0, incentive: "0", deliveredKwh: {} };
  }
  // The revised plans become the schedules in force: a new revision for each vehicle whose plan moved.
  const direction = Math.sign(askedKw);
  const slotKwh = problem.slotSeconds / 3600 / 1000;
  const deliveredKwh: Record<string, number> = {};
  let changeW = 0;
  let revised = 0;
  for (const [k, { s, i }] of live.entries()) {
    const plan = outcome.plans[k]!;
    const moved = plan.chargeKw.some((c, t) => Math.abs(c - s.plan.chargeKw[t]!) > 1e-6 || Math.abs(plan.dischargeKw[t]! - s.plan.dischargeKw[t]!) > 1e-6);
    if (!moved) continue;
    const [schedule] = await signSchedules(fleet.party, day.sequences, day.domains.evidence, problem, clock.dayStart, [plan], [fleet.plugged[i]!], s.schedule.body.revision + 1, clock.now);
    await deliverSchedule(day, fleet.party, fleet.store, s.pseudonym, s.userStore, s.accepted.request, schedule!);
    await confirmAndStore(day, fleet.party, fleet.store, s.pseudonym, s.userStore, schedule!, Decision.Accept);
    // Measured from the schedules the EVSE executes: the W of each slot of the window, after minus before.
    let ownW = 0;
    for (let t = ANCILLARY.fromSlot; t < ANCILLARY.toSlot; t++) ownW += schedule!.body.powerW[t]! - s.schedule.body.powerW[t]!;
    changeW += ownW;
    if (direction * ownW > 0) deliveredKwh[s.pseudonym.address] = direction * ownW * slotKwh;
    s.schedule = schedule!;
    s.plan = plan;
    revised++;
  }
  const deliveredKw = Math.round(changeW / (ANCILLARY.toSlot - ANCILLARY.fromSlot)) / 1000;
  const shortfallKw = round3(Math.abs(askedKw - committedKw));
  const incentives = Object.values(deliveredKwh).map(incentiveOf);
  const incentive = incentives.reduce((a, x) => a + x, 0n);
  const credited = incentives.filter((x) => x > 0n).length;
  const part = shortfallReason === null ? "" : ` (only ${signed(committedKw)} kW of it taken: ${ancillaryShortfallWords(shortfallReason)})`;
  day.timeline.add(
    "ancillary",
    `TSO command ${signed(askedKw)} kW over ${span} at ${fleet.aggregator.name}: re-optimised, ${revised} schedules revised, demand changed by ${signed(deliveredKw)} kW${part}, ${credited} pseudonym${credited === 1 ? "" : "s"} credited`,
    fleet.aggregator.id,
  );
  return { from, to, deltaKw: askedKw, deliveredKw, shortfallKw, shortfallReason, pseudonyms: credited, incentive: incentive.toString(), deliveredKwh };
}
