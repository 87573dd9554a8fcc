/**
 * The home supplier's check of a claim against it, from the claim package alone plus three chain
 * reads (signing keys, the evidence anchor) and its own record of CDRs received before. Bad
 * evidence never throws: it gives a verdict.
 *
 * First the package itself: it must be there, hash to the claim's `packageHash` (keccak256 of its
 * canonical JSON) and hold a tree with the claim's `cdrRoot`; otherwise the whole claim is disputed
 * (`claim-dispute`), since no leaf of it can be trusted. Then every CDR leaf in tree order; the first
 * failure is the one disputed; problems of the claim as a whole are disputed on the first leaf.
 */
import { getAddress, type TypedDataDomain } from "ethers";
import { decodeMessage } from "../evidence/codec.js";
import { verifyInclusion } from "../evidence/merkle.js";
import type { SignedMessage } from "../evidence/messages.js";
import { messageDigest, verifyMessageSignature } from "../evidence/sign.js";
import { loadCdrTree, periodOfEnd, type CdrLeaf } from "./cdrTree.js";
import { packageHash, parsePackage, type PackageHeader } from "./package.js";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { CLAIM_REASONS, type CdrReason, type ClaimReason, type DisputeReason, type PackageReason } from "./reasons.js";

/** A claim against this supplier as the chain announced it. */
export interface IncomingClaim {
  claimId: bigint;
  period: number;
  creditor: string;
  debtor: string;
  amount: bigint;
  cdrRoot: string;
  cdrCount: number;
  evidenceRoot: string;
  /** keccak256 of the canonical bytes of the package the host committed to. */
  packageHash: string;
}

export interface VerifyEnv {
  account: string;
  chainId: bigint;
  settlement: string;
  ledger: string;
  periodSeconds: number;
  domain: TypedDataDomain;
  /** True if `key` belonged to `participant` and was valid at `time` (registry). */
  keyValid(participant: string, key: string, time: bigint): Promise<boolean>;
  /** The account that anchored `root` in the ledger, or null. */
  anchorSubmitter(root: string, creditor: string): Promise<string | null>;
  /** True if this CDR (by digest or by CDR id) was received in another claim than `claimId`. */
  seenBefore(digest: string, cdrId: string, claimId: bigint): boolean;
  /**
   * The digest of another CDR of this host for the session of `m` that this supplier received and
   * receipted (from its evidence store), earlier in the host's sequence of the session than `m`, or
   * any such CDR when this supplier never receipted `m`; otherwise null. Left out, the check is
   * skipped.
   */
  billedBefore?(m: SignedMessage<"ChargeDetailRecord">): string | null;
}

export interface LeafFailure {
  index: number;
  digest: string;
  reason: DisputeReason;
}

/** A CDR of a verified claim, to remember against duplicates. */
export interface ReceivedCdr {
  digest: string;
  cdrId: string;
}

/** Leaves `(digest, amount)` as the contract takes them. */
export interface CdrArg {
  digest: string;
  amount: bigint;
}

/**
 * What to send for a failing claim: every failing leaf in one `disputeCdrs` (a multiproof), the
 * complete leaf set for `proveClaimSum` (the claim asks more than its CDRs), or a claim-level
 * dispute (a claim-wide reason).
 */
export type DisputeAction =
  | { kind: "cdrs"; cdrs: CdrArg[]; proof: string[]; proofFlags: boolean[]; reasons: DisputeReason[] }
  | { kind: "sum"; cdrs: CdrArg[] }
  | { kind: "claim" };

export type ClaimVerdict =
  | { verdict: "accept"; received: ReceivedCdr[] }
  | {
      verdict: "dispute"; reason: DisputeReason; index: number; digest: string; amount: bigint; proof: string[];
      failures: LeafFailure[]; received: ReceivedCdr[]; action: DisputeAction;
    }
  /** The package is missing or not the one committed to: dispute the whole claim. */
  | { verdict: "claim-dispute"; reason: PackageReason; detail: string };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Verifies `raw` (the package as received, or null) against `claim`. */
