/**
 * The vehicle's side over the network: a small HTTP client of a LAG service and the complete
 * charging → FC authentication through it (the BV state machine of `src/protocol` unchanged).
 * Refusals come back as the `ProtocolError` the LAG raised; 429 and 503 as `OVERLOADED` (or
 * `UNAVAILABLE`) with the server's Retry-After in `details.retryAfter`.
 */
import { Agent, request } from "node:http";
import {
  ProtocolError,
  VehicleAuth,
  VehicleMemory,
  type CaPublicKeys,
  type PartyContext,
  type ProtocolErrorCode,
  type VehicleAuthResult,
  type VehicleCredential,
} from "../protocol/index.js";

/** Options of a client. */
export interface LagClientOptions {
  /** Local address to send from (e.g. one loopback address per simulated vehicle). */
  readonly localAddress?: string;
  readonly timeoutMs?: number;
  /** Most parallel connections. */
  readonly maxSockets?: number;
}

/** A LAG service as a vehicle reaches it. */
export class LagClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly options: LagClientOptions = {},
  ) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== "http:") throw new ProtocolError("INVALID_CONFIG", "the LAG URL must be http://");
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  }

  /** A fresh challenge. */
  challenge(): Promise<Uint8Array> {
    return this.post("/v1/auth/challenge", new Uint8Array(0));
  }

  /** Delivers a response; resolves with the LAG's confirmation. */
  respond(response: Uint8Array): Promise<Uint8Array> {
    return this.post("/v1/auth/response", response);
  }

  /** Posts raw bytes to a path of the service (what an attacker can do too). */
  post(path: string, body: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.base),
        {
          method: "POST",
          agent: this.agent,
          timeout: this.options.timeoutMs ?? 30_000,
          headers: { "content-type": "application/octet-stream", "content-length": body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const bytes = Buffer.concat(chunks);
            if (res.statusCode === 200) return resolve(new Uint8Array(bytes));
            reject(refusalOf(res.statusCode ?? 0, bytes, res.headers["retry-after"]));
          });
        },
      );
      req.on("timeout", () => req.destroy(new ProtocolError("UNAVAILABLE", "the LAG did not answer in time")));
      req.on("error", (cause) => reject(cause instanceof ProtocolError ? cause : new ProtocolError("UNAVAILABLE", "the LAG cannot be reached", { cause })));
      req.end(body);
    });
  }

  /** Closes the client's connections. */
  close(): void {
    this.agent.destroy();
  }
}

function refusalOf(status: number, body: Buffer, retryAfter: string | string[] | undefined): ProtocolError {
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
  return new ProtocolError(status === 503 ? "UNAVAILABLE" : "INTERNAL", `the LAG answered HTTP ${status}`, { details });
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
