/**
 * Battery status charging → FC, the vehicle's side: anonymous, accountable, mutual
 * authentication with a LAG of a visiting network.
 *
 *   idle --AuthChallenge / AuthResponse--> responded --AuthConfirm--> established
 *     any failure --> failed (terminal)
 *
 * On the challenge the vehicle checks the CA permit (signature, validity, that it names this
 * LAG), the time window, that the epoch is the current one, that the nonce is fresh and that it
 * never authenticated in this scope before (a second image would let the LAG link it); then it
 * ring-signs m with escrow to the CA, derives K and sends its operator. On the confirmation it
 * checks the LAG's operator: only the holder of the permitted static key can compute K.
 */
import {
  authOperator,
  bytesToHex,
  checkPermit,
  ctEqual,
  decodePermit,
  encodeScope,
  encodeSignature,
  escrowSign,
  generateKeyPair,
  transcriptHash,
  vehicleSessionKey,
  verifyAuthOperator,
  type KeyPair,
} from "../crypto/index.js";
import type { CaPublicKeys, VehicleCredential } from "./ca.js";
import { SessionChannel } from "./channel.js";
import { checkWindow, epochOf, type PartyContext } from "./context.js";
import { guard, ProtocolError } from "./errors.js";
import { decodeMessage, encodeMessage, withoutOperator, type MessageOf } from "./messages.js";
import { ReplayGuard } from "./replay.js";
import type { VehicleSession } from "./sessions.js";
import { AUTH_LABELS, authDigest, authStatement, roleCode, scopeOf, type AuthTranscript } from "./transcript.js";

/** What a vehicle remembers across authentications: challenge nonces and scopes used. */
export class VehicleMemory {
  readonly nonces = new ReplayGuard();
  readonly scopes = new ReplayGuard("DOUBLE_AUTHENTICATION");
}

/** States of the vehicle's authentication machine. */
export type VehicleAuthState = "idle" | "responded" | "established" | "failed";

/** The outcome of a completed authentication. */
export interface VehicleAuthResult extends VehicleSession {
  readonly transcript: AuthTranscript;
  /** Digest of the transcript: the leaf the LAG's batch acknowledgement must include. */
  readonly digest: string;
}

/** One authentication run of one vehicle. */
export class VehicleAuth {
  private current: VehicleAuthState = "idle";
  private challengeBytes: Uint8Array | undefined;
  private challenge: MessageOf<"AuthChallenge"> | undefined;
  private responseBytes: Uint8Array | undefined;
  private key: Uint8Array | undefined;

  constructor(
    private readonly ctx: PartyContext,
    private readonly credential: VehicleCredential,
    private readonly ca: CaPublicKeys,
    private readonly memory: VehicleMemory = new VehicleMemory(),
  ) {}

  get state(): VehicleAuthState {
    return this.current;
  }

  /** Answers a LAG's challenge with a ring-signed, escrowed response. */
  onChallenge(bytes: Uint8Array): Uint8Array {
    if (this.current !== "idle") throw new ProtocolError("OUT_OF_ORDER", `challenge received in state ${this.current}`);
    const challenge = guard(() => decodeMessage("AuthChallenge", bytes));
    return this.step(() => {
      const b = this.ctx.backend;
      const now = this.ctx.clock();
      checkWindow(now, challenge.notBefore, challenge.notAfter, this.ctx.config, "challenge");
      if (challenge.epoch !== epochOf(now, this.ctx.config)) {
        throw new ProtocolError("WRONG_SCOPE", "challenge names another epoch", { details: { epoch: challenge.epoch } });
      }
      const permit = decodePermit(challenge.permit);
      if (!ctEqual(permit.aggregatorId, challenge.lagId)) throw new ProtocolError("BAD_PERMIT", "permit names another LAG");
      const status = checkPermit(b, this.ca.permitKey, permit, now);
      if (status !== "valid") throw new ProtocolError("BAD_PERMIT", `permit is ${status}`, { details: { status } });
      const until = challenge.notAfter + this.ctx.config.clockSkewSeconds;
      this.memory.nonces.claim(challenge.nonce, until, now, "challenge nonce");
      const scopeKey = bytesToHex(encodeScope(scopeOf(challenge)));
      this.memory.scopes.claim(scopeKey, (challenge.epoch + 2n) * this.ctx.config.epochSeconds, now, "scope");
      const ephemeral = generateKeyPair(b, this.ctx.rng);
      const response = this.sign(challenge, ephemeral, now);
      const transcript = [bytes, withoutOperator(response)];
      const key = vehicleSessionKey(b, {
        ephemeral,
        lagEphemeralKey: challenge.lagEphemeralKey,
        lagStaticKey: permit.aggregatorKey,
        transcriptHash: transcriptHash(transcript),
      });
      response.set(authOperator(key, AUTH_LABELS.response, transcript), response.length - 32);
      this.challengeBytes = bytes.slice();
      this.challenge = challenge;
      this.responseBytes = response;
      this.key = key;
      this.current = "responded";
      return response.slice();
    });
  }

