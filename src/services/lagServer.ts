/**
 * `lag serve`: the LAG (EVAGG) as a long-running service over HTTP and WebSocket, carrying the
 * wire format of `src/protocol` as `application/octet-stream` bodies (binary frames on the
 * WebSocket).
 *
 *   POST /v1/auth/challenge            → AuthChallenge
 *   POST /v1/auth/response  AuthResponse → AuthConfirm
 *   GET  /v1/ws   binary AuthResponse → binary AuthConfirm; text "challenge" → binary AuthChallenge
 *   GET  /health, GET /metrics (Prometheus text format)
 *
 * Work per request is bounded and cheapest first: body size (before it is read), per-client rate
 * (before the body is parsed), version and type, then the LAG's cheap checks (session, windows,
 * group version, membership), then the concurrency cap — a full pool answers 503 with
 * Retry-After — and only then a ring verification, on a worker thread. `stop()` drains: new
 * requests are refused, in-flight ones finish, the pool and the key-image store are closed.
 */
import websocket from "@fastify/websocket";
import rateLimit from "@fastify/rate-limit";
import Fastify, { LogController, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import {
  LagAuthenticator,
  peekMessage,
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
import { httpStatusOf, RETRY_AFTER_SECONDS, type RefusalBody } from "./httpErrors.js";
import { lagMetrics, type LagMetrics } from "./metrics.js";

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
  readonly logger: Logger;
}

/** A running LAG service. */
export interface LagService {
  readonly url: string;
  readonly auth: LagAuthenticator;
  readonly metrics: LagMetrics;
  readonly pool: AuthPool["pool"];
  /** Drains and stops (idempotent). */
  stop(): Promise<void>;
}

const OCTETS = "application/octet-stream";
/** Default bound on open connections: each holds a socket and, on the WebSocket, one message. */
export const DEFAULT_MAX_CONNECTIONS = 4096;

/** Starts a LAG service; resolves once it listens. */
export async function startLagService(o: LagServiceOptions): Promise<LagService> {
  const auth = new LagAuthenticator(o.ctx, o.identity, o.ca, o.groups, { keyImages: o.keyImages });
  const authPool = await startAuthPool({ size: o.workers, maxQueued: o.maxQueued });
  const cap = o.workers + o.maxQueued;
  const metrics = lagMetrics({ inFlight: () => authPool.pool.inFlight, pending: () => auth.pendingCount, sessions: () => auth.sessions.size });
  let draining = false;

  const app = Fastify({ loggerInstance: o.logger, bodyLimit: o.bodyLimit, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true });
  app.addContentTypeParser(OCTETS, { parseAs: "buffer", bodyLimit: o.bodyLimit }, (_req, body, done) => done(null, body));
  await app.register(rateLimit, {
    global: false,
    max: o.rateLimit.max,
    timeWindow: o.rateLimit.windowMs,
    onExceeded: () => metrics.shed.inc({ reason: "rate" }),
  });
  await app.register(websocket, { options: { maxPayload: o.bodyLimit } });

  const refuse = (reply: FastifyReply, error: unknown, counter?: (code: string) => void): FastifyReply => {
    const e = toProtocolError(error);
    counter?.(e.code);
    if (e.code === "INTERNAL") o.logger.error({ err: e, details: e.details }, "internal failure");
    if (e.code === "OVERLOADED" || e.code === "UNAVAILABLE") reply.header("retry-after", String(RETRY_AFTER_SECONDS));
    const body: RefusalBody = { code: e.code, message: e.shortMessage };
    return reply.code(httpStatusOf(e.code)).type("application/json").send(body);
  };
  /** One response, end to end; throws a ProtocolError on refusal. */
  const respond = async (bytes: Uint8Array): Promise<LagAuthResult> => {
    peekMessage(bytes); // version and type before anything else
    if (authPool.pool.inFlight >= cap) {
      metrics.shed.inc({ reason: "concurrency" });
      throw overloaded();
    }
    const end = metrics.authSeconds.startTimer();
    const result = await auth.respond(bytes, authPool.verify);
    end();
    return result;
  };
  const challenge = (): Uint8Array => {
    const bytes = auth.challenge();
    metrics.challenges.inc({ outcome: "issued" });
    return bytes;
  };

  app.addHook("onRequest", async (request, reply) => {
    if (draining && request.url.startsWith("/v1/")) {
      metrics.shed.inc({ reason: "draining" });
      return refuse(reply, unavailable());
    }
  });
  // While draining, every answer closes its connection, so a kept-alive socket cannot hold the drain open.
  app.addHook("onSend", async (_request, reply) => {
    if (draining) reply.header("connection", "close");
  });
  app.get("/health", async (_request, reply) =>
    reply.code(draining ? 503 : 200).send({ status: draining ? "draining" : "ok", lagId: new TextDecoder().decode(o.identity.lagId), workers: authPool.pool.size }),
  );
  app.get("/metrics", async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.post("/v1/auth/challenge", { config: { rateLimit: {} } }, async (_request, reply) => {
    try {
      return reply.type(OCTETS).send(Buffer.from(challenge()));
    } catch (error) {
      return refuse(reply, error, (code) => metrics.challenges.inc({ outcome: code }));
    }
  });
  app.post("/v1/auth/response", { config: { rateLimit: {} } }, async (request, reply) => {
    try {
      if (!(request.body instanceof Buffer)) return refuse(reply, malformed());
      const result = await respond(new Uint8Array(request.body));
      metrics.authResponses.inc({ outcome: "accepted" });
      return reply.type(OCTETS).send(Buffer.from(result.confirm));
    } catch (error) {
      return refuse(reply, error, (code) => metrics.authResponses.inc({ outcome: code }));
    }
  });
  app.get("/v1/ws", { websocket: true, config: { rateLimit: {} } }, (socket) => {
    let busy = false;
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const send = (bytes: Uint8Array) => socket.send(bytes, { binary: true });
      const fail = (error: unknown) => {
        const e = toProtocolError(error);
        metrics.authResponses.inc({ outcome: e.code });
        socket.send(JSON.stringify({ code: e.code, message: e.shortMessage } satisfies RefusalBody));
      };
      if (draining) return fail(unavailable());
      // One message at a time per connection: a client cannot queue work on one socket.
      if (busy) return fail(overloaded());
      if (!isBinary) {
        if (data.toString() !== "challenge") return fail(malformed());
        try {
          return send(challenge());
        } catch (error) {
          return fail(error);
        }
      }
      busy = true;
      respond(new Uint8Array(data))
        .then((result) => {
          metrics.authResponses.inc({ outcome: "accepted" });
          send(result.confirm);
        }, fail)
        .finally(() => {
          busy = false;
        });
    });
  });

  app.server.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : o.port;
  const url = `http://${o.host}:${port}`;
  o.logger.info({ url, workers: o.workers, maxQueued: o.maxQueued }, "LAG service listening");

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      draining = true;
      o.logger.info("draining");
      const closed = app.close(); // stops listening, closes idle sockets, waits for in-flight requests
      await closed;
      await authPool.pool.close();
      await o.keyImages.close();
      o.logger.info("stopped");
    })());
  return { url, auth, metrics, pool: authPool.pool, stop };
}

const overloaded = (): ProtocolError => new ProtocolError("OVERLOADED", "the LAG is at its verification capacity");
const unavailable = (): ProtocolError => new ProtocolError("UNAVAILABLE", "the LAG is shutting down");
const malformed = (): ProtocolError => new ProtocolError("MALFORMED", "the body must be application/octet-stream bytes");
