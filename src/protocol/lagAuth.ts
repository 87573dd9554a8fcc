/**
 * Battery status charging → FC, the LAG's side. One `LagAuthenticator` serves every vehicle;
 * each session runs the machine
 *
 *   (new) --challenge()--> challenged --AuthResponse ok / AuthConfirm--> established
 *                                     --AuthResponse refused----------> failed
 *
 * A response is checked cheapest first: session known and still challenged (else
 * `WRONG_SESSION` / `REPLAYED`), within the challenge window, timestamp fresh, the ring drawn
 * from a committed group version, the key image not yet used in this scope; then
 * `checkAnonymousAuth` (own permit, session key and the vehicle's operator, ring signature with
 * escrow proof); then the key image is claimed. The LAG learns the group attribute and role.
 */
import {
  authOperator,
  bytesToHex,
  ctEqual,
  decodeEscrowSignature,
  decodePermit,
  generateKeyPair,
  transcriptHash,
  checkAnonymousAuth,
  type KeyPair,
  type Permit,
} from "../crypto/index.js";
import type { CaPublicKeys } from "./ca.js";
import { SessionChannel } from "./channel.js";
import { checkWindow, epochOf, randomBytesOf, type PartyContext } from "./context.js";
import { guard, ProtocolError } from "./errors.js";
import type { GroupDirectory } from "./groups.js";
import { decodeMessage, encodeMessage, NONCE_BYTES, SESSION_ID_BYTES, withoutOperator, type MessageOf } from "./messages.js";
import { KeyImageStore } from "./replay.js";
import { roleOf } from "./roles.js";
import type { RunLog } from "./runLog.js";
import { SessionTable, type LagSession } from "./sessions.js";
import { AUTH_LABELS, authDigest, authStatement, scopeOf, type AuthTranscript } from "./transcript.js";

/** A LAG's identity: its id, static key-agreement key L and the CA permit for L. */
export interface LagIdentity {
  readonly lagId: Uint8Array;
  readonly staticKeys: KeyPair;
  /** The encoded permit (`CentralAuthority.issueLagPermit`). */
  readonly permit: Uint8Array;
}

/** States of one session at the LAG. */
export type LagAuthState = "challenged" | "established" | "failed";

interface Pending {
  state: LagAuthState;
  readonly challengeBytes: Uint8Array;
  readonly challenge: MessageOf<"AuthChallenge">;
  readonly ephemeral: KeyPair;
}

/** An accepted authentication. */
export interface LagAuthResult {
  readonly confirm: Uint8Array;
  readonly session: LagSession;
  readonly transcript: AuthTranscript;
}

