/**
 * Reason codes of the bot's disputes (the `reason` argument of `disputeCdr` and `disputeClaim`, as a
 * bytes32 short string so it reads on-chain) and of the host's own CDR checks. docs/settlement-bot.md
 * says when each is given.
 */
import { decodeBytes32String, encodeBytes32String } from "ethers";

/** Problems of one CDR leaf, in the order they are checked; disputed with `disputeCdr`. */
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
  "SESSION_ALREADY_BILLED",
  "NOT_ANCHORED",
] as const;

/** Problems of the claim as a whole found in a package that matches the claim; disputed on the first leaf of the tree. */
export const CLAIM_REASONS = [
  "HEADER_MISMATCH",
  "TREE_INCOMPLETE",
  "COUNT_MISMATCH",
  "SUM_MISMATCH",
  "EVIDENCE_NOT_OWNED",
] as const;

/**
 * Problems of the package itself: the home was never shown the evidence the claim commits to, so no
 * leaf can be trusted. Disputed with `disputeClaim`; the host must show the arbiter a package that
 * hashes to the claim's `packageHash` and holds the tree of its `cdrRoot`.
 */
export const PACKAGE_REASONS = ["PACKAGE_MISSING", "PACKAGE_MISMATCH", "PACKAGE_INVALID", "TREE_INVALID", "TREE_WRONG_ROOT"] as const;

/** Why the host's bot keeps one of its own CDRs out of every claim. */
export const HOST_REJECT_REASONS = ["KEY_NOT_VALID", "WRONG_HOME", "BAD_TIMES", "ZERO_AMOUNT", "BAD_PERIOD", "PERIOD_CLOSED"] as const;

export type CdrReason = (typeof CDR_REASONS)[number];
export type ClaimReason = (typeof CLAIM_REASONS)[number];
export type PackageReason = (typeof PACKAGE_REASONS)[number];
export type HostRejectReason = (typeof HOST_REJECT_REASONS)[number];
/** Reasons of a `disputeCdr`. */
export type DisputeReason = CdrReason | ClaimReason;

/** The on-chain form of a reason code. */
export function reasonCode(reason: DisputeReason | PackageReason): string {
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
