/**
 * `lag serve`: the LAG (EVAGG) as a long-running service over HTTP and WebSocket on the shared
 * service skeleton (`serviceApp.ts`), carrying the wire format of `src/protocol` as
 * `application/octet-stream` bodies (binary frames on the WebSocket).
 *
 *   POST /v1/auth/challenge            → AuthChallenge
 *   POST /v1/auth/response  AuthResponse → AuthConfirm
 *   POST /v1/session/poll      SessionPoll     → the next message held for the session (200), or 204
 *   POST /v1/session/status    StatusReport    → JSON { queued, forwarded }
 *   POST /v1/session/discharge DischargeAnswer → JSON { requestId, applied } (the CA's receipt)
 *   POST /v1/discharge/request DischargeRequest (CA-signed) → JSON { requestId, notAfter }
 *   GET  /v1/ws   binary AuthResponse / SessionPoll / StatusReport / DischargeAnswer; text "challenge"
 *   GET  /health, GET /metrics (Prometheus text format)
 *
 * Work per request is bounded and cheapest first: body size (before it is read), per-client rate
 * (before the body is parsed; on the WebSocket a token bucket per connection and per address),
 * version and type, then the LAG's cheap checks (session, windows, group version, membership,
 * session operator and counter), then the concurrency cap — a full pool answers 503 with
 * Retry-After — and only then a ring verification, on a worker thread. Session messages after
 * authentication never reach a worker (`lagSessions.ts`). `stop()` drains: new requests are
 * refused, in-flight ones finish, the pool and the key-image store are closed.
 */
import type { Logger } from "pino";
import {
  LagAuthenticator,
  openLagCaChannel,
  peekMessage,
  restartSafeFirstCounter,
  ProtocolError,
  toProtocolError,
  type CaPublicKeys,
  type GroupDirectory,
  type KeyImageStore,
  type LagAuthResult,
  type LagIdentity,
  type PartyContext,
} from "../protocol/index.js";
import { startAuthPool, type AuthPool } from "./authPool.js";
import { CaClient } from "./caClient.js";
import type { RefusalBody } from "./httpErrors.js";
import { LagSessionDesk } from "./lagSessions.js";
import { bodyBytes, createServiceApp, OCTETS, RATE_LIMITED } from "./serviceApp.js";
import { lagMetrics, type LagMetrics } from "./metrics.js";
import { AddressBuckets, checkRate, TokenBucket, type Rate } from "./tokenBucket.js";

/** Per-message rates of the WebSocket: per connection and per client address. */
export interface WsRateLimit {
  readonly connection: Rate;
  readonly address: Rate;
}

/** Default WebSocket rates: a vehicle sends a few messages a session; an address may carry many vehicles. */
export const DEFAULT_WS_RATE: WsRateLimit = { connection: { perSecond: 20, burst: 40 }, address: { perSecond: 200, burst: 400 } };
/** The WebSocket close code of a connection that keeps sending over its rate (RFC 6455: policy violation). */
export const WS_CLOSE_RATE = 1008;

/** Default age of a status batch at which it is forwarded with what it holds. */
export const DEFAULT_STATUS_BATCH_SECONDS = 60;
/** How often the service looks for a status batch due by time (ms). */
const BATCH_TIMER_MS = 1000;

/** Everything a LAG service needs. */
export interface LagServiceOptions {
  readonly ctx: PartyContext;
  readonly identity: LagIdentity;
  readonly ca: CaPublicKeys;
  readonly groups: GroupDirectory;
  readonly keyImages: KeyImageStore;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Verification worker threads. */
  readonly workers: number;
  /** Verifications allowed to wait for a worker; beyond, 503. */
  readonly maxQueued: number;
  /** Requests per client address and window (challenges and responses alike). */
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Largest request body (bytes). */
  readonly bodyLimit: number;
  /** Most open connections (HTTP keep-alive and WebSocket alike); beyond, new ones are dropped. */
  readonly maxConnections?: number;
  /** The CA service status batches and discharge answers are forwarded to; absent: they are refused `UNAVAILABLE`. */
  readonly caUrl?: string;
  /** Status reports per batch forwarded to the CA (default 16). */
  readonly statusBatchSize?: number;
  /** Seconds after its first report a batch is forwarded with what it holds, if at least the protocol's minimum (default 60). */
  readonly statusBatchSeconds?: number;
  /** Live discharge requests held (default 16). */
  readonly maxDischargeRequests?: number;
  /** Per-message rates of the WebSocket (default `DEFAULT_WS_RATE`). */
  readonly wsRate?: WsRateLimit;
  readonly logger: Logger;
}

