/**
 * Role awareness: storage-BV answers (the first paper's Figure 4). The LAG broadcasts a
 * CA-signed discharge request; each storage-BV answers agree or decline with a plain linkable
 * ring signature over its storage group, with a key image scoped to (LAG, request): the LAG
 * learns the answer but not which vehicle gave it, a second answer of the same vehicle to the
 * same request replaces the first (higher sequence), and answers to different requests are
 * unlinkable. The LAG forwards the answers under its channel operator; the CA verifies them and
 * signs a verdict holding, per key image, an operator only the answering vehicle can check
 * (HMAC under a key from DH(e_B, C)); the vehicle acts only after that check.
 *
 *   CA ──DischargeRequest──▶ LAG ══broadcast══▶ storage-BVs ──StorageAnswer──▶ LAG
 *   LAG ──StorageForward(op)──▶ CA ──StorageVerdict(CA sig)──▶ LAG ══broadcast══▶ storage-BVs
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  authOperator,
  bytesToHex,
  concatBytes,
  ctEqual,
  decodeLsagSignature,
  diffieHellman,
  encodeSignature,
  frame,
  generateKeyPair,
  lsagSign,
  lsagVerify,
  u16be,
  u64be,
  verifyAuthOperator,
  type KeyPair,
  type Scope,
} from "../crypto/index.js";
import { verifyCaStatement, type CaPublicKeys, type CentralAuthority, type VehicleCredential } from "./ca.js";
import type { SessionChannel } from "./channel.js";
import { checkWindow, type Backend, type PartyContext } from "./context.js";
import { verifyDischargeRequest, type CaDischargeDesk, type DischargeRequest } from "./discharge.js";
import { guard, ProtocolError } from "./errors.js";
import type { GroupDirectory } from "./groups.js";
import { decodeMessage, encodeMessage, MAX_STORAGE_RING, PROTOCOL_VERSION, type MessageOf } from "./messages.js";
import { messageDigest, type RunLog } from "./runLog.js";
import { PROTOCOL_TAGS } from "./tags.js";

/** A storage-BV's answer. */
export type StorageAnswer = MessageOf<"StorageAnswer">;
const AGREE = 1;
const DECLINE = 2;
const VERDICT_LABEL = "ca->bv/StorageVerdict";

/** The scope of a request's answers: linkable within the request only. */
export function storageScope(lagId: Uint8Array, requestId: Uint8Array): Scope {
  return { lagId: sha256(frame(PROTOCOL_TAGS.storageScope, [lagId, requestId])), epoch: 0n };
}

/** The message a storage-BV ring-signs. */
export function storageMessage(lagId: Uint8Array, a: Omit<StorageAnswer, "ring" | "signature">): Uint8Array {
  return frame(PROTOCOL_TAGS.storageMessage, [
    u16be(PROTOCOL_VERSION),
    lagId,
    a.requestId,
    u64be(a.sequence),
    Uint8Array.of(a.answer),
    u64be(a.timestamp),
    a.ephemeralKey,
    a.groupId,
    u64be(a.groupVersion),
  ]);
}

/** Decodes and verifies a storage answer against the committed group (throws on anything wrong). */
export function verifyStorageAnswer(b: Backend, groups: GroupDirectory, lagId: Uint8Array, bytes: Uint8Array): { answer: StorageAnswer; keyImage: Uint8Array } {
  const answer = decodeMessage("StorageAnswer", bytes);
  if (answer.answer !== AGREE && answer.answer !== DECLINE) throw new ProtocolError("MALFORMED", "answer must be agree or decline");
  const group = groups.checkRing(answer.groupId, answer.groupVersion, answer.ring);
  const signature = decodeLsagSignature(answer.signature, { maxRingSize: MAX_STORAGE_RING });
  const statement = { group: { groupId: answer.groupId, root: group.root, version: answer.groupVersion }, ring: answer.ring, scope: storageScope(lagId, answer.requestId), message: storageMessage(lagId, answer) };
  if (!lsagVerify(b, statement, signature, { maxRingSize: MAX_STORAGE_RING })) throw new ProtocolError("BAD_SIGNATURE", "storage answer signature does not verify");
  return { answer, keyImage: signature.keyImage };
}

function verdictKey(b: Backend, secret: Uint8Array, peer: Uint8Array, ephemeralKey: Uint8Array, requestId: Uint8Array): Uint8Array {
  const shared = diffieHellman(b, secret, peer);
  return hkdf(sha256, shared, requestId, frame(PROTOCOL_TAGS.storageKey, [ephemeralKey, requestId]), 32);
}

const verdictStatement = (bytes: Uint8Array): Uint8Array => bytes.subarray(0, bytes.length - 64);

