/**
 * Reason codes of the bot's disputes (the `reason` argument of `disputeCdr`, as a bytes32 short
 * string so it reads on-chain) and of the host's own CDR checks. docs/settlement-bot.md says when
 * each is given.
 */
import { decodeBytes32String, encodeBytes32String } from "ethers";

/** Problems of one CDR leaf, in the order they are checked. */
export const CDR_REASONS = [
  "CDR_MISSING",
  "CDR_MALFORMED",
  "DIGEST_MISMATCH",
  "BAD_SIGNATURE",
  "KEY_NOT_VALID",
  "WRONG_HOST",
  "WRONG_HOME",
  "BAD_TIMES",
  "ZERO_AMOUNT",
  "AMOUNT_MISMATCH",
  "WRONG_PERIOD",
  "DUPLICATE_CDR",
  "NOT_ANCHORED",
] as const;

/** Problems of the claim as a whole; disputed on the first leaf of the tree. */
export const CLAIM_REASONS = [
  "PACKAGE_MISMATCH",
  "TREE_INCOMPLETE",
  "COUNT_MISMATCH",
  "SUM_MISMATCH",
  "EVIDENCE_NOT_OWNED",
] as const;

/** Why a claim cannot be disputed on-chain: no leaf of its tree is known. */
export const UNVERIFIABLE_REASONS = ["PACKAGE_MISSING", "PACKAGE_INVALID", "TREE_INVALID", "TREE_WRONG_ROOT"] as const;

/** Why the host's bot keeps one of its own CDRs out of every claim. */
export const HOST_REJECT_REASONS = ["KEY_NOT_VALID", "WRONG_HOME", "BAD_TIMES", "ZERO_AMOUNT", "BAD_PERIOD", "PERIOD_NETTED"] as const;

export type CdrReason = (typeof CDR_REASONS)[number];
export type ClaimReason = (typeof CLAIM_REASONS)[number];
export type UnverifiableReason = (typeof UNVERIFIABLE_REASONS)[number];
export type HostRejectReason = (typeof HOST_REJECT_REASONS)[number];
export type DisputeReason = CdrReason | ClaimReason;

/** The on-chain form of a reason code. */
export function reasonCode(reason: DisputeReason): string {
  return encodeBytes32String(reason);
}

/** The reason code of an on-chain dispute, or the raw bytes32 when it is not a short string. */
export function reasonText(code: string): string {
  try {
    return decodeBytes32String(code);
  } catch {
    return code;
  }
}
