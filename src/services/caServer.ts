/**
 * `ca serve`: the CA's side of the LAG–CA protocols as a long-running service over HTTP, on the
 * shared service skeleton (`serviceApp.ts`). Bodies are protocol bytes sealed on the LAG–CA
 * channel.
 *
 *   POST /v1/status/batch        StatusBatch → StatusResult (the signed aggregate, per-vehicle replies)
 *   POST /v1/discharge/forward   DischargeForward → JSON { requestId, applied }
 *   GET  /health, GET /metrics (Prometheus text format)
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
import type { Logger } from "pino";
import { bytesToHex } from "../crypto/index.js";
import {
  CaDischargeDesk,
  CaStatusDesk,
  peekMessage,
  ProtocolError,
  restartSafeFirstCounter,
  type CentralAuthority,
  type MessageName,
  type SyncKeyImageStore,
} from "../protocol/index.js";
import { startAnswerPool, type AnswerPool } from "./answerPool.js";
import { caMetrics, type CaMetrics } from "./metrics.js";
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
  readonly logger: Logger;
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
