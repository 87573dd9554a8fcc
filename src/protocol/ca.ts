/**
 * The central authority's keys and its off-chain duties: permits for LAGs, group enrolment
 * (the member list whose root the registry commits), vehicle credentials, CA-signed
 * statements, and the CA end of each LAG–CA channel. The CA desks of the individual protocols
 * (`discharge.ts`, `pseudoStatus.ts`, `storage.ts`, `escrowOpening.ts`) build on it.
 */
import {
  bytesToHex,
  checkPermit,
  decodePermit,
  encodePermit,
  generateKeyPair,
  issuePermit,
  schnorrSign,
  schnorrVerify,
  type KeyPair,
  type Permit,
  type SchnorrDomain,
} from "../crypto/index.js";
import { lagCaChannelParams, SessionChannel } from "./channel.js";
import { guard, ProtocolError } from "./errors.js";
import type { Backend, PartyContext } from "./context.js";
import { GroupDirectory, groupRoot, ringOf, type GroupVersionRecord } from "./groups.js";
import { CA_SIGNATURE_BYTES, peekMessage, SESSION_ID_BYTES } from "./messages.js";
import type { Role } from "./roles.js";
import { PROTOCOL_TAGS } from "./tags.js";

/** What every party knows of the CA. */
export interface CaPublicKeys {
  /** Signs permits and CA statements (Schnorr, distinct domains). */
  readonly permitKey: Uint8Array;
  /** Y: identity escrow of anonymous authentications. */
  readonly escrowKey: Uint8Array;
  /** Envelopes of hidden answers, masks, and the LAG–CA channel. */
  readonly envelopeKey: Uint8Array;
}

/** The CA's three key pairs (kept apart: one key per use). */
export interface CaSecrets {
  readonly permit: KeyPair;
  readonly escrow: KeyPair;
  readonly envelope: KeyPair;
}

/** What the CA gives an enrolled vehicle. */
export interface VehicleCredential {
  readonly keys: KeyPair;
  readonly groupId: Uint8Array;
  readonly groupVersion: bigint;
  readonly root: Uint8Array;
  /** The vehicle's fixed ring (its bucket of the group version). */
  readonly ring: readonly Uint8Array[];
  readonly role: Role;
}

const STATEMENT_DOMAIN: SchnorrDomain = {
  challengeTag: PROTOCOL_TAGS.caStatementChallenge,
  nonceTag: PROTOCOL_TAGS.caStatementNonce,
};

/** True if `signature` is the CA's signature over the statement `bytes`. */
export function verifyCaStatement(b: Backend, ca: CaPublicKeys, bytes: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== CA_SIGNATURE_BYTES) return false;
  return guard(() => schnorrVerify(b, STATEMENT_DOMAIN, ca.permitKey, bytes, signature));
}

/**
 * The first counter of a LAG–CA channel reopened by a process that may have sent on it before
 * (the key is the same in every run): the wall clock in ms · 2^20, above every counter an earlier
 * run sent unless it sent 2^20 messages in one millisecond. Both ends use it when they restart.
 */
export function restartSafeFirstCounter(nowMs: number = Date.now()): bigint {
  return BigInt(nowMs) << 20n;
}

/**
 * The LAG end of its channel to the CA (key from DH(l, C); expires with the permit). The key is
 * the same whenever the LAG reopens the channel, so a LAG process that restarts must pass
 * `firstCounter: restartSafeFirstCounter()` — counters starting at 1 again would reuse
 * ChaCha20 nonces under that key (and the CA refuses them as replays).
 */
export function openLagCaChannel(
  b: Backend,
  identity: { readonly lagId: Uint8Array; readonly staticKeys: KeyPair; readonly permit: Uint8Array },
  ca: CaPublicKeys,
  firstCounter = 1n,
): SessionChannel {
  return guard(() => {
    const permit = decodePermit(identity.permit);
    const { lagId, staticKeys } = identity;
    const binding = { lagId, lagKey: staticKeys.publicKey, caKey: ca.envelopeKey, permitNonce: permit.nonce };
    const { id, key } = lagCaChannelParams(b, staticKeys.secretKey, ca.envelopeKey, binding);
    return new SessionChannel({ id, key, local: "lag", peer: "ca", mode: "backhaul", expiresAt: permit.notAfter, firstCounter });
  });
}

/** The central authority. */
export class CentralAuthority {
  readonly publicKeys: CaPublicKeys;
  /** Group versions the CA enrolled, with their member lists. */
  readonly groups = new GroupDirectory();
  private readonly lags = new Map<string, { readonly lagId: Uint8Array; readonly key: Uint8Array; channel: SessionChannel }>();
  private readonly memberLists = new Map<string, readonly Uint8Array[]>();

