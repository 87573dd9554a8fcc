/**
 * Battery status FC → discharging. The CA signs a discharge request; the LAG forwards it to
 * each vehicle session under its operator; the vehicle answers accept or decline inside a
 * fixed-length envelope only the CA can open, and may answer again (a higher sequence number
 * inside the envelope wins at the CA). The vehicle ring-signs the envelope with its credential
 * (`answerProof.ts`): the key image, scoped to (LAG, request), is the vehicle's slot at the CA.
 * The LAG forwards envelope and proof under its channel operator; it cannot tell an accept from
 * a decline, and — holding no member key — it cannot fabricate an answer, override one in any
 * slot, or choose the slot: the CA applies only answers whose proof verifies against a current
 * committed group version, the latest sequence per key image.
 *
 *   CA ──DischargeRequest(signed)──▶ LAG ──DischargeOffer(op)──▶ BV
 *   BV ──DischargeAnswer(envelope, proof, op)──▶ LAG ──DischargeForward(envelope, proof, op)──▶ CA
 *
 * Vehicle machine per request: (none) --offer--> offered --answer--> answered --answer--> …
 */
import {
  bytesToHex,
  ctEqual,
  decodeAnswer,
  encodeAnswer,
  frame,
  openEnvelope,
  sealEnvelope,
  u16be,
  u64be,
} from "../crypto/index.js";
import { answerScope, prepareAnswerProof, requireRingCheck, runAnswerRingCheck, signAnswerProof, type AnswerProof, type AnswerVerifier } from "./answerProof.js";
import { verifyCaStatement, type CaPublicKeys, type CentralAuthority, type VehicleCredential } from "./ca.js";
import type { SessionChannel } from "./channel.js";
import { checkWindow, randomBytesOf, type PartyContext } from "./context.js";
import { guard, guardAsync, ProtocolError } from "./errors.js";
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, REQUEST_ID_BYTES, type MessageOf } from "./messages.js";
import { ReplayGuard } from "./replay.js";
import { messageDigest, type RunLog } from "./runLog.js";
import type { LagSession, VehicleSession } from "./sessions.js";
import { PROTOCOL_TAGS } from "./tags.js";

/** A verified discharge request. */
export type DischargeRequest = MessageOf<"DischargeRequest">;

const statementOf = (bytes: Uint8Array): Uint8Array => bytes.subarray(0, bytes.length - 64);
/** Associated data of a discharge answer's envelope (binds it to its request). */
export const dischargeAad = (requestId: Uint8Array): Uint8Array => frame(PROTOCOL_TAGS.dischargeAad, [requestId]);

/** The scope of the answers to one request: a vehicle's key image in it is its slot at the CA. */
export const dischargeScope = (lagId: Uint8Array, requestId: Uint8Array) => answerScope(PROTOCOL_TAGS.dischargeScope, lagId, requestId);

/** The message a vehicle ring-signs: the envelope it answers with, bound to LAG, request and group version. */
export function dischargeMessage(lagId: Uint8Array, requestId: Uint8Array, envelope: Uint8Array, groupId: Uint8Array, groupVersion: bigint): Uint8Array {
  return frame(PROTOCOL_TAGS.dischargeMessage, [u16be(PROTOCOL_VERSION), lagId, requestId, envelope, groupId, u64be(groupVersion)]);
}

/** Decodes a discharge request and checks the CA's signature (`BAD_SIGNATURE`). */
export function verifyDischargeRequest(ctx: PartyContext, ca: CaPublicKeys, bytes: Uint8Array): DischargeRequest {
  return guard(() => {
    const request = decodeMessage("DischargeRequest", bytes);
    if (!verifyCaStatement(ctx.backend, ca, statementOf(bytes), request.signature)) {
      throw new ProtocolError("BAD_SIGNATURE", "discharge request is not signed by the CA");
    }
    return request;
  });
}

