/**
 * Discharge requests: the CA signs one request per LAG for the V2G-capable vehicles behind it;
 * the LAG offers it on each vehicle's session; each vehicle answers accept or decline inside an
 * envelope only the CA opens, ring-signed; the LAG forwards the sealed answers to the CA service
 * over HTTP. The CA's tally is the day's answer; a vehicle's own answer decides whether it offers
 * V2G in its REQ_EV.
 */
import { decodeMessage, epochOf, LagDischargeDesk, VehicleDischarge } from "../../protocol/index.js";
import type { Authenticated } from "./authentication.js";
import type { DayClock } from "./clock.js";
import { DayError } from "./errors.js";
import type { Parties } from "./parties.js";
import type { DayServices } from "./services.js";

export interface DischargeOutcome {
  readonly requested: number;
  readonly accepted: number;
  readonly declined: number;
  /** Per vehicle: whether it accepted (undefined: not asked). */
  readonly answers: (boolean | undefined)[];
}

export async function runDischargeRequests(parties: Parties, services: DayServices, sessions: readonly Authenticated[], clock: DayClock): Promise<DischargeOutcome> {
  const { ctx, ca } = services;
  const answers: (boolean | undefined)[] = new Array(parties.vehicles.length).fill(undefined);
  let requested = 0;
  let accepted = 0;
  let declined = 0;
  for (const a of parties.aggregators) {
    const fleet = parties.vehicles.filter((v) => v.aggregator === a.index && a.kind !== "public");
    if (fleet.length === 0) continue;
    const lag = services.lags[a.index]!;
    const now = clock.now;
    const energyWh = BigInt(fleet.length * 5_000);
    const requestBytes = services.caService.discharge.issue(lag.identity.lagId, epochOf(now, ctx.config), energyWh, now - 10n, now + 3_600n);
    const { requestId } = decodeMessage("DischargeRequest", requestBytes);
    const desk = new LagDischargeDesk(ctx, ca.publicKeys, lag.toCa);
    for (const v of fleet) {
      const s = sessions[v.index]!;
      const vehicle = new VehicleDischarge(ctx, s.vehicle, ca.publicKeys, services.credentials[v.index]!);
      vehicle.onOffer(desk.offer(s.lagSession, requestBytes));
      const forward = desk.onAnswer(s.lagSession, vehicle.answer(requestId, v.acceptsDischarge));
      const receipt = await services.caClient.forwardDischargeAnswer(forward);
      if (!receipt.applied) throw new DayError("FAILED", "the CA did not apply a first discharge answer", { vehicle: v.id });
      answers[v.index] = v.acceptsDischarge;
      requested++;
    }
    const tally = services.caService.discharge.tally(requestId);
    accepted += tally.accepted;
    declined += tally.declined;
  }
  return { requested, accepted, declined, answers };
}
