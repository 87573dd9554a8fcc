/**
 * Mobility, home network: the lighter pre-shared-key authentication between a vehicle and its
 * home LAG (no ring signature, no permit, no escrow: the home LAG already knows its
 * subscribers). Both ends prove knowledge of the key; the session key also mixes an ephemeral
 * Diffie–Hellman for forward secrecy. The vehicle sends no stable identifier: its `hint` is an
 * HMAC of the challenge nonce and its fresh ephemeral key, which the LAG matches by trial over
 * its subscribers' keys.
 *
 *   LAG ──HomeChallenge(sessionId, nonce, LAG id, window, E_L)──▶ BV
 *   BV  ──HomeResponse(hint, timestamp, E_B, op)──▶ LAG             hint = HMAC(psk, frame(tag, [nonce, E_B]))
 *   LAG ──HomeConfirm(expiresAt, op)──▶ BV
 *   K = HKDF-SHA-256(psk ‖ DH(e_B, E_L), salt = transcriptHash([challenge, response − op]), info = frame(tag, [E_B, E_L]))
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  authOperator,
  bytesToHex,
  concatBytes,
  ctEqual,
  diffieHellman,
  frame,
  generateKeyPair,
  transcriptHash,
  verifyAuthOperator,
  type KeyPair,
} from "../crypto/index.js";
import { SessionChannel } from "./channel.js";
import { checkWindow, randomBytesOf, type Backend, type PartyContext } from "./context.js";
import { guard, ProtocolError } from "./errors.js";
import { decodeMessage, encodeMessage, NONCE_BYTES, SESSION_ID_BYTES, withoutOperator, type MessageOf } from "./messages.js";
import { ReplayGuard } from "./replay.js";
import type { Role } from "./roles.js";
import type { RunLog } from "./runLog.js";
import { SessionTable, type LagSession, type VehicleSession } from "./sessions.js";
import { AUTH_LABELS, transcriptDigest } from "./transcript.js";
import { PROTOCOL_TAGS } from "./tags.js";

/** A vehicle's home subscription: its home LAG and the key they share. */
export interface HomeCredential {
  readonly lagId: Uint8Array;
  readonly psk: Uint8Array;
}

/** A subscriber as the home LAG holds it. */
export interface HomeSubscriber {
  readonly psk: Uint8Array;
  /** The home LAG's own record of the subscriber (never sent). */
  readonly label: string;
  readonly role: Role;
}

const hintOf = (psk: Uint8Array, nonce: Uint8Array, ephemeralKey: Uint8Array): Uint8Array =>
  hmac(sha256, psk, frame(PROTOCOL_TAGS.homeHint, [nonce, ephemeralKey]));

function homeKey(b: Backend, psk: Uint8Array, own: Uint8Array, peer: Uint8Array, transcript: readonly Uint8Array[], eB: Uint8Array, eL: Uint8Array): Uint8Array {
  const ikm = concatBytes(psk, diffieHellman(b, own, peer));
  return hkdf(sha256, ikm, transcriptHash(transcript), frame(PROTOCOL_TAGS.homeKey, [eB, eL]), 32);
}

/** The vehicle's side of one home authentication: idle → responded → established. */
export class VehicleHomeAuth {
  private state: "idle" | "responded" | "established" | "failed" = "idle";
  private saved: { challengeBytes: Uint8Array; challenge: MessageOf<"HomeChallenge">; response: Uint8Array; key: Uint8Array } | undefined;

  constructor(
    private readonly ctx: PartyContext,
    private readonly credential: HomeCredential,
    private readonly nonces: ReplayGuard = new ReplayGuard(),
  ) {}

  onChallenge(bytes: Uint8Array): Uint8Array {
    if (this.state !== "idle") throw new ProtocolError("OUT_OF_ORDER", `challenge received in state ${this.state}`);
    const challenge = guard(() => decodeMessage("HomeChallenge", bytes));
    return this.step(() => {
      const now = this.ctx.clock();
      if (!ctEqual(challenge.lagId, this.credential.lagId)) throw new ProtocolError("WRONG_SCOPE", "not this vehicle's home LAG");
      checkWindow(now, challenge.notBefore, challenge.notAfter, this.ctx.config, "challenge");
      this.nonces.claim(challenge.nonce, challenge.notAfter + this.ctx.config.clockSkewSeconds, now, "challenge nonce");
      const ephemeral: KeyPair = generateKeyPair(this.ctx.backend, this.ctx.rng);
      const hint = hintOf(this.credential.psk, challenge.nonce, ephemeral.publicKey);
      const response = encodeMessage("HomeResponse", { sessionId: challenge.sessionId, hint, timestamp: now, ephemeralKey: ephemeral.publicKey, operator: new Uint8Array(32) });
      const transcript = [bytes, withoutOperator(response)];
      const key = homeKey(this.ctx.backend, this.credential.psk, ephemeral.secretKey, challenge.lagEphemeralKey, transcript, ephemeral.publicKey, challenge.lagEphemeralKey);
      response.set(authOperator(key, AUTH_LABELS.homeResponse, transcript), response.length - 32);
      this.saved = { challengeBytes: bytes.slice(), challenge, response, key };
      this.state = "responded";
      return response.slice();
    });
  }

