/**
 * One aggregator's fleet from requests to confirmed schedules (the paper's Figure 2): each user's
 * supplier certifies a fresh pseudonym; the vehicle sends a REQ_EV under it (V2G offered only if
 * it accepted the discharge request); the aggregator accepts and receipts it, prices the fleet
 * from its host supplier's signed tariff, solves one LP over the whole fleet off the event loop
 * (the schedule service's worker; an infeasible answer lowers the targets by the shortfall and
 * solves again), signs a Schedule per vehicle; each user receipts it and confirms, asks for a
 * reschedule (a new revision follows) or rejects (the vehicle leaves smart charging).
 */
import { hexlify, keccak256, type Wallet } from "ethers";
import { confirmSchedule, Decision, fleetProblemFrom, receiveConfirmation, receiveSchedule, signSchedules, type PluggedVehicle } from "../../charging/aggregator.js";
import type { SignedArtefact } from "../../charging/artefactTypes.js";
import type { FleetProblem } from "../../charging/fleet.js";
import type { VehiclePlan } from "../../charging/fleetModel.js";
import { flowHeader, keepWithReceipt, ownKey, registeredKey, signFlowMessage, type FlowParty } from "../../charging/flowEvidence.js";
import { PriceBook } from "../../charging/prices.js";
import type { PseudonymIssuer } from "../../charging/pseudonyms.js";
import { acceptRequest, Preference, type AcceptedRequest } from "../../charging/requests.js";
import type { ScheduleService } from "../../charging/scheduleService.js";
import { uncontrolledPlans } from "../../charging/scheduler.js";
import type { SignedMessage } from "../../evidence/messages.js";
import type { EvidenceStore } from "../../evidence/store.js";
import { flowParty, type DayContext } from "./context.js";
import { DayError } from "./errors.js";
import { gridInputsOf, TARIFF_ID } from "./grid.js";
import type { AggregatorParty, VehicleParty } from "./parties.js";

export interface DaySession {
  readonly vehicle: VehicleParty;
  readonly sessionId: string;
  readonly pseudonym: FlowParty;
  readonly accepted: AcceptedRequest;
  readonly userStore: EvidenceStore;
  /** The schedule in force and its plan. */
  schedule: SignedMessage<"Schedule">;
  plan: VehiclePlan;
  readonly decision: VehicleParty["answer"];
}

export interface Fleet {
  readonly aggregator: AggregatorParty;
  readonly party: FlowParty;
  readonly store: EvidenceStore;
  readonly book: PriceBook;
  readonly problem: FleetProblem;
  readonly plugged: PluggedVehicle[];
  /** Aligned with `problem.vehicles`; a rejected session stays here with `decision: "reject"`. */
  readonly sessions: DaySession[];
  readonly uncontrolled: VehiclePlan[];
  /** Vehicles whose request could not be met in full (answered with their shortfall). */
  readonly infeasible: number;
  readonly reschedules: number;
  readonly rejects: number;
}

const plugged = (v: VehicleParty, accepted: AcceptedRequest): PluggedVehicle => ({
  accepted,
  arrivalSlot: v.arrivalSlot,
  capacityKwh: v.capacityKwh,
  initialKwh: v.initialKwh,
  chargerKw: v.maxPowerW / 1000,
  chargeEfficiency: 0.92,
  dischargeEfficiency: 0.92,
  minKwh: Math.round(v.capacityKwh * 0.2),
});

/** Solves the fleet; targets that cannot be met are lowered by their least shortfall, once. */
async function solve(service: ScheduleService, problem: FleetProblem): Promise<{ problem: FleetProblem; plans: VehiclePlan[]; infeasible: number }> {
  const first = await service.schedule(problem);
  if (first.status === "scheduled") return { problem, plans: first.plans, infeasible: 0 };
  if (first.reason !== "targets") throw new DayError("FAILED", "the fleet problem has no schedule at all", { reason: first.reason });
  const lowered: FleetProblem = {
    ...problem,
    vehicles: problem.vehicles.map((v) => {
      const short = first.shortfallKwh[v.id];
      return short === undefined ? v : { ...v, targetKwh: Math.max(v.initialKwh, v.targetKwh - short - 1e-3) };
    }),
  };
  const second = await service.schedule(lowered);
  if (second.status !== "scheduled") throw new DayError("FAILED", "the fleet has no schedule even at its reachable targets");
  return { problem: lowered, plans: second.plans, infeasible: Object.keys(first.shortfallKwh).length };
}