export async function verifyClaim(claim: IncomingClaim, raw: unknown, env: VerifyEnv): Promise<ClaimVerdict> {
  const whole = (reason: PackageReason, detail: string): ClaimVerdict => ({ verdict: "claim-dispute", reason, detail });
  if (raw === null || raw === undefined) return whole("PACKAGE_MISSING", "no package received");
  const hash = hashOf(raw);
  if (hash !== claim.packageHash.toLowerCase()) return whole("PACKAGE_MISMATCH", hash ? `the package hashes to ${hash}` : "not a JSON value");
  // The package is the one the host committed to: what is wrong with it is the host's doing.
  const header = parsePackage(raw);
  const loaded = loadCdrTree((raw as { tree?: unknown } | null)?.tree, claim.cdrRoot);
  if (!("tree" in loaded)) {
    if (!header.ok) return whole("PACKAGE_INVALID", header.detail);
    return whole(loaded.problem === "wrong_root" ? "TREE_WRONG_ROOT" : "TREE_INVALID", loaded.detail);
  }
  const { tree, leaves } = loaded;
  if (leaves.length === 0) return whole("TREE_INVALID", "the tree shows no leaf");
  const pkg = header.ok ? header.value : null;
  // The CDRs and proofs are read even from a package whose own fields are wrong: each CDR is judged
  // on its own, the package's fields by the claim-level checks.
  const body = raw as { cdrs?: unknown; evidence?: { proofs?: unknown } };
  const messages = indexMessages(Array.isArray(body.cdrs) ? body.cdrs : []);
  const proofs = proofsOf(body.evidence?.proofs);
  const failures: LeafFailure[] = [];
  const received: ReceivedCdr[] = [];
  const inClaim = new Set<string>();
  for (const [index, leaf] of leaves.entries()) {
    const m = messages.get(leaf.digest);
    const reason = await checkLeaf(claim, env, leaf, m, proofs.get(leaf.digest), inClaim);
    if (reason) failures.push({ index, digest: leaf.digest, reason });
    else if (m && m !== "malformed") received.push({ digest: leaf.digest, cdrId: m.body.cdrId });
  }
  const claimReason = failures.length === 0 ? await checkClaim(claim, env, pkg, leaves, loaded.ok) : null;
  if (claimReason) failures.push({ index: 0, digest: leaves[0]!.digest, reason: claimReason });
  const first = failures[0];
  if (!first) return { verdict: "accept", received };
  return {
    verdict: "dispute", reason: first.reason, index: first.index, digest: first.digest, amount: leaves[first.index]!.amount,
    proof: tree.getProof(first.index), failures, received: received.filter((r) => !failures.some((f) => f.digest === r.digest)),
    action: actionFor(tree, failures),
  };
}

const asArg = ([digest, amount]: [string, string]): CdrArg => ({ digest, amount: BigInt(amount) });

/** Leaf failures go to one multiproof; a claim-wide reason found alone goes to the claim as a whole. */
function actionFor(tree: StandardMerkleTree<[string, string]>, failures: readonly LeafFailure[]): DisputeAction {
  const [first] = failures;
  if (first && (CLAIM_REASONS as readonly string[]).includes(first.reason)) {
    if (first.reason !== "SUM_MISMATCH") return { kind: "claim" };
    const all = tree.getMultiProof([...Array(tree.length).keys()]);
    return { kind: "sum", cdrs: all.leaves.map(asArg) };
  }
  const byIndex = new Map(failures.map((f) => [f.index, f.reason]));
  const proof = tree.getMultiProof([...byIndex.keys()]);
  const reasons = proof.leaves.map((value) => byIndex.get(indexOf(tree, value))!);
  return { kind: "cdrs", cdrs: proof.leaves.map(asArg), proof: proof.proof, proofFlags: proof.proofFlags, reasons };
}

function indexOf(tree: StandardMerkleTree<[string, string]>, value: [string, string]): number {
  for (const [i, v] of tree.entries()) if (v[0] === value[0] && v[1] === value[1]) return i;
  throw new Error("a multiproof leaf that is not in its tree");
}

/** The package hash of a received value, or null when it is not a JSON value. */
function hashOf(raw: unknown): string | null {
  try {
    return packageHash(raw).toLowerCase();
  } catch {
    return null;
  }
}

/** Each digest's inclusion proof; an entry that is not a list of 32-byte hex values is left out. */
function proofsOf(value: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (value === null || typeof value !== "object") return out;
  for (const [digest, proof] of Object.entries(value)) {
    if (Array.isArray(proof) && proof.every((p) => typeof p === "string" && /^0x[0-9a-fA-F]{64}$/.test(p))) {
      out.set(digest.toLowerCase(), proof as string[]);
    }
  }
  return out;
}

