/**
 * `ca serve`: the CA's side of the LAG–CA protocols as a long-running service over HTTP, on the
 * shared service skeleton (`serviceApp.ts`). Bodies are protocol bytes sealed on the LAG–CA
 * channel.
 *
 *   POST /v1/status/batch        StatusBatch → StatusResult (the signed aggregate, per-vehicle replies)
 *   POST /v1/discharge/forward   DischargeForward → JSON { requestId, applied }
 *   POST /v1/operator/discharge-requests      (operator) JSON { lagId, energyWh, validSeconds? } → JSON { requestId, request }
 *   GET  /v1/operator/discharge-requests/:id  (operator) → JSON { requestId, accepted, declined }
 *   GET  /health, GET /metrics (Prometheus text format)
 *
 * The operator's routes take a bearer token (`operatorToken.ts`), checked after the rate limit
 * and before the body is parsed; without a configured token they refuse every caller.
 *
 * Work per request is bounded and cheapest first: body size (before it is read), per-client rate
 * (before the body is parsed), version and message type, the concurrency cap (503 with
 * Retry-After), then the desk's cheap checks (channel and its counter, round, envelopes, group
 * versions, encodings), and only then the ring checks — on the worker pool, never on the event
 * loop; a batch of up to 256 entries is split over the workers. The rounds already counted are
 * written to the durable store before the answer is sent, so a restarted CA refuses a replayed
 * batch. `stop()` drains: new requests are refused, in-flight ones finish, the pool and the
 * store are closed.
 */
import type { FastifyReply } from "fastify";
import type { Logger } from "pino";
import { z } from "zod";
import { bytesToHex, decodePermit, hexToBytes } from "../crypto/index.js";
import {
  CaDischargeDesk,
  CaStatusDesk,
  decodeMessage,
  epochOf,
  peekMessage,
  ProtocolError,
  restartSafeFirstCounter,
  type CentralAuthority,
  type MessageName,
  type SyncKeyImageStore,
} from "../protocol/index.js";
import { startAnswerPool, type AnswerPool } from "./answerPool.js";
import { caMetrics, type CaMetrics } from "./metrics.js";
import type { OperatorToken } from "./operatorToken.js";
import { bodyBytes, createServiceApp, OCTETS, RATE_LIMITED } from "./serviceApp.js";

/** Everything a CA service needs. */
export interface CaServiceOptions {
  /** The CA, with its group versions enrolled. */
  readonly ca: CentralAuthority;
  /** The permits of the LAGs it serves: their channels are (re)opened at the start. */
  readonly lagPermits: readonly Uint8Array[];
  /** The durable record of the rounds counted (SQLite). */
  readonly rounds: SyncKeyImageStore & { close(): Promise<void> };
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Ring-check worker threads. */
  readonly workers: number;
  /** LAG requests answered at once; beyond, 503. */
  readonly maxActive: number;
  /** Requests per client address and window. */
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Largest request body (bytes). */
  readonly bodyLimit: number;
  readonly maxConnections?: number;
  /** The operator's token (routes under `/v1/operator/`); absent: those routes refuse every caller. */
  readonly operatorToken?: OperatorToken;
  readonly logger: Logger;
}

/** Live discharge requests the operator may hold at once; beyond, `OVERLOADED`. */
export const MAX_LIVE_REQUESTS = 1024;

/** The operator's discharge request, as JSON. */
export const issueRequestSchema = z
  .object({
    /** The LAG's id (one of the LAGs whose permits the CA serves). */
    lagId: z.string().min(1).max(64),
    energyWh: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    /** How long vehicles may answer (default one hour). */
    validSeconds: z.number().int().min(60).max(86_400).default(3_600),
  })
  .strict();
export type IssueRequest = z.input<typeof issueRequestSchema>;

/** The CA's answer to an issued request: its id and the signed `DischargeRequest` (hex). */
export interface IssuedRequest {
  readonly requestId: string;
  readonly request: string;
}

/** The answers in force for one request. */
export interface RequestTally {
  readonly requestId: string;
  readonly accepted: number;
  readonly declined: number;
}

/** A running CA service. */
export interface CaService {
  readonly url: string;
  readonly status: CaStatusDesk;
  readonly discharge: CaDischargeDesk;
  readonly metrics: CaMetrics;
  readonly pool: AnswerPool["pool"];
  /** Drains and stops (idempotent). */
  stop(): Promise<void>;
}

/** The JSON answer to a forwarded discharge answer. */
export interface ForwardReceipt {
  readonly requestId: string;
  readonly applied: boolean;
}

