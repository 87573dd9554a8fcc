/**
 * Battery status charging → FC, the LAG's side. One `LagAuthenticator` serves every vehicle;
 * each session runs the machine
 *
 *   (new) --challenge()--> challenged --AuthResponse ok / AuthConfirm--> established
 *                                     --AuthResponse refused----------> failed
 *
 * A response is checked cheapest first (`prepare`): session known and still challenged (else
 * `WRONG_SESSION` / `REPLAYED`), within the challenge window, timestamp fresh, the group version
 * current or within its grace period (`SUPERSEDED_GROUP`), the ring drawn from that committed
 * version (`NOT_IN_GROUP`); then the job of `lagAuthJob.ts` — signature decoding, transcript,
 * `checkAnonymousAuth` (own permit, session key and the vehicle's operator, ring signature with
 * escrow proof) and, for a verified response, the `AuthConfirm` — inline, or on a worker pool in
 * a service; then the key image is claimed in the durable `KeyImageStore` shared by every
 * process of this LAG id, and only then is the session registered and `AuthConfirm` handed out.
 * The LAG learns the group attribute and role.
 *
 * Forward secrecy: the challenge's ephemeral secret is zeroed and dropped as soon as its
 * response is processed (accepted or refused), and unanswered challenges are swept by age.
 */
import { bytesToHex, ctEqual, decodePermit, generateKeyPair, type KeyPair, type Scope } from "../crypto/index.js";
import type { CaPublicKeys } from "./ca.js";
import { SessionChannel } from "./channel.js";
import { checkConfig, checkWindow, epochOf, randomBytesOf, type PartyContext } from "./context.js";
import { guard, toProtocolError, ProtocolError } from "./errors.js";
import type { GroupDirectory } from "./groups.js";
import { runLagAuthJob, type LagAuthJob, type LagAuthKeys, type LagAuthOutcome, type LagAuthRunner } from "./lagAuthJob.js";
import { decodeMessage, encodeMessage, NONCE_BYTES, SESSION_ID_BYTES, type MessageOf } from "./messages.js";
import { isSyncKeyImageStore, MemoryKeyImageStore, type KeyImageStore } from "./replay.js";
import { roleOf } from "./roles.js";
import type { RunLog } from "./runLog.js";
import { SessionTable, type LagSession } from "./sessions.js";
import { scopeOf, type AuthTranscript } from "./transcript.js";

/** A LAG's identity: its id, static key-agreement key L and the CA permit for L. */
export interface LagIdentity {
  readonly lagId: Uint8Array;
  readonly staticKeys: KeyPair;
  /** The encoded permit (`CentralAuthority.issueLagPermit`). */
  readonly permit: Uint8Array;
}

/** States of one session at the LAG. */
export type LagAuthState = "challenged" | "verifying" | "established" | "failed";

interface Pending {
  state: LagAuthState;
  readonly challengeBytes: Uint8Array;
  readonly challenge: MessageOf<"AuthChallenge">;
  /** Held until the response is processed, then zeroed and dropped. */
  ephemeral: KeyPair | undefined;
}

/** A response that passed the LAG's cheap checks (`LagAuthenticator.prepare`). */
export interface PreparedResponse {
  /** The rest of the work (plain data: a worker thread can run it). */
  readonly job: LagAuthJob;
  readonly scope: Scope;
  readonly sessionId: Uint8Array;
  /** @internal */
  readonly pending: Pending;
  readonly role: ReturnType<typeof roleOf>;
  /** The group attribute the LAG learns. */
  readonly attribute: string;
}

/** An accepted authentication. */
export interface LagAuthResult {
  readonly confirm: Uint8Array;
  readonly session: LagSession;
  readonly transcript: AuthTranscript;
}

/** Options of a LAG's authentication desk. */
export interface LagAuthOptions {
  /** Established sessions (shared with the sub-protocol desks). */
  readonly sessions?: SessionTable<LagSession>;
  readonly log?: RunLog;
  /** The key-image store shared by every process of this LAG id (default: this process's memory). */
  readonly keyImages?: KeyImageStore;
}