export async function negotiateFleet(
  day: DayContext,
  aggregator: AggregatorParty,
  issuers: readonly PseudonymIssuer[],
  tariff: SignedArtefact<"Tariff">,
  dischargeAnswers: readonly (boolean | undefined)[],
  service: ScheduleService,
): Promise<Fleet> {
  const { clock, domains, directory } = day;
  const random = day.random.fork(`negotiation/${aggregator.id}`);
  const party = flowParty(aggregator);
  const store = day.aggregatorStores[aggregator.index]!;
  const host = day.parties.suppliers[aggregator.host]!;
  const book = new PriceBook(directory, domains.charging);
  await book.acceptTariff(tariff, clock.now);

  const vehicles = day.parties.vehicles.filter((v) => v.aggregator === aggregator.index);
  const pending: { v: VehicleParty; sessionId: string; pseudonym: FlowParty; accepted: AcceptedRequest }[] = [];
  for (const v of vehicles) {
    const now = clock.now;
    const key: Wallet = random.wallet();
    const pseudonym: FlowParty = { address: key.address, key };
    const cert = await issuers[v.home]!.certify(v.user.address, key.address, now - 60n, now + 86_400n);
    // The supplier keeps what it certified: its own bundles (the session's payments, a CDR's
    // dispute) can then attribute the pseudonym's receipts without the aggregator's store.
    day.supplierStores[v.home]!.certificates.put(cert);
    const sessionId = keccak256(hexlify(random.bytes(32)));
    const preferences = (dischargeAnswers[v.index] === true ? Preference.AncillaryServices : 0) | (v.offPeakOnly ? Preference.OffPeakOnly : 0);
    const request = await signFlowMessage(pseudonym, domains.evidence, "ReqEv", flowHeader(sessionId, day.sequences.take(key.address, sessionId), now, now + 600n, party.address), {
      pseudonym: key.address,
      pseudonymCert: cert.digest,
      targetSocBp: v.targetSocBp,
      departure: clock.slotStart(v.departureSlot),
      maxPowerW: v.maxPowerW,
      preferences,
    });
    const accepted = await acceptRequest(directory, domains, party, store, request, cert, now);
    await keepWithReceipt(domains.evidence, day.userStores[v.index]!, request, accepted.receipt, registeredKey(directory));
    pending.push({ v, sessionId, pseudonym, accepted });
    day.progress.tick();
  }

  const pluggedVehicles = pending.map((p) => plugged(p.v, p.accepted));
  const grid = gridInputsOf(aggregator.kind, pluggedVehicles.map((p) => p.chargerKw));
  const { problem, plans, infeasible } = await solve(service, fleetProblemFrom(book, host.account.address, TARIFF_ID, grid, pluggedVehicles));
  const schedules = await signSchedules(party, day.sequences, domains.evidence, problem, clock.dayStart, plans, pluggedVehicles, 0, clock.now);

  const sessions: DaySession[] = [];
  let reschedules = 0;
  let rejects = 0;
  for (const [i, p] of pending.entries()) {
    const userStore = day.userStores[p.v.index]!;
    let schedule = schedules[i]!;
    await deliverSchedule(day, party, store, p.pseudonym, userStore, p.accepted.request, schedule);
    if (p.v.answer === "reschedule") {
      // The user asks again; the aggregator answers with the next revision of the same plan.
      await confirmAndStore(day, party, store, p.pseudonym, userStore, schedule, Decision.Reschedule);
      schedule = (await signSchedules(party, day.sequences, domains.evidence, problem, clock.dayStart, [plans[i]!], [pluggedVehicles[i]!], 1, clock.now))[0]!;
      await deliverSchedule(day, party, store, p.pseudonym, userStore, p.accepted.request, schedule);
      reschedules++;
    }
    const decision = p.v.answer === "reject" ? Decision.Reject : Decision.Accept;
    await confirmAndStore(day, party, store, p.pseudonym, userStore, schedule, decision);
    if (decision === Decision.Reject) rejects++;
    sessions.push({ vehicle: p.v, sessionId: p.sessionId, pseudonym: p.pseudonym, accepted: p.accepted, userStore, schedule: schedule, plan: plans[i]!, decision: p.v.answer });
  }
  return { aggregator, party, store, book, problem, plugged: pluggedVehicles, sessions, uncontrolled: uncontrolledPlans(problem), infeasible, reschedules, rejects };
}

/** The user receives a schedule (receipted into its store); the aggregator keeps it with the receipt. */
export async function deliverSchedule(
  day: DayContext,
  aggregator: FlowParty,
  aggregatorStore: EvidenceStore,
  pseudonym: FlowParty,
  userStore: EvidenceStore,
  request: SignedMessage<"ReqEv">,
  schedule: SignedMessage<"Schedule">,
): Promise<void> {
  const receipt = await receiveSchedule(pseudonym, day.domains.evidence, day.directory, userStore, request, schedule, day.clock.now);
  await keepWithReceipt(day.domains.evidence, aggregatorStore, schedule, receipt, ownKey);
}

/** The user's signed answer, receipted by the aggregator and kept by the user. */
export async function confirmAndStore(
  day: DayContext,
  aggregator: FlowParty,
  aggregatorStore: EvidenceStore,
  pseudonym: FlowParty,
  userStore: EvidenceStore,
  schedule: SignedMessage<"Schedule">,
  decision: number,
): Promise<void> {
  const now = day.clock.now;
  const confirmation = await confirmSchedule(pseudonym, day.sequences, day.domains.evidence, schedule, decision, now);
  const receipt = await receiveConfirmation(aggregator, day.domains.evidence, aggregatorStore, schedule, confirmation, now);
  await keepWithReceipt(day.domains.evidence, userStore, confirmation, receipt, registeredKey(day.directory));
}
