/**
 * Battery status discharging → charging, with pseudo-status. Each vehicle masks its real
 * status s with a fresh uniform mask r (masked = s + r mod 2^64) and seals r, with a one-time
 * reply key, in an envelope to the CA. The LAG sees masked values only, batches them and
 * forwards the batch; the CA removes the masks, signs the aggregate Σ s for the LAG and returns
 * to each vehicle its own real status encrypted under that vehicle's reply key.
 *
 *   LAG ──StatusRound(roundId, op)──▶ BV
 *   BV ──StatusReport(roundId, masked, envelope{mask, replyKey}, proof, op)──▶ LAG
 *   LAG ──StatusBatch(roundId, entries, op)──▶ CA ──StatusResult(aggregate, replies, CA sig, op)──▶ LAG
 *   LAG ──StatusDelivery(aggregate, reply, CA sig, op)──▶ each BV
 *
 * A batch holds at least `minStatusBatch` vehicles: an aggregate of one would be a status. The
 * CA counts only entries it can tie to distinct members of a current group version: each entry
 * carries the vehicle's ring signature over (round, masked value, envelope) with its key image
 * scoped to (LAG, round) (`answerProof.ts`). A dishonest LAG can therefore not pad a batch with
 * entries of its own (status 0, a mask it knows) to read one vehicle's status from the aggregate,
 * nor count one vehicle twice, nor reuse an entry in another round; the CA closes each round
 * after one batch.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import {
  bytesToHex,
  concatBytes,
  ctEqual,
  decodeAnswer,
  decodeMask,
  encodeAnswer,
  encodeMask,
  frame,
  maskStatus,
  openEnvelope,
  sealEnvelope,
  sumMasked,
  u16be,
  u32be,
  u64be,
  unmaskAggregate,
  DEFAULT_MASK_MODULUS,
} from "../crypto/index.js";
import { verifyCaStatement, type CaPublicKeys, type CentralAuthority, type VehicleCredential } from "./ca.js";
import type { SessionChannel } from "./channel.js";
import { randomBytesOf, type PartyContext } from "./context.js";
import { guard, guardAsync, ProtocolError, toProtocolError } from "./errors.js";
import { answerScope, prepareAnswerProof, requireRingCheck, runAnswerRingCheck, signAnswerProof, type AnswerRingCheck, type AnswerVerifier } from "./answerProof.js";
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type MessageOf } from "./messages.js";
import { ReplayGuard, type SyncKeyImageStore } from "./replay.js";
import { messageDigest, type RunLog } from "./runLog.js";
import type { LagSession, VehicleSession } from "./sessions.js";
import { PROTOCOL_TAGS } from "./tags.js";

const REPLY_NONCE = new Uint8Array(12);
const envelopeAad = (lagId: Uint8Array): Uint8Array => frame(PROTOCOL_TAGS.statusAad, [lagId]);
const replyAad = (batchId: Uint8Array): Uint8Array => frame(PROTOCOL_TAGS.statusReply, [batchId]);
const readU64 = (bytes: Uint8Array): bigint => BigInt(`0x${bytesToHex(bytes)}`);

/** The scope of one status round at one LAG: a vehicle's key image in it is its one entry. */
export const statusScope = (lagId: Uint8Array, roundId: Uint8Array) => answerScope(PROTOCOL_TAGS.statusScope, lagId, roundId);

/** The message a vehicle ring-signs for its entry. */
export function statusMessage(lagId: Uint8Array, roundId: Uint8Array, masked: bigint, envelope: Uint8Array, groupId: Uint8Array, groupVersion: bigint): Uint8Array {
  return frame(PROTOCOL_TAGS.statusMessage, [u16be(PROTOCOL_VERSION), lagId, roundId, u64be(masked), envelope, groupId, u64be(groupVersion)]);
}

/** The CA statement over an aggregate (what the LAG and every vehicle of the batch can check). */
export function aggregateStatement(lagId: Uint8Array, batchId: Uint8Array, aggregate: bigint, count: number): Uint8Array {
  return frame(PROTOCOL_TAGS.caAggregate, [lagId, batchId, u64be(aggregate), u32be(count)]);
}

/** The vehicle's side: report a masked status, then recover the real status the CA recorded. */
export class VehicleStatusReport {
  private pending: { readonly status: bigint; readonly replyKey: Uint8Array } | undefined;

  constructor(
    private readonly ctx: PartyContext,
    private readonly session: VehicleSession,
    private readonly ca: CaPublicKeys,
    private readonly credential: VehicleCredential,
  ) {}