/** The CA's desk for discharge requests and the hidden answers to them. */
export class CaDischargeDesk {
  private readonly requests = new Map<string, DischargeRequest>();
  private readonly latest = new Map<string, Map<string, { sequence: bigint; accept: boolean }>>();
  private readonly envelopes = new ReplayGuard();

  constructor(private readonly ca: CentralAuthority) {}

  /** Issues a signed request for `energyWh` to the vehicles behind LAG `lagId`. */
  issue(lagId: Uint8Array, epoch: bigint, energyWh: bigint, notBefore: bigint, notAfter: bigint): Uint8Array {
    return guard(() => {
      const requestId = randomBytesOf(this.ca.ctx, REQUEST_ID_BYTES);
      const fields: DischargeRequest = { requestId, lagId, epoch, energyWh, notBefore, notAfter, signature: new Uint8Array(64) };
      const bytes = encodeMessage("DischargeRequest", fields);
      bytes.set(this.ca.signStatement(statementOf(bytes)), bytes.length - 64);
      this.requests.set(bytesToHex(requestId), { ...fields, signature: bytes.slice(bytes.length - 64) });
      this.latest.set(bytesToHex(requestId), new Map());
      return bytes;
    });
  }

  /** A request this desk issued; `UNKNOWN_REQUEST` otherwise. */
  request(requestId: Uint8Array): DischargeRequest {
    const request = this.requests.get(bytesToHex(requestId));
    if (request === undefined) throw new ProtocolError("UNKNOWN_REQUEST", "no such request");
    return request;
  }

  /**
   * Accepts a forwarded answer: `applied` is false when a later answer of the same vehicle (key
   * image) is already held. An answer without a valid proof is refused (`BAD_SIGNATURE`,
   * `NOT_IN_GROUP`, `UNKNOWN_GROUP`, `SUPERSEDED_GROUP`) and changes nothing.
   */
  onForward(bytes: Uint8Array): { readonly requestId: Uint8Array; readonly applied: boolean } {
    return guard(() => {
      const prepared = this.prepare(bytes);
      return this.finish(prepared, runAnswerRingCheck(this.ca.ctx.backend, prepared.check));
    });
  }

  /** `onForward`, with the ring check run by `verify` (e.g. on a worker pool). */
  async onForwardWith(bytes: Uint8Array, verify: AnswerVerifier): Promise<{ readonly requestId: Uint8Array; readonly applied: boolean }> {
    return guardAsync(async () => {
      const prepared = this.prepare(bytes);
      const [ok] = await verify([prepared.check]);
      return this.finish(prepared, ok === true);
    });
  }

  /** Channel, request, window, group version and encoding: everything but the ring check. */
  private prepare(bytes: Uint8Array) {
    const now = this.ca.ctx.clock();
    const { lagId, channel } = this.ca.channel(bytes);
    const forward = channel.open("DischargeForward", bytes, now);
    const request = this.requests.get(bytesToHex(forward.requestId));
    if (request === undefined || !ctEqual(request.lagId, lagId)) throw new ProtocolError("UNKNOWN_REQUEST", "no such request for this LAG");
    checkWindow(now, request.notBefore, request.notAfter, this.ca.ctx.config, "discharge request");
    // Only an answer a member of a current group version signed counts; its key image is its slot.
    const message = dischargeMessage(lagId, forward.requestId, forward.envelope, forward.groupId, forward.groupVersion);
    const { config } = this.ca.ctx;
    const { check, keyImage } = prepareAnswerProof(this.ca.groups, forward, dischargeScope(lagId, forward.requestId), message, { now, graceSeconds: config.groupGraceSeconds });
    return { forward, request, check, slot: keyImage };
  }