/** The package's CDR messages by their declared digest; an entry that does not decode is "malformed". */
function indexMessages(entries: readonly unknown[]): Map<string, SignedMessage<"ChargeDetailRecord"> | "malformed"> {
  const out = new Map<string, SignedMessage<"ChargeDetailRecord"> | "malformed">();
  for (const entry of entries) {
    const declared = (entry as { digest?: unknown } | null)?.digest;
    let m: SignedMessage;
    try {
      m = decodeMessage(entry);
    } catch {
      if (typeof declared === "string" && !out.has(declared.toLowerCase())) out.set(declared.toLowerCase(), "malformed");
      continue;
    }
    const key = m.digest.toLowerCase();
    if (out.has(key) && out.get(key) !== "malformed") continue;
    out.set(key, m.type === "ChargeDetailRecord" ? (m as SignedMessage<"ChargeDetailRecord">) : "malformed");
  }
  return out;
}

async function checkLeaf(
  claim: IncomingClaim, env: VerifyEnv, leaf: CdrLeaf, m: SignedMessage<"ChargeDetailRecord"> | "malformed" | undefined,
  proof: string[] | undefined, inClaim: Set<string>,
): Promise<CdrReason | null> {
  if (m === undefined) return "CDR_MISSING";
  if (m === "malformed") return "CDR_MALFORMED";
  const b = m.body;
  if (messageDigest(env.domain, m).toLowerCase() !== leaf.digest) return "DIGEST_MISMATCH";
  if (!verifyMessageSignature(env.domain, m)) return "BAD_SIGNATURE";
  if (!(await env.keyValid(claim.creditor, m.signer, m.header.issuedAt))) return "KEY_NOT_VALID";
  if (!same(m.party, claim.creditor) || !same(b.hostSupplier, claim.creditor)) return "WRONG_HOST";
  if (!same(b.homeSupplier, env.account)) return "WRONG_HOME";
  if (b.end < b.start) return "BAD_TIMES";
  if (b.amount === 0n) return "ZERO_AMOUNT";
  if (b.amount !== leaf.amount) return "AMOUNT_MISMATCH";
  if (periodOfEnd(b.end, env.periodSeconds) !== claim.period) return "WRONG_PERIOD";
  const idKey = `id:${b.cdrId.toLowerCase()}`;
  if (inClaim.has(leaf.digest) || inClaim.has(idKey) || env.seenBefore(leaf.digest, b.cdrId, claim.claimId)) return "DUPLICATE_CDR";
  inClaim.add(leaf.digest);
  inClaim.add(idKey);
  if (env.billedBefore?.(m)) return "SESSION_ALREADY_BILLED";
  if (!proof || !verifyInclusion(claim.evidenceRoot, leaf.digest, proof)) return "NOT_ANCHORED";
  return null;
}

async function checkClaim(claim: IncomingClaim, env: VerifyEnv, pkg: PackageHeader | null, leaves: CdrLeaf[], complete: boolean): Promise<ClaimReason | null> {
  const matches = pkg !== null && BigInt(pkg.chainId) === env.chainId && same(pkg.settlement, env.settlement) && same(pkg.ledger, env.ledger)
    && pkg.periodSeconds === env.periodSeconds && pkg.period === claim.period && same(pkg.creditor, claim.creditor)
    && same(pkg.debtor, claim.debtor) && same(pkg.cdrRoot, claim.cdrRoot) && same(pkg.evidence.root, claim.evidenceRoot);
  if (!matches) return "HEADER_MISMATCH";
  if (!complete) return "TREE_INCOMPLETE";
  if (leaves.length !== claim.cdrCount) return "COUNT_MISMATCH";
  // A claim asking less than its CDRs is the host's loss, not the debtor's.
  if (leaves.reduce((sum, l) => sum + l.amount, 0n) < claim.amount) return "SUM_MISMATCH";
  const submitter = await env.anchorSubmitter(claim.evidenceRoot, claim.creditor);
  if (submitter === null || getAddress(submitter) !== getAddress(claim.creditor)) return "EVIDENCE_NOT_OWNED";
  return null;
}