/** The LAG's authentication desk. */
export class LagAuthenticator {
  /** Key images accepted per scope. */
  readonly keyImages: KeyImageStore;
  /** Established sessions (shared with the sub-protocol desks). */
  readonly sessions: SessionTable<LagSession>;
  /** Transcripts of the authentications accepted since the last batch acknowledgement. */
  readonly accepted: AuthTranscript[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly keys: LagAuthKeys;
  private readonly log: RunLog | undefined;
  private prunedBefore = -1n;
  private sessionsSweptAt = 0n;

  constructor(
    private readonly ctx: PartyContext,
    readonly identity: LagIdentity,
    private readonly ca: CaPublicKeys,
    private readonly groups: GroupDirectory,
    options: LagAuthOptions = {},
  ) {
    checkConfig(ctx.config);
    const permit = guard(() => decodePermit(identity.permit));
    if (!ctEqual(permit.aggregatorId, identity.lagId) || !ctEqual(permit.aggregatorKey, identity.staticKeys.publicKey)) {
      throw new ProtocolError("BAD_PERMIT", "the permit names another LAG id or static key");
    }
    this.keys = { permit: identity.permit, staticKeys: identity.staticKeys, caPermitKey: ca.permitKey, caEscrowKey: ca.escrowKey, maxRingSize: ctx.config.maxRingSize };
    this.sessions = options.sessions ?? new SessionTable<LagSession>();
    this.keyImages = options.keyImages ?? new MemoryKeyImageStore();
    this.log = options.log;
  }

  /** State of a session (undefined if unknown or swept). */
  stateOf(sessionId: Uint8Array): LagAuthState | undefined {
    return this.pending.get(bytesToHex(sessionId))?.state;
  }

  /** Number of challenges held (answered or not) until they age out. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** A fresh challenge: new session id, nonce and ephemeral key, the current epoch, a short window. */
  challenge(): Uint8Array {
    return guard(() => {
      const now = this.ctx.clock();
      const epoch = epochOf(now, this.ctx.config);
      this.sweep(now, epoch);
      if (this.pending.size >= this.ctx.config.maxPendingChallenges) {
        throw new ProtocolError("OVERLOADED", "too many challenges are pending", { details: { pending: this.pending.size } });
      }
      const ephemeral = generateKeyPair(this.ctx.backend, this.ctx.rng);
      const challenge: MessageOf<"AuthChallenge"> = {
        sessionId: randomBytesOf(this.ctx, SESSION_ID_BYTES),
        nonce: randomBytesOf(this.ctx, NONCE_BYTES),
        lagId: this.identity.lagId,
        epoch,
        notBefore: now,
        notAfter: now + this.ctx.config.challengeSeconds,
        lagEphemeralKey: ephemeral.publicKey,
        permit: this.identity.permit,
      };
      const bytes = encodeMessage("AuthChallenge", challenge);
      this.pending.set(bytesToHex(challenge.sessionId), { state: "challenged", challengeBytes: bytes, challenge, ephemeral });
      return bytes.slice();
    });
  }

  /**
   * Verifies a vehicle's response inline and, with a synchronous key-image store, returns the
   * confirmation and the new session. A service uses `respond` (worker pool, any store).
   */
  onResponse(bytes: Uint8Array): LagAuthResult {
    const store = this.keyImages;
    if (!isSyncKeyImageStore(store)) throw new ProtocolError("INTERNAL", "this key-image store is asynchronous: use respond()");
    const prepared = this.prepare(bytes);
    return this.settle(prepared.pending, () => {
      const outcome = runLagAuthJob(this.ctx.backend, prepared.job);
      this.refuseUnless(outcome);
      if (!store.claimNow(prepared.scope, outcome.keyImage)) throw doubleAuthentication(prepared.scope);
      return this.establish(prepared, outcome);
    });
  }

  /** Runs the job of a response with `run` (e.g. on a worker pool), claims its key image in the store, then establishes the session. */
  async respond(bytes: Uint8Array, run: LagAuthRunner = (job) => runLagAuthJob(this.ctx.backend, job)): Promise<LagAuthResult> {
    const prepared = this.prepare(bytes);
    try {
      const outcome = await run(prepared.job);
      this.refuseUnless(outcome);
      if (!(await this.keyImages.claim(prepared.scope, outcome.keyImage))) throw doubleAuthentication(prepared.scope);
      return this.establish(prepared, outcome);
    } catch (error) {
      prepared.pending.state = "failed";
      throw toProtocolError(error);
    } finally {
      this.forgetEphemeral(prepared.pending);
    }
  }

  /** The cheap checks of a response, in order of cost; marks the session as being verified. */
  prepare(bytes: Uint8Array): PreparedResponse {
    const response = guard(() => decodeMessage("AuthResponse", bytes));
    const pending = this.pending.get(bytesToHex(response.sessionId));
    if (pending === undefined) throw new ProtocolError("WRONG_SESSION", "no challenge with this session id");
    if (pending.state !== "challenged") throw new ProtocolError("REPLAYED", `session is already ${pending.state}`);
    pending.state = "verifying";
    return this.settle(pending, () => this.checkCheap(pending, response, bytes), false);
  }

  private checkCheap(pending: Pending, response: MessageOf<"AuthResponse">, bytes: Uint8Array): PreparedResponse {
    const { config } = this.ctx;
    const { challenge, challengeBytes } = pending;
    const now = this.ctx.clock();
    checkWindow(now, challenge.notBefore, challenge.notAfter, config, "challenge");
    checkWindow(response.timestamp, challenge.notBefore, challenge.notAfter, config, "response timestamp");
    if (response.timestamp > now + config.clockSkewSeconds) throw new ProtocolError("NOT_YET_VALID", "response dated in the future");
    if (response.ring.length > config.maxRingSize) throw new ProtocolError("MALFORMED", "ring larger than this LAG accepts");
    const role = roleOf(response.role);
    this.groups.checkCurrent(response.groupId, response.groupVersion, now, config.groupGraceSeconds);
    const group = this.groups.checkRing(response.groupId, response.groupVersion, response.ring);
    const ephemeral = pending.ephemeral;
    if (ephemeral === undefined) throw new ProtocolError("REPLAYED", "the challenge's key is already spent");
    const job: LagAuthJob = {
      keys: this.keys,
      challenge: challengeBytes,
      response: bytes.slice(),
      ephemeral,
      groupRoot: group.root,
      now,
      expiresAt: now + config.sessionSeconds,
    };
    return { job, scope: scopeOf(challenge), sessionId: challenge.sessionId, pending, role, attribute: group.attribute };
  }

  private refuseUnless(outcome: LagAuthOutcome): asserts outcome is Extract<LagAuthOutcome, { ok: true }> {
    if (outcome.ok) return;
    const code =
      outcome.failed === "permit" ? "BAD_PERMIT" : outcome.failed === "operator" ? "BAD_OPERATOR" : outcome.failed === "membership" ? "NOT_IN_GROUP" : "BAD_SIGNATURE";
    throw new ProtocolError(code, `authentication refused: ${outcome.failed} check failed`);
  }

  /** The final state change of an accepted response: the session, the transcript, the log. */
  private establish(prepared: PreparedResponse, outcome: Extract<LagAuthOutcome, { ok: true }>): LagAuthResult {
    const { pending, job, role, attribute } = prepared;
    const { challenge } = pending;
    const { confirm, digest } = outcome;
    const full: AuthTranscript = { challenge: job.challenge, response: job.response, confirm };
    const channel = new SessionChannel({ id: challenge.sessionId, key: outcome.sessionKey, local: "lag", peer: "bv", mode: "visiting", expiresAt: job.expiresAt });
    const session: LagSession = { channel, mode: "visiting", role, attribute, digest };
    this.sessions.add(session);
    this.accepted.push(full);
    this.log?.record("authentication", session.digest);
    pending.state = "established";
    return { confirm: confirm.slice(), session, transcript: full };
  }

  /** Runs `fn`; any failure fails the session (and, when `final`, the ephemeral secret is dropped either way). */
  private settle<T>(pending: Pending, fn: () => T, final = true): T {
    try {
      return guard(fn);
    } catch (error) {
      pending.state = "failed";
      this.forgetEphemeral(pending);
      throw error;
    } finally {
      if (final) this.forgetEphemeral(pending);
    }
  }

  private forgetEphemeral(pending: Pending): void {
    pending.ephemeral?.secretKey.fill(0);
    pending.ephemeral = undefined;
  }

  /** Takes the transcripts accepted so far (for a batch acknowledgement). */
  takeAccepted(): AuthTranscript[] {
    return this.accepted.splice(0, this.accepted.length);
  }

  /**
   * Drops challenges past their window (oldest first: the map keeps issue order), expired
   * sessions once a minute, and key images of epochs before the previous one.
   */
  private sweep(now: bigint, epoch: bigint): void {
    const horizon = this.ctx.config.clockSkewSeconds;
    for (const [id, p] of this.pending) {
      if (p.challenge.notAfter + horizon > now) break;
      this.forgetEphemeral(p);
      this.pending.delete(id);
    }
    if (now >= this.sessionsSweptAt + 60n) {
      this.sessions.sweep(now);
      this.sessionsSweptAt = now;
    }
    if (epoch - 1n > this.prunedBefore) {
      this.prunedBefore = epoch - 1n;
      const store = this.keyImages;
      if (isSyncKeyImageStore(store)) store.forgetBeforeNow(epoch - 1n);
      else {
        // Pruning only frees space; a failure is retried at the next challenge.
        store.forgetBefore(epoch - 1n).catch(() => {
          this.prunedBefore = -1n;
        });
      }
    }
  }
}

function doubleAuthentication(scope: Scope): ProtocolError {
  return new ProtocolError("DOUBLE_AUTHENTICATION", "this vehicle already authenticated in this scope", { details: { epoch: BigInt(scope.epoch) } });
}
