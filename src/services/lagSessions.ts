/**
 * The LAG service's desk for the session messages after authentication, as they arrive over the
 * network: a vehicle polls its session (`SessionPoll`) for what the LAG holds for it — the CA's
 * status deliveries, discharge offers, the open status round — and sends its `StatusReport` and
 * `DischargeAnswer`. The LAG forwards a full status batch and every discharge answer to the CA
 * service on its LAG–CA channel and returns the CA's answer.
 *
 * Every vehicle message is checked cheapest first and never reaches a worker: type, session
 * (`WRONG_SESSION`), expiry, the session operator (`BAD_OPERATOR`), the counter window
 * (`REPLAYED`), then the desk's own checks (round, offer). The LAG verifies no ring here: the CA
 * checks the vehicles' answer proofs. Memory is bounded: at most `maxRequests` live discharge
 * requests (each with its own offer desk, dropped at expiry), at most `MAX_DELIVERIES` held
 * deliveries per session (the oldest is dropped), per-session state swept with the sessions.
 */
import { bytesToHex, ctEqual } from "../crypto/index.js";
import {
  checkWindow,
  LagDischargeDesk,
  LagStatusDesk,
  peekMessage,
  ProtocolError,
  verifyDischargeRequest,
  type CaPublicKeys,
  type DischargeRequest,
  type LagSession,
  type PartyContext,
  type SessionChannel,
  type SessionTable,
} from "../protocol/index.js";
import type { CaClient } from "./caClient.js";
import type { ForwardReceipt } from "./caServer.js";

/** Deliveries a session may hold before the oldest is dropped. */
export const MAX_DELIVERIES = 4;

/** What the LAG answers to a status report. */
export interface StatusReceipt {
  /** Reports in the open batch after this one (0 once this report closed and forwarded the batch). */
  readonly queued: number;
  /** True when this report filled the batch and the LAG forwarded it to the CA. */
  readonly forwarded: boolean;
}

/** What the LAG answers to a CA-signed discharge request handed to it. */
export interface RequestReceipt {
  readonly requestId: string;
  readonly notAfter: string;
}

/** The link to the CA a desk forwards on. */
export interface CaLink {
  readonly client: CaClient;
  /** The LAG's end of its channel to the CA. */
  readonly toCa: SessionChannel;
}

export interface LagSessionDeskOptions {
  readonly ctx: PartyContext;
  readonly lagId: Uint8Array;
  readonly ca: CaPublicKeys;
  readonly sessions: SessionTable<LagSession>;
  /** Absent: status reports and discharge answers are refused `UNAVAILABLE` (nothing is read). */
  readonly caLink?: CaLink;
  /** Reports per status batch (at least the protocol's `minStatusBatch`). */
  readonly statusBatchSize: number;
  /**
   * Seconds (of the context's clock) a batch stays open after its first report: from then on it
   * is closed and forwarded with what it holds, if that is at least `minStatusBatch` reports.
   */
  readonly statusBatchSeconds: number;
  /** Live discharge requests held at once; beyond, `OVERLOADED`. */
  readonly maxRequests: number;
}

interface LiveRequest {
  readonly request: DischargeRequest;
  readonly bytes: Uint8Array;
  readonly desk: LagDischargeDesk;
}

interface SessionState {
  readonly expiresAt: bigint;
  /** The status round last announced to the session (0: none). */
  announced: number;
  readonly offered: Set<string>;
  readonly deliveries: Uint8Array[];
}

/** The LAG's session messages after authentication. */
export class LagSessionDesk {
  private readonly requests = new Map<string, LiveRequest>();
  private readonly states = new Map<string, SessionState>();
  private readonly link: { readonly ca: CaLink; readonly status: LagStatusDesk } | undefined;
  /** The open status round's number (starts at 1, one more per batch). */
  private round = 1;
  private queued = 0;
  /** When the open batch took its first report. */
  private openedAt = 0n;
  private forwarded = 0;
  private prunedAt = -1n;