/** The storage-BV's side. */
export class StorageVehicle {
  private readonly requests = new Map<string, { request: DischargeRequest; sequence: bigint; sent?: { ephemeral: KeyPair; keyImage: Uint8Array; digest: Uint8Array; agree: boolean } }>();

  constructor(
    private readonly ctx: PartyContext,
    private readonly credential: VehicleCredential,
    private readonly ca: CaPublicKeys,
  ) {}

  /** Checks a broadcast request (CA signature, window). */
  onRequest(bytes: Uint8Array): DischargeRequest {
    return guard(() => {
      const request = verifyDischargeRequest(this.ctx, this.ca, bytes);
      checkWindow(this.ctx.clock(), request.notBefore, request.notAfter, this.ctx.config, "discharge request");
      if (!this.requests.has(bytesToHex(request.requestId))) this.requests.set(bytesToHex(request.requestId), { request, sequence: 0n });
      return request;
    });
  }

  /** Answers (or re-answers) anonymously. */
  answer(requestId: Uint8Array, agree: boolean): Uint8Array {
    const entry = this.requests.get(bytesToHex(requestId));
    if (entry === undefined) throw new ProtocolError("OUT_OF_ORDER", "no such request was received");
    return guard(() => {
      const b = this.ctx.backend;
      const c = this.credential;
      const { lagId } = entry.request;
      const ephemeral = generateKeyPair(b, this.ctx.rng);
      const fields = { requestId, sequence: entry.sequence + 1n, answer: agree ? AGREE : DECLINE, timestamp: this.ctx.clock(), ephemeralKey: ephemeral.publicKey, groupId: c.groupId, groupVersion: c.groupVersion };
      const statement = { group: { groupId: c.groupId, root: c.root, version: c.groupVersion }, ring: c.ring, scope: storageScope(lagId, requestId), message: storageMessage(lagId, fields) };
      const signature = lsagSign(b, statement, c.keys.secretKey, { rng: this.ctx.rng, maxRingSize: MAX_STORAGE_RING });
      const bytes = encodeMessage("StorageAnswer", { ...fields, ring: [...c.ring], signature: encodeSignature(signature) });
      entry.sequence = fields.sequence;
      entry.sent = { ephemeral, keyImage: signature.keyImage, digest: sha256(bytes), agree };
      return bytes;
    });
  }

  /** Checks the CA's verdict and this vehicle's operator in it: true means "act on your answer". */
  onVerdict(bytes: Uint8Array): { readonly agreed: number; readonly declined: number; readonly confirmed: boolean } {
    return guard(() => {
      const verdict = decodeMessage("StorageVerdict", bytes);
      if (!verifyCaStatement(this.ctx.backend, this.ca, verdictStatement(bytes), verdict.signature)) {
        throw new ProtocolError("BAD_SIGNATURE", "verdict is not signed by the CA");
      }
      const sent = this.requests.get(bytesToHex(verdict.requestId))?.sent;
      if (sent === undefined) throw new ProtocolError("OUT_OF_ORDER", "no answer was sent to this request");
      const mine = verdict.operators.find((entry) => ctEqual(entry.subarray(0, 32), sent.keyImage));
      const key = verdictKey(this.ctx.backend, sent.ephemeral.secretKey, this.ca.envelopeKey, sent.ephemeral.publicKey, verdict.requestId);
      const confirmed = mine !== undefined && verifyAuthOperator(key, VERDICT_LABEL, [sent.digest], mine.subarray(32));
      return { agreed: verdict.agreed, declined: verdict.declined, confirmed };
    });
  }
}

/** The LAG's desk: broadcasts requests, verifies anonymous answers, forwards them, relays the verdict. */
export class LagStorageDesk {
  private readonly answers = new Map<string, Map<string, { sequence: bigint; bytes: Uint8Array }>>();
  private readonly requests = new Map<string, DischargeRequest>();

  constructor(
    private readonly ctx: PartyContext,
    private readonly lagId: Uint8Array,
    private readonly ca: CaPublicKeys,
    private readonly groups: GroupDirectory,
    private readonly toCa: SessionChannel,
    private readonly log?: RunLog,
  ) {}

  /** Checks a CA request addressed to this LAG; the same bytes are then broadcast. */
  broadcast(requestBytes: Uint8Array): Uint8Array {
    return guard(() => {
      const request = verifyDischargeRequest(this.ctx, this.ca, requestBytes);
      if (!ctEqual(request.lagId, this.lagId)) throw new ProtocolError("WRONG_SCOPE", "request addressed to another LAG");
      this.requests.set(bytesToHex(request.requestId), request);
      this.answers.set(bytesToHex(request.requestId), new Map());
      return requestBytes;
    });
  }

