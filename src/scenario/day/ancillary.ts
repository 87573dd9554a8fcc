/**
 * The TSO's ancillary-service event: at 11:00 it asks the work aggregator's car park to change
 * its demand over 12:00–13:00 (less demand if it draws, more if it does not); the aggregator
 * re-optimises from the state the fleet is in (the slots before stay as executed), and every
 * vehicle whose plan changed gets the next revision of its schedule, receipts and confirms it.
 * A command the fleet cannot meet is halved (at most three times) before it is accepted.
 */
import type { Highs } from "highs";
import { reoptimiseForAncillary, type AncillaryEvent } from "../../charging/ancillary.js";
import { Decision, signSchedules } from "../../charging/aggregator.js";
import { amountAt } from "../../charging/billing.js";
import { milliWh } from "../../charging/metering.js";
import { aggregateKw } from "../../charging/scheduleCheck.js";
import type { DayContext } from "./context.js";
import { confirmAndStore, deliverSchedule, type Fleet } from "./negotiation.js";

export const ANCILLARY = { announceSlot: 44, fromSlot: 48, toSlot: 52, incentivePerKwh: 0.3 } as const;

/** The incentive in micro-units per kWh delivered (what the aggregator pays each pseudonym). */
export const INCENTIVE_MICRO_PER_KWH = BigInt(Math.round(ANCILLARY.incentivePerKwh * 1e6));

/** A pseudonym's incentive for `kwh` delivered: the energy to the mWh, then rounded down to the micro-unit. */
export const incentiveOf = (kwh: number): bigint => amountAt(milliWh(kwh * 1000), INCENTIVE_MICRO_PER_KWH);

export interface AncillaryReport {
  from: string;
  to: string;
  deltaKw: number;
  deliveredKw: number;
  pseudonyms: number;
  /** The sum of the pseudonyms' incentives (`incentiveOf`), micro-units. */
  incentive: string;
  /** kWh each pseudonym delivered in the command's direction (what the aggregator pays for). */
  deliveredKwh: Readonly<Record<string, number>>;
}

export async function runAncillaryEvent(day: DayContext, fleet: Fleet, highs: Highs): Promise<AncillaryReport> {
  const { clock } = day;
  const live = fleet.sessions.map((s, i) => ({ s, i })).filter(({ s }) => s.decision !== "reject");
  const problem = { ...fleet.problem, vehicles: live.map(({ i }) => fleet.problem.vehicles[i]!) };
  const plans = live.map(({ s }) => s.plan);
  const base = aggregateKw(problem.slots, plans);
  const window = base.slice(ANCILLARY.fromSlot, ANCILLARY.toSlot);
  const mean = window.reduce((a, b) => a + b, 0) / window.length;
  let deltaKw = mean >= 2 ? -Math.round(Math.min(15, mean * 0.5)) : Math.round(Math.min(10, problem.feederImportKw[ANCILLARY.fromSlot]! / 4));
  const event = (d: number): AncillaryEvent => ({ nowSlot: ANCILLARY.announceSlot, fromSlot: ANCILLARY.fromSlot, toSlot: ANCILLARY.toSlot, deltaKw: d, incentivePerKwh: ANCILLARY.incentivePerKwh });
  let outcome = reoptimiseForAncillary(highs, problem, plans, event(deltaKw));
  for (let tries = 0; outcome.status !== "scheduled" && tries < 3; tries++) {
    deltaKw = deltaKw / 2;
    outcome = reoptimiseForAncillary(highs, problem, plans, event(deltaKw));
  }
  const from = clock.iso(clock.slotStart(ANCILLARY.fromSlot));
  const to = clock.iso(clock.slotStart(ANCILLARY.toSlot));
  if (outcome.status !== "scheduled") {
    day.timeline.add("ancillary", `the TSO's command could not be met by ${fleet.aggregator.name}'s fleet without missing targets: declined`, fleet.aggregator.id);
    return { from, to, deltaKw, deliveredKw: 0, pseudonyms: 0, incentive: "0", deliveredKwh: {} };
  }
  // The revised plans become the schedules in force: a new revision for each vehicle whose plan moved.
  let revised = 0;
  for (const [k, { s, i }] of live.entries()) {
    const plan = outcome.plans[k]!;
    const moved = plan.chargeKw.some((c, t) => Math.abs(c - s.plan.chargeKw[t]!) > 1e-6 || Math.abs(plan.dischargeKw[t]! - s.plan.dischargeKw[t]!) > 1e-6);
    if (!moved) continue;
    const [schedule] = await signSchedules(fleet.party, day.sequences, day.domains.evidence, problem, clock.dayStart, [plan], [fleet.plugged[i]!], s.schedule.body.revision + 1, clock.now);
    await deliverSchedule(day, fleet.party, fleet.store, s.pseudonym, s.userStore, s.accepted.request, schedule!);
    await confirmAndStore(day, fleet.party, fleet.store, s.pseudonym, s.userStore, schedule!, Decision.Accept);
    s.schedule = schedule!;
    s.plan = plan;
    revised++;
  }
  const hours = ((ANCILLARY.toSlot - ANCILLARY.fromSlot) * problem.slotSeconds) / 3600;
  const delivered = Object.values(outcome.deliveredKwh).reduce((a, b) => a + b, 0);
  const incentive = Object.values(outcome.deliveredKwh).reduce((a, kwh) => a + incentiveOf(kwh), 0n);
  day.timeline.add(
    "ancillary",
    `TSO command ${deltaKw > 0 ? "+" : ""}${deltaKw} kW over 12:00–13:00 at ${fleet.aggregator.name}: re-optimised, ${revised} schedules revised, ${(delivered / hours).toFixed(1)} kW delivered`,
    fleet.aggregator.id,
  );
  return {
    from,
    to,
    deltaKw,
    deliveredKw: Math.round((delivered / hours) * 1000) / 1000,
    pseudonyms: Object.keys(outcome.deliveredKwh).length,
    incentive: incentive.toString(),
    deliveredKwh: outcome.deliveredKwh,
  };
}