  private finish(p: ReturnType<CaDischargeDesk["prepare"]>, ok: boolean): { readonly requestId: Uint8Array; readonly applied: boolean } {
    requireRingCheck(ok);
    const now = this.ca.ctx.clock();
    const { forward, request, slot } = p;
    this.envelopes.claim(forward.envelope, request.notAfter + 3600n, now, "discharge answer envelope");
    const answer = decodeAnswer(openEnvelope(this.ca.ctx.backend, this.ca.envelopeKeys, forward.envelope, dischargeAad(forward.requestId)));
    if (answer.kind === "status") throw new ProtocolError("MALFORMED", "a discharge answer must accept or decline");
    const slots = this.latest.get(bytesToHex(forward.requestId)) as Map<string, { sequence: bigint; accept: boolean }>;
    const held = slots.get(bytesToHex(slot));
    const applied = held === undefined || answer.sequence > held.sequence;
    if (applied) slots.set(bytesToHex(slot), { sequence: answer.sequence, accept: answer.kind === "accept" });
    return { requestId: forward.requestId, applied };
  }

  /** The answers in force: the latest per slot. */
  tally(requestId: Uint8Array): { readonly accepted: number; readonly declined: number } {
    const slots = this.latest.get(bytesToHex(requestId));
    if (slots === undefined) throw new ProtocolError("UNKNOWN_REQUEST", "no such request");
    let accepted = 0;
    for (const { accept } of slots.values()) if (accept) accepted++;
    return { accepted, declined: slots.size - accepted };
  }
}

/** Expired requests a `LagDischargeDesk` remembers, so that an answer to one stays `EXPIRED`. */
export const MAX_EXPIRED_REQUESTS = 1024;

/**
 * The LAG's desk: offers requests to sessions and forwards the sealed answers. An offer is held
 * until its request expires: once the clock is past the request's last valid second
 * (`notAfter` + clock skew), the next offer or answer drops it. An answer to an expired request
 * is `EXPIRED` either way: the desk remembers the ids of the last `MAX_EXPIRED_REQUESTS`
 * requests whose offers it dropped (one entry per request, not per session).
 */
export class LagDischargeDesk {
  private readonly offered = new Map<string, DischargeRequest>();
  /** Ids of requests whose offers were dropped at expiry, oldest first. */
  private readonly expired = new Set<string>();
  private prunedAt = -1n;

  constructor(
    private readonly ctx: PartyContext,
    private readonly ca: CaPublicKeys,
    private readonly toCa: SessionChannel,
    private readonly log?: RunLog,
  ) {}

  private key(session: LagSession, requestId: Uint8Array): string {
    return `${bytesToHex(session.channel.id)}/${bytesToHex(requestId)}`;
  }

  /** Offers held (one per session and request, until the request expires). */
  get offerCount(): number {
    return this.offered.size;
  }

  /** Offers a CA request to one vehicle session. */
  offer(session: LagSession, requestBytes: Uint8Array): Uint8Array {
    return guard(() => {
      this.prune(this.ctx.clock());
      const request = verifyDischargeRequest(this.ctx, this.ca, requestBytes);
      this.offered.set(this.key(session, request.requestId), request);
      return session.channel.seal("DischargeOffer", { request: requestBytes }, this.ctx.clock());
    });
  }

  /** Checks a vehicle's answer and seals its forward to the CA. The LAG sees only lengths, its own fields and the proof. */
  onAnswer(session: LagSession, bytes: Uint8Array): Uint8Array {
    return guard(() => {
      const now = this.ctx.clock();
      this.prune(now);
      const answer = session.channel.open("DischargeAnswer", bytes, now);
      const request = this.offered.get(this.key(session, answer.requestId));
      if (request === undefined) {
        if (this.expired.has(bytesToHex(answer.requestId))) throw new ProtocolError("EXPIRED", "discharge request has expired");
        throw new ProtocolError("OUT_OF_ORDER", "answer to a request this session was not offered");
      }
      checkWindow(now, request.notBefore, request.notAfter, this.ctx.config, "discharge request");
      this.log?.record("discharge-answer", messageDigest(bytes));
      const { requestId, envelope, groupId, groupVersion, ring, signature } = answer;
      return this.toCa.seal("DischargeForward", { requestId, envelope, groupId, groupVersion, ring, signature }, now);
    });
  }

