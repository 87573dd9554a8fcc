/**
 * The aggregator's side of Figure 2: from accepted REQ_EVs and the supplier's signed prices to
 * one fleet problem, and from its optimised plans to one signed `Schedule` per vehicle; the
 * user answers with a signed `Confirmation` (accept, reschedule, reject → uncontrolled).
 * Prices come only from the `PriceBook` (signed tariffs and signals): never from elsewhere.
 * Each receiver receipts what it gets (the user its `Schedule`, the aggregator the user's
 * `Confirmation`) into its evidence store; the origin keeps both with `keepWithReceipt`.
 */
import type { TypedDataDomain } from "ethers";
import type { SignedMessage, SignedReceipt } from "../evidence/messages.js";
import type { EvidenceStore } from "../evidence/store.js";
import { ChargingError } from "./errors.js";
import type { FleetProblem, VehicleRequest } from "./fleet.js";
import type { VehiclePlan } from "./fleetModel.js";
import { checkIncoming, flowHeader, ownKey, receiptAndStore, registeredKey, signFlowMessage, type FlowParty, type FlowSequences } from "./flowEvidence.js";
import type { KeyDirectory } from "./keyDirectory.js";
import { toUnitsPerKwh, type PriceBook } from "./prices.js";
import { Preference, type AcceptedRequest } from "./requests.js";

/** What the aggregator knows of a vehicle besides its REQ_EV (from the charger and the vehicle). */
export interface PluggedVehicle {
  accepted: AcceptedRequest;
  arrivalSlot: number;
  capacityKwh: number;
  initialKwh: number;
  chargerKw: number;
  chargeEfficiency: number;
  dischargeEfficiency: number;
  /** Floor for V2G discharge (kWh). */
  minKwh: number;
}

export interface GridInputs {
  renewableKw: readonly number[];
  feederImportKw: readonly number[];
  feederExportKw: readonly number[];
  degradationPerKwh: number;
}

/** `ConfirmationBody.decision`. */
export const Decision = { Accept: 0, Reschedule: 1, Reject: 2 } as const;

export function fleetProblemFrom(book: PriceBook, supplier: string, tariffId: string, grid: GridInputs, vehicles: readonly PluggedVehicle[]): FleetProblem {
  const prices = book.prices(supplier, tariffId);
  const slots = prices.importPrice.length;
  const requests = vehicles.map((v): VehicleRequest => {
    const body = v.accepted.request.body;
    const departure = Number((body.departure - prices.start) / BigInt(prices.slotSeconds));
    if (departure <= v.arrivalSlot) throw new ChargingError("BAD_INPUT", "departure before arrival in the tariff's slots", { pseudonym: body.pseudonym });
    const v2g = (body.preferences & Preference.AncillaryServices) !== 0;
    const maxKw = Math.min(v.chargerKw, body.maxPowerW / 1000);
    return {
      id: body.pseudonym,
      arrivalSlot: v.arrivalSlot,
      departureSlot: Math.min(slots, departure),
      capacityKwh: v.capacityKwh,
      initialKwh: v.initialKwh,
      targetKwh: (v.capacityKwh * body.targetSocBp) / 10_000,
      minKwh: v2g ? Math.min(v.minKwh, v.initialKwh) : Math.min(v.initialKwh, (v.capacityKwh * body.targetSocBp) / 10_000),
      maxChargeKw: maxKw,
      maxDischargeKw: v2g ? maxKw : 0,
      chargeEfficiency: v.chargeEfficiency,
      dischargeEfficiency: v.dischargeEfficiency,
      renewableShare: (body.preferences & Preference.RenewableOnly) !== 0 ? 1 : 0,
      offPeakOnly: (body.preferences & Preference.OffPeakOnly) !== 0,
    };
  });
  return {
    slotSeconds: prices.slotSeconds,
    slots,
    importPrice: prices.importPrice.map(toUnitsPerKwh),
    exportPrice: prices.exportPrice.map(toUnitsPerKwh),
    peak: prices.peak,
    ...grid,
    vehicles: requests,
  };
}

/**
 * Signs one `Schedule` per vehicle: power per slot in watts (negative: discharge) and the cost
 * estimate in micro-units, rounded up (an estimate never promises less than the plan costs; a
 * plan that earns more than it costs is estimated at 0, since the field is unsigned).
 */