  /** Reports `status` (e.g. Wh discharged) masked, in the round the LAG announced; one report is outstanding at a time. */
  report(status: bigint, round: Uint8Array): Uint8Array {
    if (this.pending !== undefined) throw new ProtocolError("OUT_OF_ORDER", "a status report is already outstanding");
    return guard(() => {
      const now = this.ctx.clock();
      const { roundId } = this.session.channel.open("StatusRound", round, now);
      const { masked, mask } = maskStatus(status, DEFAULT_MASK_MODULUS, this.ctx.rng);
      const replyKey = randomBytesOf(this.ctx, 32);
      const body = concatBytes(encodeMask(mask), replyKey);
      const plaintext = encodeAnswer({ sequence: 1n, kind: "status", body });
      const { lagId } = this.session;
      const c = this.credential;
      const envelope = sealEnvelope(this.ctx.backend, this.ca.envelopeKey, plaintext, envelopeAad(lagId), this.ctx.rng);
      const proof = signAnswerProof(this.ctx, c, statusScope(lagId, roundId), statusMessage(lagId, roundId, masked, envelope, c.groupId, c.groupVersion));
      const bytes = this.session.channel.seal("StatusReport", { roundId, masked, envelope, ...proof, ring: [...proof.ring] }, now);
      this.pending = { status, replyKey };
      return bytes;
    });
  }

  /** Checks the delivery (operator, CA signature) and decrypts the real status; it must equal the one reported. */
  onDelivery(bytes: Uint8Array): { readonly status: bigint; readonly aggregate: bigint; readonly count: number } {
    const pending = this.pending;
    if (pending === undefined) throw new ProtocolError("OUT_OF_ORDER", "no status report is outstanding");
    return guard(() => {
      const d = this.session.channel.open("StatusDelivery", bytes, this.ctx.clock());
      const statement = aggregateStatement(this.session.lagId, d.batchId, d.aggregate, d.count);
      if (!verifyCaStatement(this.ctx.backend, this.ca, statement, d.caSignature)) {
        throw new ProtocolError("BAD_SIGNATURE", "aggregate is not signed by the CA");
      }
      let plain: Uint8Array;
      try {
        plain = chacha20poly1305(pending.replyKey, REPLY_NONCE, replyAad(d.batchId)).decrypt(d.reply);
      } catch (cause) {
        throw new ProtocolError("DECRYPTION_FAILED", "status reply does not decrypt", { cause });
      }
      const status = readU64(plain);
      if (status !== pending.status) throw new ProtocolError("STATUS_MISMATCH", "the CA recorded another status");
      this.pending = undefined;
      return { status, aggregate: d.aggregate, count: d.count };
    });
  }
}

interface OpenEntry {
  readonly session: LagSession;
  /** The encoded `StatusEntry` (masked value, envelope, the vehicle's proof). */
  readonly entry: Uint8Array;
  readonly masked: bigint;
}

/** The LAG's desk: collects masked reports into batches and delivers the CA's results. */
export class LagStatusDesk {
  private open: OpenEntry[] = [];
  private readonly sent = new Map<string, readonly OpenEntry[]>();
  private roundId: Uint8Array;

  constructor(
    private readonly ctx: PartyContext,
    private readonly lagId: Uint8Array,
    private readonly ca: CaPublicKeys,
    private readonly toCa: SessionChannel,
    private readonly log?: RunLog,
  ) {
    this.roundId = randomBytesOf(ctx, 16);
  }

  /** Announces the open round to a vehicle session (the vehicle reports in it). */
  announce(session: LagSession): Uint8Array {
    return guard(() => session.channel.seal("StatusRound", { roundId: this.roundId }, this.ctx.clock()));
  }

  /** Accepts a report of the open round; returns the masked value (all the LAG learns of the vehicle's status). */
  onReport(session: LagSession, bytes: Uint8Array): bigint {
    return guard(() => {
      const report = session.channel.open("StatusReport", bytes, this.ctx.clock());
      if (!ctEqual(report.roundId, this.roundId)) throw new ProtocolError("WRONG_SCOPE", "the report answers another round");
      if (this.open.some((e) => e.session === session)) throw new ProtocolError("REPLAYED", "this session already reported in the open batch");
      const { masked, envelope, groupId, groupVersion, ring, signature } = report;
      this.open.push({ session, masked, entry: encodeMessage("StatusEntry", { masked, envelope, groupId, groupVersion, ring, signature }) });
      this.log?.record("status-report", messageDigest(bytes));
      return report.masked;
    });
  }

  /** Sum of the masked values collected so far (uniform, says nothing about any status). */
  maskedSum(): bigint {
    return sumMasked(this.open.map((e) => e.masked));
  }