  private sign(challenge: MessageOf<"AuthChallenge">, ephemeral: KeyPair, now: bigint): Uint8Array {
    const c = this.credential;
    const fields: MessageOf<"AuthResponse"> = {
      sessionId: challenge.sessionId,
      role: roleCode(c.role),
      groupId: c.groupId,
      groupVersion: c.groupVersion,
      timestamp: now,
      ephemeralKey: ephemeral.publicKey,
      ring: [...c.ring],
      signature: new Uint8Array(0),
      operator: new Uint8Array(32),
    };
    const statement = authStatement(challenge, fields, c.root, this.ca.escrowKey);
    const signature = escrowSign(this.ctx.backend, statement, c.keys.secretKey, { rng: this.ctx.rng });
    return encodeMessage("AuthResponse", { ...fields, signature: encodeSignature(signature) });
  }

  /** Checks the LAG's confirmation (mutual authentication) and opens the session. */
  onConfirm(bytes: Uint8Array): VehicleAuthResult {
    if (this.current === "established") throw new ProtocolError("REPLAYED", "the authentication is already complete");
    if (this.current !== "responded") throw new ProtocolError("OUT_OF_ORDER", `confirmation received in state ${this.current}`);
    const confirm = guard(() => decodeMessage("AuthConfirm", bytes));
    const challenge = this.challenge as MessageOf<"AuthChallenge">;
    if (!ctEqual(confirm.sessionId, challenge.sessionId)) throw new ProtocolError("WRONG_SESSION", "confirmation for another session");
    return this.step(() => {
      const now = this.ctx.clock();
      checkWindow(now, challenge.notBefore, challenge.notAfter, this.ctx.config, "authentication");
      const transcript = [this.challengeBytes as Uint8Array, this.responseBytes as Uint8Array, withoutOperator(bytes)];
      if (!verifyAuthOperator(this.key as Uint8Array, AUTH_LABELS.confirm, transcript, confirm.operator)) {
        throw new ProtocolError("BAD_OPERATOR", "the LAG's operator does not verify");
      }
      const latest = now + this.ctx.config.sessionSeconds + this.ctx.config.clockSkewSeconds;
      const expiresAt = confirm.expiresAt < latest ? confirm.expiresAt : latest;
      const channel = new SessionChannel({ id: challenge.sessionId, key: this.key as Uint8Array, local: "bv", peer: "lag", mode: "visiting", expiresAt });
      const full: AuthTranscript = { challenge: this.challengeBytes as Uint8Array, response: this.responseBytes as Uint8Array, confirm: bytes.slice() };
      this.current = "established";
      return { channel, lagId: challenge.lagId, transcript: full, digest: authDigest(full) };
    });
  }

  private step<T>(fn: () => T): T {
    try {
      return guard(fn);
    } catch (error) {
      this.current = "failed";
      throw error;
    }
  }
}