  constructor(private readonly o: LagSessionDeskOptions) {
    if (!Number.isInteger(o.statusBatchSize) || o.statusBatchSize < o.ctx.config.minStatusBatch) {
      throw new ProtocolError("INVALID_CONFIG", `statusBatchSize must be an integer ≥ ${o.ctx.config.minStatusBatch}`);
    }
    if (!Number.isInteger(o.statusBatchSeconds) || o.statusBatchSeconds < 1) throw new ProtocolError("INVALID_CONFIG", "statusBatchSeconds must be an integer ≥ 1");
    if (!Number.isInteger(o.maxRequests) || o.maxRequests < 1) throw new ProtocolError("INVALID_CONFIG", "maxRequests must be an integer ≥ 1");
    this.link = o.caLink === undefined ? undefined : { ca: o.caLink, status: new LagStatusDesk(o.ctx, o.lagId, o.ca, o.caLink.toCa) };
  }

  /** Live discharge requests held. */
  get requestCount(): number {
    return this.requests.size;
  }

  /** Sessions with state held here. */
  get sessionStateCount(): number {
    return this.states.size;
  }

  /** A CA-signed discharge request for this LAG: offered to every session on its next poll. */
  onDischargeRequest(bytes: Uint8Array): RequestReceipt {
    const { ca } = this.requireCa();
    if (peekMessage(bytes) !== "DischargeRequest") throw new ProtocolError("UNEXPECTED_MESSAGE", "expected a DischargeRequest");
    const now = this.o.ctx.clock();
    this.prune(now);
    const request = verifyDischargeRequest(this.o.ctx, this.o.ca, bytes);
    if (!ctEqual(request.lagId, this.o.lagId)) throw new ProtocolError("WRONG_SCOPE", "the request is addressed to another LAG");
    checkWindow(now, request.notBefore, request.notAfter, this.o.ctx.config, "discharge request");
    const id = bytesToHex(request.requestId);
    if (this.requests.has(id)) throw new ProtocolError("REPLAYED", "this request was handed to the LAG before");
    if (this.requests.size >= this.o.maxRequests) throw new ProtocolError("OVERLOADED", "the LAG holds as many live discharge requests as it may");
    this.requests.set(id, { request, bytes: bytes.slice(), desk: new LagDischargeDesk(this.o.ctx, this.o.ca, ca.toCa) });
    return { requestId: id, notAfter: request.notAfter.toString() };
  }

  /** The next message the LAG holds for the polling session, or undefined. */
  poll(bytes: Uint8Array): Uint8Array | undefined {
    const now = this.o.ctx.clock();
    const { session } = this.route(bytes, "SessionPoll");
    session.channel.open("SessionPoll", bytes, now);
    this.prune(now);
    const state = this.stateOf(session);
    const delivery = state.deliveries.shift();
    if (delivery !== undefined) return delivery;
    for (const [id, live] of this.requests) {
      if (state.offered.has(id)) continue;
      state.offered.add(id);
      return live.desk.offer(session, live.bytes);
    }
    if (this.link !== undefined && state.announced !== this.round) {
      state.announced = this.round;
      return this.link.status.announce(session);
    }
    return undefined;
  }

  /**
   * A vehicle's masked status report. The batch is closed and forwarded to the CA, and its
   * deliveries held for the sessions, when this report fills it or arrives once the batch is due
   * by time (`statusBatchSeconds` after its first report, with at least `minStatusBatch` reports).
   */
  async onStatusReport(bytes: Uint8Array): Promise<StatusReceipt> {
    const { status } = this.requireCa();
    const { session } = this.route(bytes, "StatusReport");
    const now = this.o.ctx.clock();
    status.onReport(session, bytes);
    if (this.queued === 0) this.openedAt = now;
    this.queued++;
    if (!this.batchDue(now)) return { queued: this.queued, forwarded: false };
    await this.forwardBatch();
    return { queued: 0, forwarded: true };
  }

