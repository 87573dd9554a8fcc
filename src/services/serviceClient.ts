/**
 * A binary-over-HTTP client of a service (the LAG or the CA): posts protocol bytes and turns a
 * refusal back into the `ProtocolError` the service raised; 429 and 503 become `OVERLOADED` (or
 * `UNAVAILABLE`) with the server's Retry-After in `details.retryAfter`.
 */
import { Agent, request } from "node:http";
import type { z } from "zod";
import { ProtocolError, type ProtocolErrorCode } from "../protocol/index.js";

/** Options of a client. */
export interface ServiceClientOptions {
  /** Local address to send from (e.g. one loopback address per simulated vehicle). */
  readonly localAddress?: string;
  readonly timeoutMs?: number;
  /** Most parallel connections. */
  readonly maxSockets?: number;
}

/** A service as a client reaches it. */
export class ServiceClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    /** How refusals name the service ("the LAG", "the CA"). */
    private readonly peer: string,
    private readonly options: ServiceClientOptions = {},
  ) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== "http:") throw new ProtocolError("INVALID_CONFIG", `the URL of ${peer} must be http://`);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  }

  /** Posts raw bytes to a path of the service (what an attacker can do too); resolves with the 200 body (empty for 204). */
  async post(path: string, body: Uint8Array): Promise<Uint8Array> {
    return this.send("POST", path, body, { "content-type": "application/octet-stream" });
  }

  /** Posts protocol bytes and reads a JSON answer checked against `schema` (`MALFORMED` otherwise). */
  async postForJson<T extends z.ZodTypeAny>(path: string, body: Uint8Array, schema: T): Promise<z.output<T>> {
    return jsonOf(this.peer, await this.post(path, body), schema);
  }

  /** Sends a JSON request (or none for GET) with extra headers and reads a JSON answer checked against `schema`. */
  async json<T extends z.ZodTypeAny>(method: "GET" | "POST", path: string, schema: T, options: { readonly body?: unknown; readonly headers?: Record<string, string> } = {}): Promise<z.output<T>> {
    const body = options.body === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(options.body));
    const headers = { ...options.headers, ...(options.body === undefined ? {} : { "content-type": "application/json" }) };
    return jsonOf(this.peer, await this.send(method, path, body, headers), schema);
  }

  private send(method: string, path: string, body: Uint8Array, headers: Record<string, string>): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.base),
        {
          method,
          agent: this.agent,
          timeout: this.options.timeoutMs ?? 30_000,
          headers: { ...headers, "content-length": body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const bytes = Buffer.concat(chunks);
            if (res.statusCode === 200 || res.statusCode === 204) return resolve(new Uint8Array(bytes));
            reject(refusalOf(this.peer, res.statusCode ?? 0, bytes, res.headers["retry-after"]));
          });
        },
      );
      req.on("timeout", () => req.destroy(new ProtocolError("UNAVAILABLE", `${this.peer} did not answer in time`)));
      req.on("error", (cause) => reject(cause instanceof ProtocolError ? cause : new ProtocolError("UNAVAILABLE", `${this.peer} cannot be reached`, { cause })));
      req.end(body);
    });
  }

  /** Closes the client's connections. */
  close(): void {
    this.agent.destroy();
  }
}

function refusalOf(peer: string, status: number, body: Buffer, retryAfter: string | string[] | undefined): ProtocolError {
  const details = { status, ...(retryAfter === undefined ? {} : { retryAfter: Number(retryAfter) }) };
  if (status === 429) return new ProtocolError("OVERLOADED", "rate limit reached", { details });
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === "string" && typeof parsed.message === "string") {
      return new ProtocolError(parsed.code as ProtocolErrorCode, parsed.message, { details });
    }
  } catch {
    // not a refusal body: fall through
  }
  return new ProtocolError(status === 503 ? "UNAVAILABLE" : "INTERNAL", `${peer} answered HTTP ${status}`, { details });
}

function jsonOf<T extends z.ZodTypeAny>(peer: string, body: Uint8Array, schema: T): z.output<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    parsed = undefined;
  }
  const checked = schema.safeParse(parsed);
  if (!checked.success) throw new ProtocolError("MALFORMED", `${peer} answered a body of the wrong shape`);
  return checked.data as z.output<T>;
}