  onConfirm(bytes: Uint8Array): VehicleSession & { readonly digest: string } {
    if (this.state === "established") throw new ProtocolError("REPLAYED", "the authentication is already complete");
    const saved = this.saved;
    if (this.state !== "responded" || saved === undefined) throw new ProtocolError("OUT_OF_ORDER", `confirmation received in state ${this.state}`);
    const confirm = guard(() => decodeMessage("HomeConfirm", bytes));
    if (!ctEqual(confirm.sessionId, saved.challenge.sessionId)) throw new ProtocolError("WRONG_SESSION", "confirmation for another session");
    return this.step(() => {
      const now = this.ctx.clock();
      const transcript = [saved.challengeBytes, saved.response, withoutOperator(bytes)];
      if (!verifyAuthOperator(saved.key, AUTH_LABELS.homeConfirm, transcript, confirm.operator)) {
        throw new ProtocolError("BAD_OPERATOR", "the home LAG's operator does not verify");
      }
      const latest = now + this.ctx.config.sessionSeconds + this.ctx.config.clockSkewSeconds;
      const expiresAt = confirm.expiresAt < latest ? confirm.expiresAt : latest;
      this.state = "established";
      const channel = new SessionChannel({ id: saved.challenge.sessionId, key: saved.key, local: "bv", peer: "lag", mode: "home", expiresAt });
      return { channel, lagId: saved.challenge.lagId, digest: transcriptDigest([saved.challengeBytes, saved.response, bytes]) };
    });
  }

  private step<T>(fn: () => T): T {
    try {
      return guard(fn);
    } catch (error) {
      this.state = "failed";
      throw error;
    }
  }
}

/** The home LAG's side: challenges, matches the hint to a subscriber, confirms. */
export class LagHomeAuth {
  private readonly pending = new Map<string, { state: "challenged" | "established" | "failed"; bytes: Uint8Array; challenge: MessageOf<"HomeChallenge">; ephemeral: KeyPair }>();

  constructor(
    private readonly ctx: PartyContext,
    private readonly lagId: Uint8Array,
    private readonly subscribers: readonly HomeSubscriber[],
    readonly sessions: SessionTable<LagSession> = new SessionTable<LagSession>(),
    private readonly log?: RunLog,
  ) {}

  challenge(): Uint8Array {
    return guard(() => {
      const now = this.ctx.clock();
      const ephemeral = generateKeyPair(this.ctx.backend, this.ctx.rng);
      const challenge = { sessionId: randomBytesOf(this.ctx, SESSION_ID_BYTES), nonce: randomBytesOf(this.ctx, NONCE_BYTES), lagId: this.lagId, notBefore: now, notAfter: now + this.ctx.config.challengeSeconds, lagEphemeralKey: ephemeral.publicKey };
      const bytes = encodeMessage("HomeChallenge", challenge);
      this.pending.set(bytesToHex(challenge.sessionId), { state: "challenged", bytes, challenge, ephemeral });
      return bytes.slice();
    });
  }

  onResponse(bytes: Uint8Array): { readonly confirm: Uint8Array; readonly session: LagSession } {
    const response = guard(() => decodeMessage("HomeResponse", bytes));
    const pending = this.pending.get(bytesToHex(response.sessionId));
    if (pending === undefined) throw new ProtocolError("WRONG_SESSION", "no challenge with this session id");
    if (pending.state !== "challenged") throw new ProtocolError("REPLAYED", `session is already ${pending.state}`);
    try {
      return guard(() => {
        const now = this.ctx.clock();
        const { challenge } = pending;
        checkWindow(now, challenge.notBefore, challenge.notAfter, this.ctx.config, "challenge");
        checkWindow(response.timestamp, challenge.notBefore, challenge.notAfter, this.ctx.config, "response timestamp");
        const subscriber = this.subscribers.find((s) => ctEqual(hintOf(s.psk, challenge.nonce, response.ephemeralKey), response.hint));
        if (subscriber === undefined) throw new ProtocolError("BAD_OPERATOR", "no subscriber matches the response");
        const transcript = [pending.bytes, withoutOperator(bytes)];
        const key = homeKey(this.ctx.backend, subscriber.psk, pending.ephemeral.secretKey, response.ephemeralKey, transcript, response.ephemeralKey, challenge.lagEphemeralKey);
        if (!verifyAuthOperator(key, AUTH_LABELS.homeResponse, transcript, response.operator)) throw new ProtocolError("BAD_OPERATOR", "vehicle operator does not verify");
        const expiresAt = now + this.ctx.config.sessionSeconds;
        const confirm = encodeMessage("HomeConfirm", { sessionId: challenge.sessionId, expiresAt, operator: new Uint8Array(32) });
        confirm.set(authOperator(key, AUTH_LABELS.homeConfirm, [pending.bytes, bytes, withoutOperator(confirm)]), confirm.length - 32);
        const channel = new SessionChannel({ id: challenge.sessionId, key, local: "lag", peer: "bv", mode: "home", expiresAt });
        const session: LagSession = { channel, mode: "home", role: subscriber.role, attribute: subscriber.label, digest: transcriptDigest([pending.bytes, bytes, confirm]) };
        this.sessions.add(session);
        this.log?.record("home-authentication", session.digest);
        pending.state = "established";
        return { confirm: confirm.slice(), session };
      });
    } catch (error) {
      pending.state = "failed";
      throw error;
    }
  }
}
