/**
 * `lag serve`: the LAG (EVAGG) as a long-running service over HTTP and WebSocket on the shared
 * service skeleton (`serviceApp.ts`), carrying the wire format of `src/protocol` as
 * `application/octet-stream` bodies (binary frames on the WebSocket).
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
import type { RefusalBody } from "./httpErrors.js";
import { bodyBytes, createServiceApp, OCTETS, RATE_LIMITED } from "./serviceApp.js";
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

/** Starts a LAG service; resolves once it listens. */
export async function startLagService(o: LagServiceOptions): Promise<LagService> {
  const auth = new LagAuthenticator(o.ctx, o.identity, o.ca, o.groups, { keyImages: o.keyImages });
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
      await authPool.pool.close();
      await o.keyImages.close();
    },
    ...(o.maxConnections === undefined ? {} : { maxConnections: o.maxConnections }),
  });
  const { app, refuse } = service;

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
  app.get("/v1/ws", { websocket: true, config: { rateLimit: {} } }, (socket) => {
    let busy = false;
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const send = (bytes: Uint8Array) => socket.send(bytes, { binary: true });
      const fail = (error: unknown) => {
        const e = toProtocolError(error);
        metrics.authResponses.inc({ outcome: e.code });
        socket.send(JSON.stringify({ code: e.code, message: e.shortMessage } satisfies RefusalBody));
      };
      if (service.draining()) return fail(unavailable());
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

  const url = await service.listen(o.host, o.port);
  o.logger.info({ url, workers: o.workers, maxQueued: o.maxQueued }, "LAG service listening");
  return { url, auth, metrics, pool: authPool.pool, stop: service.stop };
}

const overloaded = (): ProtocolError => new ProtocolError("OVERLOADED", "the LAG is at its verification capacity");
const unavailable = (): ProtocolError => new ProtocolError("UNAVAILABLE", "the LAG is shutting down");
const malformed = (): ProtocolError => new ProtocolError("MALFORMED", "the body must be application/octet-stream bytes");