/** The LAG's authentication desk. */
export class LagAuthenticator {
  /** Key images accepted per scope. */
  readonly keyImages = new KeyImageStore();
  /** Established sessions (shared with the sub-protocol desks). */
  readonly sessions: SessionTable<LagSession>;
  /** Transcripts of the authentications accepted since the last batch acknowledgement. */
  readonly accepted: AuthTranscript[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly permit: Permit;

  constructor(
    private readonly ctx: PartyContext,
    readonly identity: LagIdentity,
    private readonly ca: CaPublicKeys,
    private readonly groups: GroupDirectory,
    sessions?: SessionTable<LagSession>,
    private readonly log?: RunLog,
  ) {
    this.permit = guard(() => decodePermit(identity.permit));
    if (!ctEqual(this.permit.aggregatorId, identity.lagId) || !ctEqual(this.permit.aggregatorKey, identity.staticKeys.publicKey)) {
      throw new ProtocolError("BAD_PERMIT", "the permit names another LAG id or static key");
    }
    this.sessions = sessions ?? new SessionTable<LagSession>();
  }

  /** State of a session (undefined if unknown). */
  stateOf(sessionId: Uint8Array): LagAuthState | undefined {
    return this.pending.get(bytesToHex(sessionId))?.state;
  }

  /** A fresh challenge: new session id, nonce and ephemeral key, the current epoch, a short window. */
  challenge(): Uint8Array {
    return guard(() => {
      const now = this.ctx.clock();
      const epoch = epochOf(now, this.ctx.config);
      this.keyImages.forgetBefore(epoch - 1n);
      this.sweep(now);
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

  /** Verifies a vehicle's response; on success returns the confirmation and the new session. */
  onResponse(bytes: Uint8Array): LagAuthResult {
    const response = guard(() => decodeMessage("AuthResponse", bytes));
    const pending = this.pending.get(bytesToHex(response.sessionId));
    if (pending === undefined) throw new ProtocolError("WRONG_SESSION", "no challenge with this session id");
    if (pending.state !== "challenged") throw new ProtocolError("REPLAYED", `session is already ${pending.state}`);
    try {
      return guard(() => this.verify(pending, response, bytes));
    } catch (error) {
      pending.state = "failed";
      throw error;
    }
  }

  private verify(pending: Pending, response: MessageOf<"AuthResponse">, bytes: Uint8Array): LagAuthResult {
    const { config, backend: b } = this.ctx;
    const { challenge, challengeBytes } = pending;
    const now = this.ctx.clock();
    checkWindow(now, challenge.notBefore, challenge.notAfter, config, "challenge");
    checkWindow(response.timestamp, challenge.notBefore, challenge.notAfter, config, "response timestamp");
    if (response.timestamp > now + config.clockSkewSeconds) throw new ProtocolError("NOT_YET_VALID", "response dated in the future");
    if (response.ring.length > config.maxRingSize) throw new ProtocolError("MALFORMED", "ring larger than this LAG accepts");
    const role = roleOf(response.role);
    const group = this.groups.checkRing(response.groupId, response.groupVersion, response.ring);
    const signature = decodeEscrowSignature(response.signature, { maxRingSize: config.maxRingSize });
    const scope = scopeOf(challenge);
    if (this.keyImages.has(scope, signature.keyImage)) {
      throw new ProtocolError("DOUBLE_AUTHENTICATION", "this vehicle already authenticated in this scope");
    }
    const transcript = [challengeBytes, withoutOperator(bytes)];
    const result = checkAnonymousAuth(b, {
      permit: this.permit,
      caPermitKey: this.ca.permitKey,
      now,
      keyAgreement: {
        ephemeral: pending.ephemeral,
        static: this.identity.staticKeys,
        vehicleEphemeralKey: response.ephemeralKey,
        transcriptHash: transcriptHash(transcript),
      },
      operatorLabel: AUTH_LABELS.response,
      transcript,
      operatorTag: response.operator,
      ring: { kind: "lsag-escrow", statement: authStatement(challenge, response, group.root, this.ca.escrowKey), signature },
      limits: { maxRingSize: config.maxRingSize },
    });
    if (!result.ok) {
      const code = result.failed === "permit" ? "BAD_PERMIT" : result.failed === "operator" ? "BAD_OPERATOR" : "BAD_SIGNATURE";
      throw new ProtocolError(code, `authentication refused: ${result.failed} check failed`);
    }
    this.keyImages.claim(scope, result.keyImage);
    const expiresAt = now + config.sessionSeconds;
    const confirm = encodeMessage("AuthConfirm", { sessionId: challenge.sessionId, expiresAt, operator: new Uint8Array(32) });
    confirm.set(authOperator(result.sessionKey, AUTH_LABELS.confirm, [challengeBytes, bytes, withoutOperator(confirm)]), confirm.length - 32);
    const full: AuthTranscript = { challenge: challengeBytes, response: bytes.slice(), confirm };
    const channel = new SessionChannel({ id: challenge.sessionId, key: result.sessionKey, local: "lag", peer: "bv", mode: "visiting", expiresAt });
    const session: LagSession = { channel, mode: "visiting", role, attribute: group.attribute, digest: authDigest(full) };
    this.sessions.add(session);
    this.accepted.push(full);
    this.log?.record("authentication", session.digest);
    pending.state = "established";
    return { confirm: confirm.slice(), session, transcript: full };
  }

  /** Takes the transcripts accepted so far (for a batch acknowledgement). */
  takeAccepted(): AuthTranscript[] {
    return this.accepted.splice(0, this.accepted.length);
  }

  private sweep(now: bigint): void {
    if (this.pending.size < 4096) return;
    const horizon = this.ctx.config.sessionSeconds + this.ctx.config.clockSkewSeconds;
    for (const [id, p] of this.pending) if (p.challenge.notAfter + horizon <= now) this.pending.delete(id);
    this.sessions.sweep(now);
  }
}