  /** Closes the open batch and seals it for the CA. */
  closeBatch(): Uint8Array {
    if (this.open.length < this.ctx.config.minStatusBatch) {
      throw new ProtocolError("BATCH_TOO_SMALL", `a batch needs at least ${this.ctx.config.minStatusBatch} vehicles`);
    }
    return guard(() => {
      const batchId = randomBytesOf(this.ctx, 16);
      const bytes = this.toCa.seal("StatusBatch", { batchId, roundId: this.roundId, entries: this.open.map((e) => e.entry) }, this.ctx.clock());
      this.sent.set(bytesToHex(batchId), this.open);
      this.open = [];
      this.roundId = randomBytesOf(this.ctx, 16);
      return bytes;
    });
  }

  /** Checks the CA's result and seals one delivery per vehicle of the batch. */
  onResult(bytes: Uint8Array): { readonly aggregate: bigint; readonly deliveries: readonly { session: LagSession; bytes: Uint8Array }[] } {
    return guard(() => {
      const now = this.ctx.clock();
      const result = this.toCa.open("StatusResult", bytes, now);
      const entries = this.sent.get(bytesToHex(result.batchId));
      if (entries === undefined) throw new ProtocolError("UNKNOWN_REQUEST", "no such batch was sent");
      if (result.count !== entries.length || result.replies.length !== entries.length) {
        throw new ProtocolError("MALFORMED", "result does not match the batch");
      }
      const statement = aggregateStatement(this.lagId, result.batchId, result.aggregate, result.count);
      if (!verifyCaStatement(this.ctx.backend, this.ca, statement, result.caSignature)) {
        throw new ProtocolError("BAD_SIGNATURE", "aggregate is not signed by the CA");
      }
      this.sent.delete(bytesToHex(result.batchId));
      const deliveries = entries.map((e, i) => ({
        session: e.session,
        bytes: e.session.channel.seal(
          "StatusDelivery",
          { batchId: result.batchId, aggregate: result.aggregate, count: result.count, reply: result.replies[i] as Uint8Array, caSignature: result.caSignature },
          now,
        ),
      }));
      return { aggregate: result.aggregate, deliveries };
    });
  }
}

/** A batch past its cheap checks, with the ring checks still to run. */
interface PreparedBatch {
  readonly lagId: Uint8Array;
  readonly channel: SessionChannel;
  readonly batch: MessageOf<"StatusBatch">;
  readonly round: string;
  readonly entries: readonly MessageOf<"StatusEntry">[];
  readonly checks: readonly AnswerRingCheck[];
  readonly keyImages: readonly Uint8Array[];
}

/** The CA desk's options. */
export interface CaStatusDeskOptions {
  /**
   * Where the rounds already counted are kept: a durable store (e.g. SQLite) makes a restarted
   * CA refuse a batch it counted before. Without one, rounds are held in memory only.
   */
  readonly rounds?: SyncKeyImageStore;
}

const ROUND_MARK = new TextEncoder().encode("status round counted");

/** The CA's desk: unmasks batches, signs aggregates, returns each vehicle its real status. */
export class CaStatusDesk {
  private readonly envelopes = new ReplayGuard();
  private readonly rounds = new ReplayGuard();
  /** Real statuses per batch, for billing (the CA never learns which vehicle sent which). */
  readonly records = new Map<string, { readonly lagId: Uint8Array; readonly statuses: readonly bigint[] }>();

  constructor(
    private readonly ca: CentralAuthority,
    private readonly options: CaStatusDeskOptions = {},
  ) {}

  /** Answers a batch, running its ring checks on this thread. */
  onBatch(bytes: Uint8Array): Uint8Array {
    return guard(() => {
      const prepared = this.prepare(bytes);
      return this.finish(prepared, prepared.checks.map((c) => runAnswerRingCheck(this.ca.ctx.backend, c)));
    });
  }

  /** Answers a batch, running its ring checks with `verify` (e.g. on a worker pool). */
  async onBatchWith(bytes: Uint8Array, verify: AnswerVerifier): Promise<Uint8Array> {
    return guardAsync(async () => {
      const prepared = this.prepare(bytes);
      const results = await verify(prepared.checks);
      return this.finish(prepared, results);
    });
  }