export async function signSchedules(
  aggregator: FlowParty,
  /** The aggregator's sequence numbers: each schedule takes the next one of its session. */
  sequences: FlowSequences,
  domain: TypedDataDomain,
  problem: FleetProblem,
  start: bigint,
  plans: readonly VehiclePlan[],
  vehicles: readonly PluggedVehicle[],
  revision: number,
  now: bigint,
  validitySeconds = 900n,
): Promise<SignedMessage<"Schedule">[]> {
  const h = problem.slotSeconds / 3600;
  return Promise.all(
    plans.map((plan, i) => {
      const v = vehicles[i]!;
      if (plan.id.toLowerCase() !== v.accepted.request.body.pseudonym.toLowerCase()) throw new ChargingError("BAD_INPUT", "plans and vehicles out of order");
      let cost = 0;
      for (let t = 0; t < problem.slots; t++) {
        cost += h * (problem.importPrice[t]! * plan.chargeKw[t]! + (problem.degradationPerKwh - problem.exportPrice[t]!) * plan.dischargeKw[t]!);
      }
      const powerW = plan.chargeKw.map((c, t) => Math.round((c - plan.dischargeKw[t]!) * 1000));
      const req = v.accepted.request;
      return signFlowMessage(aggregator, domain, "Schedule", flowHeader(req.header.sessionId, sequences.take(aggregator.address, req.header.sessionId), now, now + validitySeconds, req.body.pseudonym), {
        requestDigest: req.digest,
        start,
        slotSeconds: problem.slotSeconds,
        powerW,
        costEstimate: cost > 0 ? BigInt(Math.ceil(cost * 1e6)) : 0n,
        revision,
      });
    }),
  );
}

/** The user's answer to a schedule, signed with the session's pseudonym key (numbered in `sequences`). */
export async function confirmSchedule(pseudonym: FlowParty, sequences: FlowSequences, domain: TypedDataDomain, schedule: SignedMessage<"Schedule">, decision: number, now: bigint): Promise<SignedMessage<"Confirmation">> {
  if (!Object.values(Decision).includes(decision as 0)) throw new ChargingError("BAD_INPUT", "decision must be accept, reschedule or reject", { decision });
  return signFlowMessage(pseudonym, domain, "Confirmation", flowHeader(schedule.header.sessionId, sequences.take(pseudonym.address, schedule.header.sessionId), now, now + 900n, schedule.party), { scheduleDigest: schedule.digest, decision });
}

/**
 * The user receives the `Schedule` answering its `request` at `now`: from the aggregator the
 * request was addressed to (a registered key of it), to the request's pseudonym, for that request;
 * signs its receipt and stores both. Throws a typed `ChargingError` (storing nothing) otherwise.
 */
export async function receiveSchedule(
  pseudonym: FlowParty,
  domain: TypedDataDomain,
  directory: KeyDirectory,
  store: EvidenceStore,
  request: SignedMessage<"ReqEv">,
  schedule: SignedMessage<"Schedule">,
  now: bigint,
): Promise<SignedReceipt> {
  const aggregator = request.header.receiver;
  if (aggregator === undefined) throw new ChargingError("BAD_INPUT", "REQ_EV names no aggregator");
  await checkIncoming(pseudonym.address, domain, schedule, "Schedule", aggregator, registeredKey(directory), now);
  if (schedule.body.requestDigest !== request.digest || schedule.header.sessionId !== request.header.sessionId) {
    throw new ChargingError("REFUSED", "schedule for another request", { requestDigest: schedule.body.requestDigest });
  }
  return receiptAndStore(pseudonym, domain, store, schedule, now);
}

/**
 * The aggregator receives the user's `Confirmation` of `schedule` at `now`: signed by the
 * schedule's pseudonym, addressed to the aggregator, naming that schedule; signs its receipt and
 * stores both. Throws a typed `ChargingError` (storing nothing) otherwise.
 */
export async function receiveConfirmation(
  aggregator: FlowParty,
  domain: TypedDataDomain,
  store: EvidenceStore,
  schedule: SignedMessage<"Schedule">,
  confirmation: SignedMessage<"Confirmation">,
  now: bigint,
): Promise<SignedReceipt> {
  const pseudonym = schedule.header.receiver;
  if (pseudonym === undefined) throw new ChargingError("BAD_INPUT", "schedule names no receiver");
  await checkIncoming(aggregator.address, domain, confirmation, "Confirmation", pseudonym, ownKey, now);
  if (confirmation.body.scheduleDigest !== schedule.digest || confirmation.header.sessionId !== schedule.header.sessionId) {
    throw new ChargingError("REFUSED", "confirmation of another schedule", { scheduleDigest: confirmation.body.scheduleDigest });
  }
  if (!Object.values(Decision).includes(confirmation.body.decision as 0)) throw new ChargingError("BAD_INPUT", "unknown decision", { decision: confirmation.body.decision });
  return receiptAndStore(aggregator, domain, store, confirmation, now);
}