  /** Drops the offers of requests past their last valid second (at most once per second of the clock). */
  private prune(now: bigint): void {
    if (now === this.prunedAt) return;
    this.prunedAt = now;
    const skew = this.ctx.config.clockSkewSeconds;
    for (const [key, request] of this.offered) {
      if (now <= request.notAfter + skew) continue;
      this.offered.delete(key);
      this.expired.add(bytesToHex(request.requestId));
    }
    for (const id of this.expired) {
      if (this.expired.size <= MAX_EXPIRED_REQUESTS) break;
      this.expired.delete(id);
    }
  }
}

/** Battery state of a vehicle, as only the vehicle knows it. */
export type BatteryState = "charging" | "fc" | "discharging";

/** The vehicle's side of FC → discharging on one session. */
export class VehicleDischarge {
  private readonly requests = new Map<string, { readonly request: DischargeRequest; sequence: bigint }>();
  private battery: BatteryState;

  private readonly channel: SessionChannel;

  constructor(
    private readonly ctx: PartyContext,
    private readonly session: VehicleSession,
    private readonly ca: CaPublicKeys,
    private readonly credential: VehicleCredential,
    initial: BatteryState = "fc",
  ) {
    this.channel = session.channel;
    this.battery = initial;
  }

  get state(): BatteryState {
    return this.battery;
  }

  /** Checks an offer (LAG operator, CA signature, window) and remembers the request. */
  onOffer(bytes: Uint8Array): DischargeRequest {
    return guard(() => {
      const now = this.ctx.clock();
      const offer = this.channel.open("DischargeOffer", bytes, now);
      const request = verifyDischargeRequest(this.ctx, this.ca, offer.request);
      if (!ctEqual(request.lagId, this.session.lagId)) throw new ProtocolError("WRONG_SCOPE", "request addressed to another LAG");
      checkWindow(now, request.notBefore, request.notAfter, this.ctx.config, "discharge request");
      if (!this.requests.has(bytesToHex(request.requestId))) this.requests.set(bytesToHex(request.requestId), { request, sequence: 0n });
      return request;
    });
  }

  /** Answers (or re-answers) a request; the envelope is the same length whatever the answer. */
  answer(requestId: Uint8Array, accept: boolean): Uint8Array {
    const entry = this.requests.get(bytesToHex(requestId));
    if (entry === undefined) throw new ProtocolError("OUT_OF_ORDER", "no offer of this request was received");
    if (this.battery === "charging") throw new ProtocolError("OUT_OF_ORDER", "a charging vehicle cannot answer a discharge request");
    return guard(() => {
      const now = this.ctx.clock();
      checkWindow(now, entry.request.notBefore, entry.request.notAfter, this.ctx.config, "discharge request");
      const sequence = entry.sequence + 1n;
      const plaintext = encodeAnswer({ sequence, kind: accept ? "accept" : "decline", body: new Uint8Array(0) });
      const envelope = sealEnvelope(this.ctx.backend, this.ca.envelopeKey, plaintext, dischargeAad(requestId), this.ctx.rng);
      const { lagId } = this.session;
      const c = this.credential;
      const proof: AnswerProof = signAnswerProof(this.ctx, c, dischargeScope(lagId, requestId), dischargeMessage(lagId, requestId, envelope, c.groupId, c.groupVersion));
      const bytes = this.channel.seal("DischargeAnswer", { requestId, envelope, ...proof, ring: [...proof.ring] }, now);
      entry.sequence = sequence;
      this.battery = accept ? "discharging" : "fc";
      return bytes;
    });
  }

  /** Ends discharging (the discharging → charging transition reports the status separately). */
  stopDischarging(): void {
    if (this.battery !== "discharging") throw new ProtocolError("OUT_OF_ORDER", "the vehicle is not discharging");
    this.battery = "charging";
  }
}
