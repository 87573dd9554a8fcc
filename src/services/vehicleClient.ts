/**
 * The vehicle's side over the network: a small HTTP client of a LAG service and the complete
 * charging → FC authentication through it (the BV state machine of `src/protocol` unchanged).
 * Refusals come back as the `ProtocolError` the LAG raised (see `serviceClient.ts`).
 */
import {
  VehicleAuth,
  VehicleMemory,
  type CaPublicKeys,
  type PartyContext,
  type VehicleAuthResult,
  type VehicleCredential,
} from "../protocol/index.js";
import { ServiceClient, type ServiceClientOptions } from "./serviceClient.js";

/** Options of a LAG client. */
export type LagClientOptions = ServiceClientOptions;

/** A LAG service as a vehicle reaches it. */
export class LagClient extends ServiceClient {
  constructor(baseUrl: string, options: LagClientOptions = {}) {
    super(baseUrl, "the LAG", options);
  }

  /** A fresh challenge. */
  challenge(): Promise<Uint8Array> {
    return this.post("/v1/auth/challenge", new Uint8Array(0));
  }

  /** Delivers a response; resolves with the LAG's confirmation. */
  respond(response: Uint8Array): Promise<Uint8Array> {
    return this.post("/v1/auth/response", response);
  }
}

/** One complete charging → FC authentication of a vehicle at a LAG service. */
export async function authenticateAtLag(
  client: LagClient,
  ctx: PartyContext,
  credential: VehicleCredential,
  ca: CaPublicKeys,
  memory: VehicleMemory = new VehicleMemory(),
): Promise<VehicleAuthResult> {
  const run = new VehicleAuth(ctx, credential, ca, memory);
  const response = run.onChallenge(await client.challenge());
  return run.onConfirm(await client.respond(response));
}

/** A vehicle that holds a challenge and its signed response, ready to deliver. */
export interface SignedResponse {
  readonly run: VehicleAuth;
  readonly response: Uint8Array;
}

/**
 * Fetches one challenge per credential and signs each response, without delivering it — so a
 * measurement can time the LAG alone (the vehicles' signing happens before, off the clock).
 */
export async function fetchAndSign(
  client: LagClient,
  ctx: PartyContext,
  credentials: readonly VehicleCredential[],
  ca: CaPublicKeys,
): Promise<SignedResponse[]> {
  const out: SignedResponse[] = [];
  for (const credential of credentials) {
    const run = new VehicleAuth(ctx, credential, ca, new VehicleMemory());
    out.push({ run, response: run.onChallenge(await client.challenge()) });
  }
  return out;
}