  /** Channel, size, round, envelopes, group versions and encodings: everything but the ring checks. */
  private prepare(bytes: Uint8Array): PreparedBatch {
    const { ctx } = this.ca;
    const now = ctx.clock();
    const { lagId, channel } = this.ca.channel(bytes);
    const batch = channel.open("StatusBatch", bytes, now);
    if (batch.entries.length < ctx.config.minStatusBatch) {
      throw new ProtocolError("BATCH_TOO_SMALL", `a batch needs at least ${ctx.config.minStatusBatch} vehicles`);
    }
    const round = `${bytesToHex(lagId)}/${bytesToHex(batch.roundId)}`;
    if (this.rounds.has(round, now)) throw new ProtocolError("REPLAYED", "this round already produced a batch");
    const entries = batch.entries.map((bytes) => decodeMessage("StatusEntry", bytes));
    this.checkEnvelopes(entries, now);
    // Count only entries tied to distinct members of a current group version.
    const scope = statusScope(lagId, batch.roundId);
    const current = { now, graceSeconds: ctx.config.groupGraceSeconds };
    const checks: AnswerRingCheck[] = [];
    const keyImages: Uint8Array[] = [];
    entries.forEach((e, i) => {
      const message = statusMessage(lagId, batch.roundId, e.masked, e.envelope, e.groupId, e.groupVersion);
      const { check, keyImage } = atEntry(i, () => prepareAnswerProof(this.ca.groups, e, scope, message, current));
      checks.push(check);
      keyImages.push(keyImage);
    });
    return { lagId, channel, batch, round, entries, checks, keyImages };
  }

  private checkEnvelopes(entries: readonly MessageOf<"StatusEntry">[], now: bigint): void {
    const envelopes = entries.map((e) => e.envelope);
    const distinct = new Set(envelopes.map(bytesToHex));
    if (distinct.size !== envelopes.length || envelopes.some((e) => this.envelopes.has(e, now))) {
      throw new ProtocolError("REPLAYED", "the batch repeats a status envelope");
    }
  }

  /** The ring checks' results in, unmasks, records the round and answers. */
  private finish(p: PreparedBatch, results: readonly boolean[]): Uint8Array {
    const { ctx } = this.ca;
    const now = ctx.clock();
    const { lagId, channel, batch, round, entries } = p;
    if (results.length !== entries.length) throw new ProtocolError("INTERNAL", "one ring check result per entry expected");
    results.forEach((ok, i) => atEntry(i, () => requireRingCheck(ok)));
    // Only proved key images count: one per distinct vehicle.
    if (new Set(p.keyImages.map(bytesToHex)).size !== entries.length) throw new ProtocolError("REPLAYED", "the batch counts one vehicle twice");
    // Another batch of the round may have been counted while these checks ran.
    if (this.rounds.has(round, now)) throw new ProtocolError("REPLAYED", "this round already produced a batch");
    this.checkEnvelopes(entries, now);
    const masked: bigint[] = [];
    const masks: bigint[] = [];
    const replyKeys: Uint8Array[] = [];
    entries.forEach((entry, i) => {
      const answer = decodeAnswer(openEnvelope(ctx.backend, this.ca.envelopeKeys, entry.envelope, envelopeAad(lagId)));
      if (answer.kind !== "status" || answer.body.length !== 8 + 32) throw new ProtocolError("MALFORMED", `entry ${i} is not a status mask`);
      masked.push(entry.masked);
      masks.push(decodeMask(answer.body.subarray(0, 8)));
      replyKeys.push(answer.body.slice(8));
    });
    // The durable record is written before the answer exists: a restart cannot count the round twice.
    if (this.options.rounds !== undefined && !this.options.rounds.claimNow(statusScope(lagId, batch.roundId), ROUND_MARK)) {
      throw new ProtocolError("REPLAYED", "this round already produced a batch");
    }
    this.rounds.claim(round, now + ctx.config.sessionSeconds, now, "status round");
    for (const entry of entries) this.envelopes.claim(entry.envelope, now + ctx.config.sessionSeconds, now, "status envelope");
    const aggregate = unmaskAggregate(sumMasked(masked), masks);
    const statuses = masked.map((m, i) => (m - (masks[i] as bigint) + DEFAULT_MASK_MODULUS) % DEFAULT_MASK_MODULUS);
    const replies = statuses.map((s, i) => chacha20poly1305(replyKeys[i] as Uint8Array, REPLY_NONCE, replyAad(batch.batchId)).encrypt(u64be(s)));
    const count = statuses.length;
    const caSignature = this.ca.signStatement(aggregateStatement(lagId, batch.batchId, aggregate, count));
    this.records.set(bytesToHex(batch.batchId), { lagId, statuses });
    return channel.seal("StatusResult", { batchId: batch.batchId, aggregate, count, replies, caSignature }, now);
  }
}

/** Runs `fn` for entry `i`, naming the entry in a refusal. */
function atEntry<T>(i: number, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const cause = toProtocolError(error);
    throw new ProtocolError(cause.code, `entry ${i}: ${cause.shortMessage}`, { details: { entry: i }, cause });
  }
}
