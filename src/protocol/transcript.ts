/**
 * The anonymous authentication's signed statement and transcript, shared by the vehicle, the
 * LAG and the CA (who rebuilds the statement to open an escrow for a dispute).
 *
 *   m = encodeAuthMessage(version 1, type = 0x02 << 8 | role, LAG id, group id, group version,
 *                         challenge nonce, vehicle ephemeral key, timestamp)
 *   statement = (group id, committed root, version; ring; scope = (LAG id, epoch); m; CA escrow key Y)
 *   T = [challenge bytes, response bytes without operator]           (key derivation, BV operator)
 *   digest = SHA-256(frame("v2g/protocol/transcript", [challenge, response, confirm]))
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, encodeAuthMessage, frame, type EscrowStatement, type Scope } from "../crypto/index.js";
import { CATALOGUE, PROTOCOL_VERSION, type MessageOf } from "./messages.js";
import { ROLE_CODES, type Role } from "./roles.js";
import { PROTOCOL_TAGS } from "./tags.js";

/** The three messages of one anonymous authentication, as sent. */
export interface AuthTranscript {
  readonly challenge: Uint8Array;
  readonly response: Uint8Array;
  readonly confirm: Uint8Array;
}

/** Operator labels of the authentication itself. */
export const AUTH_LABELS = {
  response: "bv->lag/AuthResponse",
  confirm: "lag->bv/AuthConfirm",
  homeResponse: "bv->lag/HomeResponse",
  homeConfirm: "lag->bv/HomeConfirm",
} as const;

/** The scope of linkability of a challenge. */
export function scopeOf(challenge: Pick<MessageOf<"AuthChallenge">, "lagId" | "epoch">): Scope {
  return { lagId: challenge.lagId, epoch: challenge.epoch };
}

/** The message m the vehicle ring-signs. */
export function authSignedMessage(
  challenge: Pick<MessageOf<"AuthChallenge">, "lagId" | "nonce">,
  response: Pick<MessageOf<"AuthResponse">, "role" | "groupId" | "groupVersion" | "ephemeralKey" | "timestamp">,
): Uint8Array {
  return encodeAuthMessage({
    protocolVersion: PROTOCOL_VERSION,
    messageType: (CATALOGUE.AuthResponse.type << 8) | response.role,
    lagId: challenge.lagId,
    groupId: response.groupId,
    groupVersion: response.groupVersion,
    challengeNonce: challenge.nonce,
    ephemeralKey: response.ephemeralKey,
    timestamp: response.timestamp,
  });
}

/** The escrow statement of an authentication. */
export function authStatement(
  challenge: Pick<MessageOf<"AuthChallenge">, "lagId" | "nonce" | "epoch">,
  response: Pick<MessageOf<"AuthResponse">, "role" | "groupId" | "groupVersion" | "ephemeralKey" | "timestamp" | "ring">,
  root: Uint8Array,
  escrowKey: Uint8Array,
): EscrowStatement {
  return {
    group: { groupId: response.groupId, root, version: response.groupVersion },
    ring: response.ring,
    scope: scopeOf(challenge),
    message: authSignedMessage(challenge, response),
    caKey: escrowKey,
  };
}

/** The role code of a role. */
export const roleCode = (role: Role): number => ROLE_CODES[role];

/** SHA-256 digest of a transcript, as 0x-prefixed hex (the evidence leaf). */
export function transcriptDigest(parts: readonly Uint8Array[]): string {
  return `0x${bytesToHex(sha256(frame(PROTOCOL_TAGS.transcriptDigest, parts)))}`;
}

/** The digest of an authentication transcript. */
export function authDigest(t: AuthTranscript): string {
  return transcriptDigest([t.challenge, t.response, t.confirm]);
}