/** A running LAG service. */
export interface LagService {
  readonly url: string;
  readonly auth: LagAuthenticator;
  /** The session messages after authentication. */
  readonly sessions: LagSessionDesk;
  readonly metrics: LagMetrics;
  readonly pool: AuthPool["pool"];
  /** Drains and stops (idempotent). */
  stop(): Promise<void>;
}

/** Starts a LAG service; resolves once it listens. */
export async function startLagService(o: LagServiceOptions): Promise<LagService> {
  const auth = new LagAuthenticator(o.ctx, o.identity, o.ca, o.groups, { keyImages: o.keyImages });
  const wsRate = o.wsRate ?? DEFAULT_WS_RATE;
  checkRate(wsRate.connection, "wsRate.connection");
  checkRate(wsRate.address, "wsRate.address");
  // A restarted LAG reopens its CA channel under the same key: its counters continue from the clock.
  const caClient = o.caUrl === undefined ? undefined : new CaClient(o.caUrl);
  const desk = new LagSessionDesk({
    ctx: o.ctx,
    lagId: o.identity.lagId,
    ca: o.ca,
    sessions: auth.sessions,
    statusBatchSize: o.statusBatchSize ?? 16,
    statusBatchSeconds: o.statusBatchSeconds ?? DEFAULT_STATUS_BATCH_SECONDS,
    maxRequests: o.maxDischargeRequests ?? 16,
    ...(caClient === undefined ? {} : { caLink: { client: caClient, toCa: openLagCaChannel(o.ctx.backend, o.identity, o.ca, restartSafeFirstCounter()) } }),
  });
  const authPool = await startAuthPool({ size: o.workers, maxQueued: o.maxQueued });
  const cap = o.workers + o.maxQueued;
  const metrics = lagMetrics({ inFlight: () => authPool.pool.inFlight, pending: () => auth.pendingCount, sessions: () => auth.sessions.size });
  const service = await createServiceApp({
    name: "LAG",
    logger: o.logger,
    bodyLimit: o.bodyLimit,
    rateLimit: o.rateLimit,
    websocket: true,
    registry: metrics.registry,
    onShed: (reason) => metrics.shed.inc({ reason }),
    health: () => ({ lagId: new TextDecoder().decode(o.identity.lagId), workers: authPool.pool.size }),
    release: async () => {
      clearInterval(batchTimer);
      await dueBatch;
      caClient?.close();
      await authPool.pool.close();
      await o.keyImages.close();
    },
    ...(o.maxConnections === undefined ? {} : { maxConnections: o.maxConnections }),
  });
  const { app, refuse } = service;
  let dueBatch: Promise<void> | undefined;

  /** One response, end to end; throws a ProtocolError on refusal. */
  const respond = async (bytes: Uint8Array): Promise<LagAuthResult> => {
    peekMessage(bytes); // version and type before anything else
    if (authPool.pool.inFlight >= cap) {
      metrics.shed.inc({ reason: "concurrency" });
      throw overloaded();
    }
    const end = metrics.authSeconds.startTimer();
    const result = await auth.respond(bytes, authPool.run);
    end();
    return result;
  };
  const challenge = (): Uint8Array => {
    const bytes = auth.challenge();
    metrics.challenges.inc({ outcome: "issued" });
    return bytes;
  };

  app.post("/v1/auth/challenge", RATE_LIMITED, async (_request, reply) => {
    try {
      return reply.type(OCTETS).send(Buffer.from(challenge()));
    } catch (error) {
      return refuse(reply, error, (code) => metrics.challenges.inc({ outcome: code }));
    }
  });
  app.post("/v1/auth/response", RATE_LIMITED, async (request, reply) => {
    try {
      const result = await respond(bodyBytes(request.body));
      metrics.authResponses.inc({ outcome: "accepted" });
      return reply.type(OCTETS).send(Buffer.from(result.confirm));
    } catch (error) {
      return refuse(reply, error, (code) => metrics.authResponses.inc({ outcome: code }));
    }
  });
  // Session messages after authentication: cheap checks only, never a worker.
  const session = {
    poll: (bytes: Uint8Array) => desk.poll(bytes),
    status: (bytes: Uint8Array) => desk.onStatusReport(bytes),
    discharge: (bytes: Uint8Array) => desk.onDischargeAnswer(bytes),
  };
  const counted = (kind: string) => (outcome: string) => metrics.sessionMessages.inc({ kind, outcome });
  app.post("/v1/session/poll", RATE_LIMITED, async (request, reply) => {
    try {
      const next = session.poll(bodyBytes(request.body));
      counted("poll")(next === undefined ? "empty" : "delivered");
      return next === undefined ? reply.code(204).send() : reply.type(OCTETS).send(Buffer.from(next));
    } catch (error) {
      return refuse(reply, error, counted("poll"));
    }
  });
  /** A route that takes protocol bytes and answers JSON. */
  const jsonRoute = (path: string, kind: string, handle: (bytes: Uint8Array) => unknown) =>
    app.post(path, RATE_LIMITED, async (request, reply) => {
      try {
        const receipt = await handle(bodyBytes(request.body));
        counted(kind)("accepted");
        return reply.send(receipt);
      } catch (error) {
        return refuse(reply, error, counted(kind));
      }
    });
  jsonRoute("/v1/session/status", "status-report", session.status);
  jsonRoute("/v1/session/discharge", "discharge-answer", session.discharge);
  jsonRoute("/v1/discharge/request", "discharge-request", (bytes) => desk.onDischargeRequest(bytes));

  const addressBuckets = new AddressBuckets(wsRate.address);
  app.get("/v1/ws", { websocket: true, config: { rateLimit: {} } }, (socket, request) => {
    const bucket = new TokenBucket(wsRate.connection, performance.now());
    let busy = false;
    let strikes = 0;
    const text = (body: unknown) => socket.send(JSON.stringify(body));
    const send = (bytes: Uint8Array) => socket.send(bytes, { binary: true });
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const fail = (kind: string) => (error: unknown) => {
        const e = toProtocolError(error);
        if (kind === "auth") metrics.authResponses.inc({ outcome: e.code });
        else counted(kind)(e.code);
        text({ code: e.code, message: e.shortMessage } satisfies RefusalBody);
      };
      if (service.draining()) return fail("auth")(unavailable());
      // The connection's bucket first, so one flooding socket spends its address's tokens only at its own rate.
      const now = performance.now();
      if (!bucket.take(now) || !addressBuckets.take(request.ip, now)) {
        metrics.shed.inc({ reason: "ws-rate" });
        // A connection that keeps sending over its rate is closed: it cannot hold the LAG's attention.
        if (++strikes >= wsRate.connection.burst) return socket.close(WS_CLOSE_RATE, "message rate limit");
        return text({ code: "OVERLOADED", message: "message rate limit of this connection or address" } satisfies RefusalBody);
      }
      strikes = 0;
      // One message at a time per connection: a client cannot queue work on one socket.
      if (busy) return fail("auth")(overloaded());
      if (!isBinary) {
        if (data.toString() !== "challenge") return fail("auth")(malformed());
        try {
          return send(challenge());
        } catch (error) {
          return fail("auth")(error);
        }
      }
      const bytes = new Uint8Array(data);
      let kind = "auth";
      let work: Promise<void>;
      try {
        const type = peekMessage(bytes);
        if (type === "SessionPoll") {
          kind = "poll";
          const next = session.poll(bytes);
          counted(kind)(next === undefined ? "empty" : "delivered");
          return next === undefined ? text({ empty: true }) : send(next);
        }
        if (type === "StatusReport" || type === "DischargeAnswer") {
          kind = type === "StatusReport" ? "status-report" : "discharge-answer";
          const k = kind;
          work = (type === "StatusReport" ? session.status(bytes) : session.discharge(bytes)).then((receipt) => {
            counted(k)("accepted");
            text(receipt);
          });
        } else {
          work = respond(bytes).then((result) => {
            metrics.authResponses.inc({ outcome: "accepted" });
            send(result.confirm);
          });
        }
      } catch (error) {
        return fail(kind)(error);
      }
      busy = true;
      work.catch(fail(kind)).finally(() => {
        busy = false;
      });
    });
  });

  // A status batch that stops filling is forwarded once it is due by time; one forward at a time.
  const batchTimer = setInterval(() => {
    if (caClient === undefined || dueBatch !== undefined) return;
    dueBatch = desk
      .closeDueBatch()
      .then(
        (forwarded) => {
          if (forwarded) counted("status-batch")("forwarded-by-time");
        },
        (error: unknown) => {
          const e = toProtocolError(error);
          counted("status-batch")(e.code);
          o.logger.warn({ code: e.code, message: e.shortMessage }, "a status batch due by time was not forwarded");
        },
      )
      .finally(() => {
        dueBatch = undefined;
      });
  }, BATCH_TIMER_MS);
  batchTimer.unref();

  const url = await service.listen(o.host, o.port);
  o.logger.info({ url, workers: o.workers, maxQueued: o.maxQueued }, "LAG service listening");
  return { url, auth, sessions: desk, metrics, pool: authPool.pool, stop: service.stop };
}

const overloaded = (): ProtocolError => new ProtocolError("OVERLOADED", "the LAG is at its verification capacity");
const unavailable = (): ProtocolError => new ProtocolError("UNAVAILABLE", "the LAG is shutting down");
const malformed = (): ProtocolError => new ProtocolError("MALFORMED", "the body must be application/octet-stream bytes");
