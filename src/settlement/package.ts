/**
 * The claim package: what a host sends the home supplier with each claim so it can verify every
 * CDR. JSON, format `v2g-claim-package/1`: the claim's fields, the evidence anchoring (root,
 * transaction, block, and each CDR's inclusion proof under the anchored root), the CDR tree dump,
 * and the signed CDR messages in the evidence codec's JSON form.
 *
 * Its bytes are its canonical JSON (RFC 8785, UTF-8), and keccak256 of them is the `packageHash`
 * the host commits to in `submitClaim`: what it must show the arbiter if the home disputes the claim.
 */
import { getAddress, keccak256, toUtf8Bytes } from "ethers";
import { z } from "zod";
import { encodeMessage, type Json } from "../evidence/codec.js";
import type { SignedMessage } from "../evidence/messages.js";
import { canonicalJson } from "./canonicalJson.js";
import type { CdrTree, CdrTreeDump } from "./cdrTree.js";

export const PACKAGE_FORMAT = "v2g-claim-package/1";

export interface PackageAnchor {
  root: string;
  txHash: string;
  blockNumber: number;
  blockTime: number;
  /** Inclusion proof of each CDR digest under `root` (StandardMerkleTree, leaf type bytes32). */
  proofs: Record<string, string[]>;
}

export interface ClaimPackage {
  format: typeof PACKAGE_FORMAT;
  chainId: string;
  settlement: string;
  ledger: string;
  periodSeconds: number;
  period: number;
  creditor: string;
  debtor: string;
  /** Sum of the leaf amounts, decimal. */
  amount: string;
  cdrCount: number;
  cdrRoot: string;
  evidence: PackageAnchor;
  tree: CdrTreeDump;
  cdrs: Json[];
}

export interface PackageInput {
  chainId: bigint;
  settlement: string;
  ledger: string;
  periodSeconds: number;
  period: number;
  creditor: string;
  debtor: string;
  tree: CdrTree;
  messages: readonly SignedMessage[];
  evidence: PackageAnchor;
}

/** Builds the package of a claim (amount and count are derived from the tree). */
export function buildClaimPackage(p: PackageInput): ClaimPackage {
  const dump = p.tree.dump();
  const amount = dump.values.reduce((sum, v) => sum + BigInt(v.value[1]), 0n);
  return {
    format: PACKAGE_FORMAT,
    chainId: p.chainId.toString(),
    settlement: getAddress(p.settlement),
    ledger: getAddress(p.ledger),
    periodSeconds: p.periodSeconds,
    period: p.period,
    creditor: getAddress(p.creditor),
    debtor: getAddress(p.debtor),
    amount: amount.toString(),
    cdrCount: dump.values.length,
    cdrRoot: p.tree.root.toLowerCase(),
    evidence: p.evidence,
    tree: dump,
    cdrs: p.messages.map((m) => encodeMessage(m) as Json),
  };
}

/** The package's bytes: its canonical JSON in UTF-8 (what the host writes and commits to). */
export function packageBytes(pkg: ClaimPackage): Uint8Array {
  return toUtf8Bytes(canonicalJson(pkg));
}

/**
 * keccak256 of the canonical bytes of `value`: for a package built here, the `packageHash` of its
 * claim; for a package as received (parsed JSON), what must equal the claim's `packageHash`. Throws a
 * TypeError for what is not a JSON value (it cannot be a committed package).
 */
export function packageHash(value: ClaimPackage | unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(value)));
}

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/).transform((s) => s.toLowerCase());
const addr = z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((s) => getAddress(s.toLowerCase()));

/** The package's own fields; the tree and the CDR messages are checked item by item by the verifier. */
export const packageHeaderSchema = z.object({
  format: z.literal(PACKAGE_FORMAT),
  chainId: z.string().regex(/^[1-9][0-9]*$/),
  settlement: addr,
  ledger: addr,
  periodSeconds: z.number().int().positive(),
  period: z.number().int().min(0),
  creditor: addr,
  debtor: addr,
  amount: z.string().regex(/^(0|[1-9][0-9]*)$/),
  cdrCount: z.number().int().min(0),
  cdrRoot: hex32,
  evidence: z.object({
    root: hex32,
    txHash: hex32,
    blockNumber: z.number().int().min(0),
    blockTime: z.number().int().min(0),
    /** Checked per CDR by the verifier: a bad proof fails only its CDR. */
    proofs: z.record(z.unknown()),
  }),
  tree: z.unknown(),
  cdrs: z.array(z.unknown()),
});

export type PackageHeader = z.output<typeof packageHeaderSchema>;

/** Parses untrusted package JSON; null with the first issue when its fields do not fit. */
export function parsePackage(raw: unknown): { ok: true; value: PackageHeader } | { ok: false; detail: string } {
  const parsed = packageHeaderSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, detail: `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}` };
}
