/**
 * The skeleton every service shares (`lag serve`, `ca serve`): a fastify app on one address with
 * protocol bytes as `application/octet-stream` bodies, the body limit enforced before a body is
 * read, a per-client rate limit, a bound on open connections, refusals as `{ code, message }`
 * with Retry-After on overload, `/health`, `/metrics` (Prometheus text format), and a drain:
 * new `/v1/` requests are refused, every answer closes its connection, in-flight requests finish,
 * then the service's own resources are released.
 */
import websocket from "@fastify/websocket";
import rateLimit from "@fastify/rate-limit";
import Fastify, { LogController, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { ProtocolError, toProtocolError } from "../protocol/index.js";
import { httpStatusOf, RETRY_AFTER_SECONDS, type RefusalBody } from "./httpErrors.js";

/** The media type of protocol bytes. */
export const OCTETS = "application/octet-stream";
/** Default bound on open connections: each holds a socket and, on the WebSocket, one message. */
export const DEFAULT_MAX_CONNECTIONS = 4096;

/** What the skeleton needs. */
export interface ServiceAppOptions {
  /** The service's name in logs ("LAG", "CA"). */
  readonly name: string;
  readonly logger: Logger;
  /** Largest request body (bytes). */
  readonly bodyLimit: number;
  /** Requests per client address and window, on the routes that opt in (`RATE_LIMITED`). */
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Most open connections; beyond, new ones are dropped. */
  readonly maxConnections?: number;
  /** Also serve WebSocket routes. */
  readonly websocket?: boolean;
  readonly registry: Registry;
  /** Counts a request refused before any protocol work ("rate", "draining", …). */
  readonly onShed: (reason: string) => void;
  /** The body of a healthy `/health` answer. */
  readonly health: () => Record<string, unknown>;
  /** Releases the service's resources once the last in-flight request is done (pools, stores). */
  readonly release: () => Promise<void>;
}

/** A service skeleton, routes still to be added. */
export interface ServiceApp {
  readonly app: ServiceFastify;
  readonly draining: () => boolean;
  /** Answers a refusal (`counter` sees its code first). */
  refuse(reply: FastifyReply, error: unknown, counter?: (code: string) => void): FastifyReply;
  /** Listens; resolves with the base URL. */
  listen(host: string, port: number): Promise<string>;
  /** Drains and stops (idempotent). */
  stop(): Promise<void>;
}

const fastifyOf = (o: ServiceAppOptions) =>
  Fastify({ loggerInstance: o.logger, bodyLimit: o.bodyLimit, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true });
/** The fastify instance of a service. */
export type ServiceFastify = ReturnType<typeof fastifyOf>;

/** Route config that applies the rate limit. */
export const RATE_LIMITED = { config: { rateLimit: {} } } as const;

/** Builds the skeleton. */
export async function createServiceApp(o: ServiceAppOptions): Promise<ServiceApp> {
  let draining = false;
  const app = fastifyOf(o);
  app.addContentTypeParser(OCTETS, { parseAs: "buffer", bodyLimit: o.bodyLimit }, (_req, body, done) => done(null, body));
  await app.register(rateLimit, { global: false, max: o.rateLimit.max, timeWindow: o.rateLimit.windowMs, onExceeded: () => o.onShed("rate") });
  if (o.websocket === true) await app.register(websocket, { options: { maxPayload: o.bodyLimit } });

  const refuse = (reply: FastifyReply, error: unknown, counter?: (code: string) => void): FastifyReply => {
    const e = toProtocolError(error);
    counter?.(e.code);
    if (e.code === "INTERNAL") o.logger.error({ err: e, details: e.details }, "internal failure");
    if (e.code === "OVERLOADED" || e.code === "UNAVAILABLE") reply.header("retry-after", String(RETRY_AFTER_SECONDS));
    const body: RefusalBody = { code: e.code, message: e.shortMessage };
    return reply.code(httpStatusOf(e.code)).type("application/json").send(body);
  };

  app.addHook("onRequest", async (request, reply) => {
    if (draining && request.url.startsWith("/v1/")) {
      o.onShed("draining");
      return refuse(reply, new ProtocolError("UNAVAILABLE", `the ${o.name} is shutting down`));
    }
  });
  // While draining, every answer closes its connection, so a kept-alive socket cannot hold the drain open.
  app.addHook("onSend", async (_request, reply) => {
    if (draining) reply.header("connection", "close");
  });
  app.get("/health", async (_request, reply) => reply.code(draining ? 503 : 200).send({ status: draining ? "draining" : "ok", ...o.health() }));
  app.get("/metrics", async (_request, reply) => reply.type(o.registry.contentType).send(await o.registry.metrics()));
  app.server.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  const listen = async (host: string, port: number): Promise<string> => {
    await app.listen({ host, port });
    const address = app.server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    return `http://${host}:${bound}`;
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      draining = true;
      o.logger.info("draining");
      await app.close(); // stops listening, closes idle sockets, waits for in-flight requests
      await o.release();
      o.logger.info("stopped");
    })());
  return { app, draining: () => draining, refuse, listen, stop };
}

/** The request body as bytes; `MALFORMED` when it was not sent as octets. */
export function bodyBytes(body: unknown): Uint8Array {
  if (!(body instanceof Buffer)) throw new ProtocolError("MALFORMED", "the body must be application/octet-stream bytes");
  return new Uint8Array(body);
}
