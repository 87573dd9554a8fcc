/**
 * The message m a vehicle signs: it binds the whole authentication context
 * (docs/crypto.md, "Wire formats"), so a signature made for one LAG,
 * group version, session or message type is useless anywhere else.
 *
 *   m = frame("v2g/auth/message", [u16be(protocolVersion), u16be(messageType), lagId, groupId,
 *             u64be(groupVersion), challengeNonce, ephemeralKey, u64be(timestamp)])
 */
import { assertBytes, u16be, u64be } from "./bytes.js";
import { GROUP_ID_MAX_BYTES, LAG_ID_MAX_BYTES, frame } from "./encoding.js";
import { TAGS } from "./tags.js";

/** Fields of the authentication message. */
export interface AuthMessageFields {
  /** Version of the authentication protocol (u16). */
  readonly protocolVersion: number;
  /** Protocol message type (u16). */
  readonly messageType: number;
  /** The LAG's identifier (as in the scope). */
  readonly lagId: Uint8Array;
  /** Group identifier. */
  readonly groupId: Uint8Array;
  /** Group version the ring was taken from. */
  readonly groupVersion: bigint | number;
  /** The LAG's fresh challenge nonce (32 bytes). */
  readonly challengeNonce: Uint8Array;
  /** The vehicle's ephemeral key-agreement key (32 bytes). */
  readonly ephemeralKey: Uint8Array;
  /** Timestamp (u64, the protocol fixes the unit). */
  readonly timestamp: bigint | number;
}

/** Encodes m; throws `CryptoInputError` for out-of-range fields. */
export function encodeAuthMessage(fields: AuthMessageFields): Uint8Array {
  assertBytes(fields.lagId, "lagId", { min: 1, max: LAG_ID_MAX_BYTES });
  assertBytes(fields.groupId, "groupId", { min: 1, max: GROUP_ID_MAX_BYTES });
  assertBytes(fields.challengeNonce, "challengeNonce", 32);
  assertBytes(fields.ephemeralKey, "ephemeralKey", 32);
  return frame(TAGS.authMessage, [
    u16be(fields.protocolVersion),
    u16be(fields.messageType),
    fields.lagId,
    fields.groupId,
    u64be(fields.groupVersion),
    fields.challengeNonce,
    fields.ephemeralKey,
    u64be(fields.timestamp),
  ]);
}