  /** Reports in the open batch. */
  get openBatchSize(): number {
    return this.queued;
  }

  /** Batches forwarded whose deliveries are held for their sessions. */
  get forwardedBatches(): number {
    return this.forwarded;
  }

  /**
   * Closes and forwards the open batch if it is due by time (the service calls this every
   * second, so a batch that stops filling is not held forever); resolves true when it did. A
   * batch below `minStatusBatch` stays open whatever its age: the CA would refuse it.
   */
  async closeDueBatch(): Promise<boolean> {
    if (this.link === undefined || !this.batchDue(this.o.ctx.clock())) return false;
    await this.forwardBatch();
    return true;
  }

  private batchDue(now: bigint): boolean {
    if (this.queued >= this.o.statusBatchSize) return true;
    return this.queued >= this.o.ctx.config.minStatusBatch && now >= this.openedAt + BigInt(this.o.statusBatchSeconds);
  }

  /** Closes the open batch (a new round opens at once), forwards it and holds the deliveries. */
  private async forwardBatch(): Promise<void> {
    const { ca, status } = this.requireCa();
    const batch = status.closeBatch();
    this.queued = 0;
    this.round++;
    const result = status.onResult(await ca.client.forwardStatusBatch(batch));
    for (const d of result.deliveries) {
      const state = this.stateOf(d.session);
      if (state.deliveries.push(d.bytes) > MAX_DELIVERIES) state.deliveries.shift();
    }
    this.forwarded++;
  }

  /** A vehicle's hidden discharge answer: forwarded to the CA; resolves with the CA's receipt. */
  async onDischargeAnswer(bytes: Uint8Array): Promise<ForwardReceipt> {
    const { ca } = this.requireCa();
    const { session } = this.route(bytes, "DischargeAnswer");
    const now = this.o.ctx.clock();
    this.prune(now);
    // The request id is encrypted: the desk of the request this session was offered opens it.
    const answer = session.channel.read("DischargeAnswer", bytes, now);
    const live = this.requests.get(bytesToHex(answer.requestId));
    if (live === undefined) throw new ProtocolError("OUT_OF_ORDER", "answer to a request this LAG does not hold");
    const forward = live.desk.onAnswer(session, bytes);
    const receipt = await ca.client.forwardDischargeAnswer(forward);
    return { requestId: bytesToHex(receipt.requestId), applied: receipt.applied };
  }

  private requireCa(): { readonly ca: CaLink; readonly status: LagStatusDesk } {
    if (this.link === undefined) throw new ProtocolError("UNAVAILABLE", "this LAG has no CA configured");
    return this.link;
  }

  private route(bytes: Uint8Array, expected: "SessionPoll" | "StatusReport" | "DischargeAnswer"): { readonly session: LagSession } {
    const { name, session } = this.o.sessions.route(bytes);
    if (name !== expected) throw new ProtocolError("UNEXPECTED_MESSAGE", `expected ${expected}, got ${name}`);
    return { session };
  }

  private stateOf(session: LagSession): SessionState {
    const key = bytesToHex(session.channel.id);
    let state = this.states.get(key);
    if (state === undefined) {
      state = { expiresAt: session.channel.expiresAt, announced: 0, offered: new Set(), deliveries: [] };
      this.states.set(key, state);
    }
    return state;
  }

  /** Drops expired requests (and their offers) and the state of expired sessions. */
  private prune(now: bigint): void {
    if (now === this.prunedAt) return; // at most once per second of the clock
    this.prunedAt = now;
    const skew = this.o.ctx.config.clockSkewSeconds;
    for (const [id, live] of this.requests) {
      if (now <= live.request.notAfter + skew) continue;
      this.requests.delete(id);
      for (const state of this.states.values()) state.offered.delete(id);
    }
    for (const [key, state] of this.states) if (state.expiresAt <= now) this.states.delete(key);
  }
}