  constructor(
    readonly ctx: PartyContext,
    private readonly secrets: CaSecrets = {
      permit: generateKeyPair(ctx.backend, ctx.rng),
      escrow: generateKeyPair(ctx.backend, ctx.rng),
      envelope: generateKeyPair(ctx.backend, ctx.rng),
    },
  ) {
    this.publicKeys = {
      permitKey: secrets.permit.publicKey,
      escrowKey: secrets.escrow.publicKey,
      envelopeKey: secrets.envelope.publicKey,
    };
  }

  /** The envelope key pair (for the desks that open envelopes). */
  get envelopeKeys(): KeyPair {
    return this.secrets.envelope;
  }

  /** The escrow secret y (for `openEscrowForDispute` only). */
  get escrowSecret(): Uint8Array {
    return this.secrets.escrow.secretKey;
  }

  /** Signs a CA statement. */
  signStatement(bytes: Uint8Array): Uint8Array {
    return schnorrSign(this.ctx.backend, STATEMENT_DOMAIN, this.secrets.permit.secretKey, bytes, { rng: this.ctx.rng });
  }

  /** Issues the encoded permit of LAG `lagId` with static key `lagKey`, and opens its channel. */
  issueLagPermit(lagId: Uint8Array, lagKey: Uint8Array, notBefore: bigint, notAfter: bigint): Uint8Array {
    return guard(() => {
      const permit = issuePermit(this.ctx.backend, this.secrets.permit.secretKey, { aggregatorId: lagId, aggregatorKey: lagKey, notBefore, notAfter }, { rng: this.ctx.rng });
      this.openChannel(permit);
      return encodePermit(permit);
    });
  }

  /**
   * Reopens the channel of a LAG from a permit this CA issued before (a restarted CA);
   * `BAD_PERMIT` for a permit it did not sign. The CA's counters restart at `firstCounter`,
   * which must be above every counter it sent on that channel before (the key is the same).
   */
  admitLag(permitBytes: Uint8Array, firstCounter: bigint): void {
    guard(() => {
      const permit = decodePermit(permitBytes);
      if (checkPermit(this.ctx.backend, this.publicKeys.permitKey, permit, this.ctx.clock()) === "bad-signature") throw new ProtocolError("BAD_PERMIT", "the permit is not this CA's");
      this.openChannel(permit, firstCounter);
    });
  }

  private openChannel(permit: Permit, firstCounter = 1n): void {
    const { aggregatorId: lagId, aggregatorKey: lagKey, notAfter } = permit;
    const binding = { lagId, lagKey, caKey: this.publicKeys.envelopeKey, permitNonce: permit.nonce };
    const { id, key } = lagCaChannelParams(this.ctx.backend, this.secrets.envelope.secretKey, lagKey, binding);
    const channel = new SessionChannel({ id, key, local: "ca", peer: "lag", mode: "backhaul", expiresAt: notAfter, firstCounter });
    this.lags.set(bytesToHex(id), { lagId: lagId.slice(), key: lagKey.slice(), channel });
  }

  /** The CA end of the channel a LAG message names (`WRONG_SESSION` if no LAG holds it). */
  channel(message: Uint8Array): { readonly lagId: Uint8Array; readonly channel: SessionChannel } {
    peekMessage(message);
    if (message.length < 2 + SESSION_ID_BYTES) throw new ProtocolError("MALFORMED", "message ends inside its channel id");
    const lag = this.lags.get(bytesToHex(message.subarray(2, 2 + SESSION_ID_BYTES)));
    if (lag === undefined) throw new ProtocolError("WRONG_SESSION", "no LAG channel with this id");
    return lag;
  }

  /** Enrols a group version (the caller publishes `record.root` in the registry). */
  enrolGroup(groupId: Uint8Array, version: bigint, members: readonly Uint8Array[], attribute: string): GroupVersionRecord {
    const record: GroupVersionRecord = { groupId, version, root: groupRoot(members), memberCount: members.length, attribute, publishedAt: this.ctx.clock() };
    this.groups.commit(record);
    this.groups.addMembers(groupId, version, members);
    this.memberLists.set(`${bytesToHex(groupId)}/${version}`, [...members]);
    return record;
  }

  /** The credential of an enrolled vehicle: its keys, group version and ring of `ringSize`. */
  credential(keys: KeyPair, groupId: Uint8Array, version: bigint, ringSize: number, role: Role): VehicleCredential {
    const members = this.memberLists.get(`${bytesToHex(groupId)}/${version}`);
    if (members === undefined) throw new ProtocolError("UNKNOWN_GROUP", "group version not enrolled");
    const record = this.groups.get(groupId, version);
    return { keys, groupId, groupVersion: version, root: record.root, ring: ringOf(members, keys.publicKey, ringSize), role };
  }
}
