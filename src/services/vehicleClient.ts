/**
 * The vehicle's side over the network: a small HTTP client of a LAG service, the complete
 * charging → FC authentication through it, and the session after it (`VehicleSessionClient`:
 * poll, status report, discharge answer); the BV state machines of `src/protocol` unchanged.
 * Refusals come back as the `ProtocolError` the LAG raised (see `serviceClient.ts`).
 */
import { z } from "zod";
import {
  peekMessage,
  ProtocolError,
  VehicleAuth,
  VehicleDischarge,
  VehicleMemory,
  VehicleStatusReport,
  type CaPublicKeys,
  type DischargeRequest,
  type PartyContext,
  type VehicleAuthResult,
  type VehicleCredential,
  type VehicleSession,
} from "../protocol/index.js";
import { forwardReceiptSchema } from "./caClient.js";
import type { ForwardReceipt } from "./caServer.js";
import type { RequestReceipt, StatusReceipt } from "./lagSessions.js";
import { ServiceClient, type ServiceClientOptions } from "./serviceClient.js";

const statusReceiptSchema = z.object({ queued: z.number().int().min(0), forwarded: z.boolean() });
const requestReceiptSchema = z.object({ requestId: z.string().regex(/^[0-9a-f]{32}$/), notAfter: z.string().regex(/^\d+$/) });

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

  /** Delivers a `SessionPoll`; resolves with the next message the LAG holds for the session, or undefined. */
  async poll(sessionPoll: Uint8Array): Promise<Uint8Array | undefined> {
    const next = await this.post("/v1/session/poll", sessionPoll);
    return next.length === 0 ? undefined : next;
  }

  /** Delivers a `StatusReport`. */
  reportStatus(report: Uint8Array): Promise<StatusReceipt> {
    return this.postForJson("/v1/session/status", report, statusReceiptSchema);
  }

  /** Delivers a `DischargeAnswer`; resolves with the CA's receipt as the LAG forwarded it. */
  answerDischarge(answer: Uint8Array): Promise<ForwardReceipt> {
    return this.postForJson("/v1/session/discharge", answer, forwardReceiptSchema);
  }

  /** Hands a CA-signed `DischargeRequest` to the LAG, which offers it to its sessions. */
  deliverDischargeRequest(request: Uint8Array): Promise<RequestReceipt> {
    return this.postForJson("/v1/discharge/request", request, requestReceiptSchema);
  }
}

/** The most messages `VehicleSessionClient.drain` reads in one call. */
export const MAX_DRAIN = 32;

/**
 * A vehicle's session at a LAG service after authentication: it polls for what the LAG holds
 * (status rounds, discharge offers, status deliveries), checks each with the protocol's state
 * machines, and sends its status report and discharge answers.
 */
export class VehicleSessionClient {
  private readonly status: VehicleStatusReport;
  private readonly discharge: VehicleDischarge;
  private round: Uint8Array | undefined;
  /** Offers received and checked, oldest first. */
  readonly offers: DischargeRequest[] = [];
  /** The CA's answers to this vehicle's status reports. */
  readonly deliveries: { readonly status: bigint; readonly aggregate: bigint; readonly count: number }[] = [];

  constructor(
    private readonly client: LagClient,
    private readonly ctx: PartyContext,
    private readonly session: VehicleSession,
    ca: CaPublicKeys,
    credential: VehicleCredential,
  ) {
    this.status = new VehicleStatusReport(ctx, session, ca, credential);
    this.discharge = new VehicleDischarge(ctx, session, ca, credential);
  }

  /** Polls once and takes in what arrives; resolves with its message name, or undefined when nothing is held. */
  async poll(): Promise<string | undefined> {
    const bytes = await this.client.poll(this.session.channel.seal("SessionPoll", {}, this.ctx.clock()));
    if (bytes === undefined) return undefined;
    const name = peekMessage(bytes);
    if (name === "StatusRound") this.round = bytes;
    else if (name === "DischargeOffer") this.offers.push(this.discharge.onOffer(bytes));
    else if (name === "StatusDelivery") this.deliveries.push(this.status.onDelivery(bytes));
    else throw new ProtocolError("UNEXPECTED_MESSAGE", `the LAG sent ${name} to a session poll`);
    return name;
  }

  /** Polls until the LAG holds nothing more for this session (at most `MAX_DRAIN` messages). */
  async drain(): Promise<void> {
    for (let i = 0; i < MAX_DRAIN; i++) if ((await this.poll()) === undefined) return;
  }

  /** Answers an offered discharge request (accept or decline, indistinguishable to the LAG). */
  answerDischarge(requestId: Uint8Array, accept: boolean): Promise<ForwardReceipt> {
    return this.client.answerDischarge(this.discharge.answer(requestId, accept));
  }

  /** Reports a status in the round the LAG announced last (`OUT_OF_ORDER` before any round arrived). */
  async reportStatus(status: bigint): Promise<StatusReceipt> {
    if (this.round === undefined) throw new ProtocolError("OUT_OF_ORDER", "no status round was announced to this session");
    const round = this.round;
    this.round = undefined;
    return this.client.reportStatus(this.status.report(status, round));
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
