/**
 * Discharge requests, over the services as in the field: the CA's operator issues one request
 * per LAG for the V2G-capable vehicles behind it through the CA service's operator route and
 * hands the signed request to the LAG service; each vehicle polls its session at the LAG over
 * HTTP, takes the offer, and answers accept or decline inside an envelope only the CA opens,
 * ring-signed; the LAG forwards each sealed answer to the CA service. The CA's tally, read over
 * the operator route, is the day's answer; a vehicle's own answer decides whether it offers V2G
 * in its REQ_EV.
 */
import { ctEqual } from "../../crypto/index.js";
import { decodeMessage } from "../../protocol/index.js";
import { VehicleSessionClient } from "../../services/vehicleClient.js";
import type { Authenticated } from "./authentication.js";
import { DayError } from "./errors.js";
import type { Parties, VehicleParty } from "./parties.js";
import type { DayLag, DayServices } from "./services.js";

export interface DischargeOutcome {
  readonly requested: number;
  readonly accepted: number;
  readonly declined: number;
  /** Per vehicle: whether it accepted (undefined: not asked). */
  readonly answers: (boolean | undefined)[];
}

/** How long vehicles may answer a request of the day. */
const ANSWER_SECONDS = 3_600;

/**
 * The requests are issued one LAG after the other (the CA signs each); then the vehicles of each
 * LAG answer in turn, the LAGs at once, each vehicle drawing from its own stream of the seed, so
 * the answers repeat with the seed whatever order the LAGs' answers reach the CA in.
 */
export async function runDischargeRequests(parties: Parties, services: DayServices, sessions: readonly Authenticated[]): Promise<DischargeOutcome> {
  const { ca } = services;
  const answers: (boolean | undefined)[] = new Array(parties.vehicles.length).fill(undefined);
  const rounds: { fleet: VehicleParty[]; lag: DayLag; requestId: Uint8Array; tallyId: string }[] = [];
  for (const a of parties.aggregators) {
    const fleet = parties.vehicles.filter((v) => v.aggregator === a.index && a.kind !== "public");
    if (fleet.length === 0) continue;
    const lag = services.lags[a.index]!;
    const issued = await services.operator.issueDischargeRequest({ lagId: a.lagId, energyWh: fleet.length * 5_000, validSeconds: ANSWER_SECONDS });
    await lag.client.deliverDischargeRequest(issued.request);
    rounds.push({ fleet, lag, requestId: decodeMessage("DischargeRequest", issued.request).requestId, tallyId: issued.requestId });
  }
  await Promise.all(
    rounds.map(async ({ fleet, lag, requestId }) => {
      for (const v of fleet) {
        const session = new VehicleSessionClient(lag.client, services.vehicleContexts[v.index]!, sessions[v.index]!.vehicle, ca.publicKeys, services.credentials[v.index]!);
        await session.drain();
        if (!session.offers.some((o) => ctEqual(o.requestId, requestId))) throw new DayError("FAILED", "the LAG did not offer the discharge request to a vehicle", { vehicle: v.id });
        const receipt = await session.answerDischarge(requestId, v.acceptsDischarge);
        if (!receipt.applied) throw new DayError("FAILED", "the CA did not apply a first discharge answer", { vehicle: v.id });
        answers[v.index] = v.acceptsDischarge;
      }
    }),
  );
  let accepted = 0;
  let declined = 0;
  for (const { tallyId } of rounds) {
    const tally = await services.operator.dischargeTally(tallyId);
    accepted += tally.accepted;
    declined += tally.declined;
  }
  const requested = rounds.reduce((n, r) => n + r.fleet.length, 0);
  return { requested, accepted, declined, answers };
}
