/**
 * Vehicles authenticate at their aggregator's LAG service over HTTP with ring signatures (the
 * vehicle client); the LAG learns only the group attribute. Two attacks are tried and must be
 * refused: a captured response delivered again, and a second authentication of the same
 * vehicle in the same scope (its key image gives it away).
 */
import { ProtocolError, VehicleAuth, VehicleMemory, type LagSession, type VehicleAuthResult } from "../../protocol/index.js";
import { authenticateAtLag } from "../../services/vehicleClient.js";
import { DayError } from "./errors.js";
import type { Parties, VehicleParty } from "./parties.js";
import type { DayServices } from "./services.js";

export interface Authenticated {
  readonly vehicle: VehicleAuthResult;
  readonly lagSession: LagSession;
}

export interface AuthenticationOutcome {
  /** Indexed by vehicle. */
  readonly sessions: Authenticated[];
  readonly attempts: number;
  readonly accepted: number;
  readonly refused: Record<string, number>;
  /** Attributes the LAGs learned. */
  readonly learned: string[];
}

/** Expects `attempt` to be refused by the LAG; returns the refusal's code. */
async function refusedCode(attempt: () => Promise<unknown>, what: string): Promise<string> {
  try {
    await attempt();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  throw new DayError("FAILED", `the LAG accepted ${what}`);
}

/**
 * The vehicles of each LAG in turn, the LAGs at once: while one LAG's worker checks a ring
 * signature, the vehicles of the others sign theirs. Each LAG serves its own vehicles in index
 * order and every party draws from its own stream of the seed (`DayServices.vehicleContexts`,
 * the LAGs' contexts), so every challenge, signature and session repeats with the seed.
 */
export async function authenticateVehicles(parties: Parties, services: DayServices, tick: () => void = () => {}): Promise<AuthenticationOutcome> {
  const { ca } = services;
  const sessions: Authenticated[] = new Array(parties.vehicles.length);
  const refused: Record<string, number> = {};
  const learned = new Set<string>();
  const memories = parties.vehicles.map(() => new VehicleMemory());
  let attempts = 0;
  let captured: { lag: number; response: Uint8Array } | undefined;
  const authenticate = async (v: VehicleParty): Promise<void> => {
    const lag = services.lags[v.aggregator]!;
    const ctx = services.vehicleContexts[v.index]!;
    const credential = services.credentials[v.index]!;
    attempts++;
    let vehicle: VehicleAuthResult;
    if (v.index === 0) {
      // The first vehicle's exchange is the one an eavesdropper records.
      const run = new VehicleAuth(ctx, credential, ca.publicKeys, memories[v.index]!);
      const response = run.onChallenge(await lag.client.challenge());
      vehicle = run.onConfirm(await lag.client.respond(response));
      captured = { lag: v.aggregator, response };
    } else {
      vehicle = await authenticateAtLag(lag.client, ctx, credential, ca.publicKeys, memories[v.index]!);
    }
    const lagSession = lag.service.auth.sessions.get(vehicle.channel.id);
    learned.add(lagSession.attribute);
    sessions[v.index] = { vehicle, lagSession };
    tick();
  };
  await Promise.all(
    services.lags.map(async (lag) => {
      for (const v of parties.vehicles) if (v.aggregator === lag.aggregator) await authenticate(v);
    }),
  );
  const recorded = captured;
  if (recorded === undefined) throw new DayError("FAILED", "the first vehicle's exchange was not recorded");
  const { ctx } = services;
  const count = (code: string) => (refused[code] = (refused[code] ?? 0) + 1);
  // The recorded response replayed to the same LAG.
  attempts++;
  count(await refusedCode(() => services.lags[recorded.lag]!.client.respond(recorded.response), "a replayed authentication response"));
  // The first vehicle again, same LAG and epoch, as if it had forgotten its earlier run.
  const first = parties.vehicles[0]!;
  attempts++;
  count(
    await refusedCode(
      () => authenticateAtLag(services.lags[first.aggregator]!.client, ctx, services.credentials[first.index]!, ca.publicKeys, new VehicleMemory()),
      "a second authentication of one vehicle in one scope",
    ),
  );
  return { sessions, attempts, accepted: parties.vehicles.length, refused, learned: [...learned].sort() };
}
