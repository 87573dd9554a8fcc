/**
 * Clients of a CA service: the LAG's side of the LAG–CA link (forwards what its desks sealed on
 * the LAG–CA channel and returns the CA's answer), and the CA operator's routes (issue discharge
 * requests, read their tallies) under the operator's bearer token. Refusals come back as the
 * `ProtocolError` the CA raised (see `serviceClient.ts`).
 */
import { z } from "zod";
import { hexToBytes } from "../crypto/index.js";
import type { IssuedRequest, IssueRequest, RequestTally } from "./caServer.js";
import { ServiceClient, type ServiceClientOptions } from "./serviceClient.js";

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
/** The CA's receipt of a forwarded discharge answer. */
export const forwardReceiptSchema = z.object({ requestId: hex(16), applied: z.boolean() });
const issuedSchema = z.object({ requestId: hex(16), request: z.string().regex(/^([0-9a-f]{2})+$/) });
const tallySchema = z.object({ requestId: hex(16), accepted: z.number().int().min(0), declined: z.number().int().min(0) });

/** A CA service as a LAG reaches it. */
export class CaClient extends ServiceClient {
  constructor(baseUrl: string, options: ServiceClientOptions = {}) {
    super(baseUrl, "the CA", options);
  }

  /** Sends a sealed `StatusBatch`; resolves with the sealed `StatusResult` for `LagStatusDesk.onResult`. */
  forwardStatusBatch(batch: Uint8Array): Promise<Uint8Array> {
    return this.post("/v1/status/batch", batch);
  }

  /** Sends a sealed `DischargeForward`; resolves with whether the CA applied the answer. */
  async forwardDischargeAnswer(forward: Uint8Array): Promise<{ readonly requestId: Uint8Array; readonly applied: boolean }> {
    const receipt = await this.postForJson("/v1/discharge/forward", forward, forwardReceiptSchema);
    return { requestId: hexToBytes(receipt.requestId), applied: receipt.applied };
  }
}

/** The CA operator's client: every call carries the operator's bearer token. */
export class CaOperatorClient extends ServiceClient {
  private readonly auth: Record<string, string>;

  constructor(baseUrl: string, token: string, options: ServiceClientOptions = {}) {
    super(baseUrl, "the CA", options);
    this.auth = { authorization: `Bearer ${token}` };
  }

  /** Issues a signed discharge request for the vehicles behind a LAG. */
  async issueDischargeRequest(request: IssueRequest): Promise<{ readonly requestId: string; readonly request: Uint8Array }> {
    const issued: IssuedRequest = await this.json("POST", "/v1/operator/discharge-requests", issuedSchema, { body: request, headers: this.auth });
    return { requestId: issued.requestId, request: hexToBytes(issued.request) };
  }

  /** The answers in force for a request (the latest per vehicle). */
  dischargeTally(requestId: string): Promise<RequestTally> {
    return this.json("GET", `/v1/operator/discharge-requests/${encodeURIComponent(requestId)}`, tallySchema, { headers: this.auth });
  }
}
