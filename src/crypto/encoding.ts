/**
 * The one encoding every hash input goes through.
 *
 *   frame(tag, items) = u16be(|tag|) ‖ tag ‖ Σ_k ( u32be(|item_k|) ‖ item_k )
 *
 * The tag names the use (one tag per use, see `tags.ts`) and every item is
 * length-prefixed, so two different (tag, items) pairs never encode to the same
 * bytes, and a hash over a prefix of the items can be computed once and resumed.
 * Integers are fixed-width big-endian; lists of fixed-width elements are
 * `u32be(count) ‖ e_1 ‖ … ‖ e_n` in the order given; a scope is
 * `u16be(|LAG id|) ‖ LAG id ‖ u64be(epoch)`.
 */
import { assertBytes, concatBytes, toUint, u16be, u32be, u64be, utf8 } from "./bytes.js";
import { CryptoInputError } from "./errors.js";

/** The header `u16be(|tag|) ‖ tag` that starts a frame. */
export function frameHeader(tag: string): Uint8Array {
  const tagBytes = utf8(tag);
  if (tagBytes.length === 0 || tagBytes.length > 255) {
    throw new CryptoInputError("INVALID_LENGTH", "hash tag must be 1..255 bytes");
  }
  return concatBytes(u16be(tagBytes.length), tagBytes);
}

/** One length-prefixed item: `u32be(|item|) ‖ item`. */
export function frameItem(item: Uint8Array): Uint8Array {
  return concatBytes(u32be(item.length), item);
}

/** The full frame of a tag and its items. */
export function frame(tag: string, items: readonly Uint8Array[]): Uint8Array {
  return concatBytes(frameHeader(tag), ...items.map(frameItem));
}

/** `u32be(count) ‖ e_1 ‖ … ‖ e_n`, every element exactly `width` bytes, in the given order. */
export function encodeFixedList(elements: readonly Uint8Array[], width: number): Uint8Array {
  for (const element of elements) assertBytes(element, "list element", width);
  return concatBytes(u32be(elements.length), ...elements);
}

/** Context of linkability: one LAG, one epoch. */
export interface Scope {
  /** Identifier of the local aggregator (1..255 bytes). */
  readonly lagId: Uint8Array;
  /** Epoch number (u64). */
  readonly epoch: bigint | number;
}

/** Bounds on a LAG identifier. */
export const LAG_ID_MAX_BYTES = 255;

/** `u16be(|lagId|) ‖ lagId ‖ u64be(epoch)`; throws `CryptoInputError` on malformed scopes. */
export function encodeScope(scope: Scope): Uint8Array {
  if (typeof scope !== "object" || scope === null) {
    throw new CryptoInputError("INVALID_TYPE", "scope must be an object");
  }
  assertBytes(scope.lagId, "scope.lagId", { min: 1, max: LAG_ID_MAX_BYTES });
  return concatBytes(u16be(scope.lagId.length), scope.lagId, u64be(toUint(scope.epoch, 64, "scope.epoch")));
}

/** The group a ring is drawn from, as committed by the registry. */
export interface GroupContext {
  /** Group identifier (1..64 bytes). */
  readonly groupId: Uint8Array;
  /** Committed root of the member list of this version (32 bytes). */
  readonly root: Uint8Array;
  /** Version of the member list (u64). */
  readonly version: bigint | number;
}

/** Bounds on a group identifier. */
export const GROUP_ID_MAX_BYTES = 64;

/** The three hash items of a group context: groupId, root, u64be(version). */
export function encodeGroupItems(group: GroupContext): Uint8Array[] {
  if (typeof group !== "object" || group === null) {
    throw new CryptoInputError("INVALID_TYPE", "group must be an object");
  }
  assertBytes(group.groupId, "group.groupId", { min: 1, max: GROUP_ID_MAX_BYTES });
  assertBytes(group.root, "group.root", 32);
  return [group.groupId, group.root, u64be(toUint(group.version, 64, "group.version"))];
}