  /** Verifies an answer; returns what the LAG learns: the answer, never the vehicle. */
  onAnswer(bytes: Uint8Array): { readonly agree: boolean; readonly replaced: boolean } {
    return guard(() => {
      const now = this.ctx.clock();
      const requestId = decodeMessage("StorageAnswer", bytes).requestId;
      const request = this.requests.get(bytesToHex(requestId));
      if (request === undefined) throw new ProtocolError("UNKNOWN_REQUEST", "answer to an unknown request");
      checkWindow(now, request.notBefore, request.notAfter, this.ctx.config, "discharge request");
      const { answer, keyImage } = verifyStorageAnswer(this.ctx.backend, this.groups, this.lagId, bytes);
      checkWindow(answer.timestamp, now - this.ctx.config.challengeSeconds, now + 1n, this.ctx.config, "answer timestamp");
      const held = this.answers.get(bytesToHex(requestId)) as Map<string, { sequence: bigint; bytes: Uint8Array }>;
      const previous = held.get(bytesToHex(keyImage));
      if (previous !== undefined && previous.sequence >= answer.sequence) throw new ProtocolError("REPLAYED", "an answer with this sequence was seen");
      held.set(bytesToHex(keyImage), { sequence: answer.sequence, bytes: bytes.slice() });
      this.log?.record("storage-answer", messageDigest(bytes));
      return { agree: answer.answer === AGREE, replaced: previous !== undefined };
    });
  }

  /** Seals the answers in force for the CA. */
  forward(requestId: Uint8Array): Uint8Array {
    const held = this.answers.get(bytesToHex(requestId));
    if (held === undefined || held.size === 0) throw new ProtocolError("UNKNOWN_REQUEST", "no answers to forward");
    return guard(() => this.toCa.seal("StorageForward", { requestId, answers: [...held.values()].map((a) => a.bytes) }, this.ctx.clock()));
  }

  /** Checks the CA's verdict; the same bytes are broadcast to the storage-BVs. */
  onVerdict(bytes: Uint8Array): { readonly agreed: number; readonly declined: number } {
    return guard(() => {
      const verdict = decodeMessage("StorageVerdict", bytes);
      if (!ctEqual(verdict.lagId, this.lagId) || !verifyCaStatement(this.ctx.backend, this.ca, verdictStatement(bytes), verdict.signature)) {
        throw new ProtocolError("BAD_SIGNATURE", "verdict is not the CA's verdict for this LAG");
      }
      return { agreed: verdict.agreed, declined: verdict.declined };
    });
  }
}

/** The CA's desk: verifies forwarded answers and signs the verdict. */
export class CaStorageDesk {
  constructor(
    private readonly ca: CentralAuthority,
    private readonly requests: CaDischargeDesk,
  ) {}

  onForward(bytes: Uint8Array): Uint8Array {
    return guard(() => {
      const { ctx } = this.ca;
      const { lagId, channel } = this.ca.channel(bytes);
      const forward = channel.open("StorageForward", bytes, ctx.clock());
      const request = this.requests.request(forward.requestId);
      if (!ctEqual(request.lagId, lagId)) throw new ProtocolError("UNKNOWN_REQUEST", "request of another LAG");
      const latest = new Map<string, { answer: StorageAnswer; keyImage: Uint8Array; digest: Uint8Array }>();
      for (const item of forward.answers) {
        const { answer, keyImage } = verifyStorageAnswer(ctx.backend, this.ca.groups, lagId, item);
        if (!ctEqual(answer.requestId, forward.requestId)) throw new ProtocolError("MALFORMED", "answer to another request");
        const held = latest.get(bytesToHex(keyImage));
        if (held === undefined || held.answer.sequence < answer.sequence) latest.set(bytesToHex(keyImage), { answer, keyImage, digest: sha256(item) });
      }
      const entries = [...latest.values()];
      const operators = entries.map((e) => {
        const key = verdictKey(ctx.backend, this.ca.envelopeKeys.secretKey, e.answer.ephemeralKey, e.answer.ephemeralKey, forward.requestId);
        return concatBytes(e.keyImage, authOperator(key, VERDICT_LABEL, [e.digest]));
      });
      const agreed = entries.filter((e) => e.answer.answer === AGREE).length;
      const verdict = { requestId: forward.requestId, lagId, agreed, declined: entries.length - agreed, operators, signature: new Uint8Array(64) };
      const out = encodeMessage("StorageVerdict", verdict);
      out.set(this.ca.signStatement(verdictStatement(out)), out.length - 64);
      return out;
    });
  }
}