/** Starts a CA service; resolves once it listens. */
export async function startCaService(o: CaServiceOptions): Promise<CaService> {
  if (!Number.isInteger(o.maxActive) || o.maxActive < 1) throw new ProtocolError("INVALID_CONFIG", "maxActive must be an integer ≥ 1");
  // A restarted CA reopens each channel under the same key: its counters continue from the clock.
  const firstCounter = restartSafeFirstCounter();
  for (const permit of o.lagPermits) o.ca.admitLag(permit, firstCounter);
  const status = new CaStatusDesk(o.ca, { rounds: o.rounds });
  const discharge = new CaDischargeDesk(o.ca);
  // Each request runs at most one job per worker, so the queue never refuses an admitted request.
  const answerPool = await startAnswerPool({ size: o.workers, maxQueued: o.maxActive * o.workers });
  let active = 0;
  const metrics = caMetrics({ inFlight: () => active, ringChecks: () => answerPool.pool.inFlight });
  const service = await createServiceApp({
    name: "CA",
    logger: o.logger,
    bodyLimit: o.bodyLimit,
    rateLimit: o.rateLimit,
    registry: metrics.registry,
    onShed: (reason) => metrics.shed.inc({ reason }),
    health: () => ({ role: "ca", workers: answerPool.pool.size }),
    release: async () => {
      await answerPool.pool.close();
      await o.rounds.close();
    },
    ...(o.maxConnections === undefined ? {} : { maxConnections: o.maxConnections }),
  });
  const { app, refuse } = service;

  /** One LAG request of type `expected`, admitted under the cap; throws a ProtocolError on refusal. */
  const admit = async <T>(body: unknown, expected: MessageName, kind: string, handle: (bytes: Uint8Array) => Promise<T>): Promise<T> => {
    const bytes = bodyBytes(body);
    const type = peekMessage(bytes); // version and type before anything else
    if (type !== expected) throw new ProtocolError("UNEXPECTED_MESSAGE", `expected ${expected}, got ${type}`);
    if (active >= o.maxActive) {
      metrics.shed.inc({ reason: "concurrency" });
      throw new ProtocolError("OVERLOADED", "the CA is at its verification capacity");
    }
    active++;
    const end = metrics.requestSeconds.startTimer({ kind });
    try {
      return await handle(bytes);
    } finally {
      end();
      active--;
    }
  };
  const count = (kind: string) => (outcome: string) => metrics.requests.inc({ kind, outcome });

  // The operator's routes: rate limit, then the token (before the body is parsed), then the input.
  const servedLags = new Set(o.lagPermits.map((p) => new TextDecoder().decode(decodePermit(p).aggregatorId)));
  const live = new Map<string, bigint>();
  const operatorOnly = {
    config: { rateLimit: {} },
    onRequest: async (request: { headers: { authorization?: string | string[] } }, reply: FastifyReply) => {
      try {
        if (o.operatorToken === undefined) throw new ProtocolError("UNAUTHORIZED", "no operator token is configured");
        o.operatorToken.check(request.headers.authorization);
      } catch (error) {
        return refuse(reply, error, count("operator"));
      }
    },
  };
  app.post("/v1/operator/discharge-requests", operatorOnly, async (request, reply) => {
    try {
      const parsed = issueRequestSchema.safeParse(request.body);
      if (!parsed.success) throw new ProtocolError("MALFORMED", `invalid discharge request: ${parsed.error.issues[0]?.path.join(".") || "(body)"} ${parsed.error.issues[0]?.message ?? ""}`.trim());
      const { lagId, energyWh, validSeconds } = parsed.data;
      if (!servedLags.has(lagId)) throw new ProtocolError("WRONG_SCOPE", "this CA serves no LAG with this id");
      const now = o.ca.ctx.clock();
      for (const [id, notAfter] of live) if (notAfter < now) live.delete(id);
      if (live.size >= MAX_LIVE_REQUESTS) throw new ProtocolError("OVERLOADED", "as many discharge requests are live as the CA holds");
      const bytes = discharge.issue(new TextEncoder().encode(lagId), epochOf(now, o.ca.ctx.config), BigInt(energyWh), now - o.ca.ctx.config.clockSkewSeconds, now + BigInt(validSeconds));
      const { requestId, notAfter } = decodeMessage("DischargeRequest", bytes);
      live.set(bytesToHex(requestId), notAfter);
      count("discharge-issue")("accepted");
      return reply.send({ requestId: bytesToHex(requestId), request: bytesToHex(bytes) } satisfies IssuedRequest);
    } catch (error) {
      return refuse(reply, error, count("discharge-issue"));
    }
  });
  app.get<{ Params: { requestId: string } }>("/v1/operator/discharge-requests/:requestId", operatorOnly, async (request, reply) => {
    try {
      const { requestId } = request.params;
      if (!/^[0-9a-f]{32}$/.test(requestId)) throw new ProtocolError("MALFORMED", "a request id is 16 bytes of lower-case hex");
      const tally = discharge.tally(hexToBytes(requestId));
      count("discharge-tally")("accepted");
      return reply.send({ requestId, ...tally } satisfies RequestTally);
    } catch (error) {
      return refuse(reply, error, count("discharge-tally"));
    }
  });

  app.post("/v1/status/batch", RATE_LIMITED, async (request, reply) => {
    try {
      const result = await admit(request.body, "StatusBatch", "status-batch", (bytes) => status.onBatchWith(bytes, answerPool.verify));
      count("status-batch")("accepted");
      return reply.type(OCTETS).send(Buffer.from(result));
    } catch (error) {
      return refuse(reply, error, count("status-batch"));
    }
  });
  app.post("/v1/discharge/forward", RATE_LIMITED, async (request, reply) => {
    try {
      const result = await admit(request.body, "DischargeForward", "discharge-forward", (bytes) => discharge.onForwardWith(bytes, answerPool.verify));
      count("discharge-forward")("accepted");
      const receipt: ForwardReceipt = { requestId: bytesToHex(result.requestId), applied: result.applied };
      return reply.type("application/json").send(receipt);
    } catch (error) {
      return refuse(reply, error, count("discharge-forward"));
    }
  });

  const url = await service.listen(o.host, o.port);
  o.logger.info({ url, workers: o.workers, maxActive: o.maxActive }, "CA service listening");
  return { url, status, discharge, metrics, pool: answerPool.pool, stop: service.stop };
}
