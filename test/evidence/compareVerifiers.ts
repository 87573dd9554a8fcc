/**
 * The product's verifier and the independent one (built from docs/evidence-bundle.md) on the same
 * bundle file, and the single-field tamperings of pseudonym certificates both must judge alike.
 */
import { join } from "node:path";
import { expect } from "chai";
import { bundleToJson, parseBundle, type EvidenceBundle } from "../../src/evidence/bundle.js";
import { SnapshotChainView } from "../../src/evidence/chainView.js";
import { EvidenceError } from "../../src/evidence/errors.js";
import { verifyBundle } from "../../src/evidence/verify.js";
import type { Json } from "../helpers/json.js";
import { readDocSpec, verifyIndependently, type IndependentItem } from "./independentVerifier.js";

export const docSpec = readDocSpec(join(import.meta.dirname, "..", "..", "docs", "evidence-bundle.md"));

export interface BothVerdicts {
  ok: boolean;
  ours: IndependentItem[];
  theirs: IndependentItem[];
}

/** Both verdicts of a bundle JSON against its own snapshot, or null when the file is not a valid bundle at all. */
export async function bothVerdicts(json: Json): Promise<BothVerdicts | null> {
  let bundle;
  try {
    bundle = parseBundle(json);
  } catch (e) {
    if (e instanceof EvidenceError && e.code === "BUNDLE_SCHEMA") return null;
    throw e;
  }
  const ours = await verifyBundle(bundle, new SnapshotChainView(bundle.chainState!));
  return {
    ok: ours.ok,
    ours: ours.items.map(({ kind, index, reasons }) => ({ kind, index, reasons: [...reasons].sort() })),
    theirs: verifyIndependently(docSpec, json),
  };
}

/** A bundle's file form, as parsed JSON a tamperer may rewrite. */
export const jsonOf = (b: EvidenceBundle): Json => JSON.parse(JSON.stringify(bundleToJson(b))) as Json;

/** Changes one hex digit of `hex` at position `at` (after the `0x`). */
const flipHex = (hex: string, at: number) => hex.slice(0, 2 + at) + ((parseInt(hex[2 + at]!, 16) + 1) % 16).toString(16) + hex.slice(3 + at);

export interface CertificateTampering {
  name: string;
  /** Rewrites `json`'s first certificate (or its list); `other` is another session's bundle with a certificate. */
  tamper(json: Json, other: Json): void;
  /** The reason some pseudonymous item of the tampered bundle must get. */
  reason: "certificate_missing" | "certificate_invalid" | "outside_certificate_window";
}

/** A different address among `candidates` than `address`. */
const another = (address: string, candidates: string[]) => candidates.find((a) => a.toLowerCase() !== address.toLowerCase())!;

/** Single-field tamperings of a bundle's first certificate (and of the chain's answers about it). */
export const CERTIFICATE_TAMPERINGS: CertificateTampering[] = [
  { name: "digest", tamper: (j) => (j.certificates[0].digest = flipHex(j.certificates[0].digest, 7)), reason: "certificate_invalid" },
  { name: "signature", tamper: (j) => (j.certificates[0].signature = flipHex(j.certificates[0].signature, 9)), reason: "certificate_invalid" },
  { name: "window start", tamper: (j) => (j.certificates[0].value.validFrom = (BigInt(j.certificates[0].value.validFrom) - 60n).toString()), reason: "certificate_invalid" },
  { name: "window end", tamper: (j) => (j.certificates[0].value.validUntil = j.certificates[0].value.validFrom), reason: "outside_certificate_window" },
  { name: "group", tamper: (j, o) => (j.certificates[0].value.group = o.certificates[0].value.group === j.certificates[0].value.group ? flipHex(j.certificates[0].value.group, 3) : o.certificates[0].value.group), reason: "certificate_invalid" },
  { name: "supplier", tamper: (j, o) => (j.certificates[0].value.supplier = another(j.certificates[0].value.supplier, [o.certificates[0].value.supplier, ...keysOf(j)])), reason: "certificate_invalid" },
  { name: "party", tamper: (j, o) => (j.certificates[0].party = another(j.certificates[0].party, [o.certificates[0].party, ...keysOf(j)])), reason: "certificate_invalid" },
  { name: "signer", tamper: (j) => (j.certificates[0].signer = another(j.certificates[0].signer, keysOf(j))), reason: "certificate_invalid" },
  { name: "pseudonym", tamper: (j, o) => (j.certificates[0].value.pseudonym = o.certificates[0].value.pseudonym), reason: "certificate_missing" },
  { name: "certificate removed", tamper: (j) => j.certificates.splice(0, 1), reason: "certificate_missing" },
  { name: "swapped with another session's", tamper: (j, o) => (j.certificates[0] = structuredClone(o.certificates[0])), reason: "certificate_missing" },
  { name: "supplier role not held", tamper: (j) => (j.chainState.suppliers = (j.chainState.suppliers as string[]).filter((s) => s.toLowerCase() !== j.certificates[0].party.toLowerCase())), reason: "certificate_invalid" },
  { name: "signer's key not registered", tamper: (j) => (j.chainState.keys = (j.chainState.keys as Json[]).filter((k) => k.key.toLowerCase() !== j.certificates[0].signer.toLowerCase())), reason: "certificate_invalid" },
];

/** The registered keys the snapshot knows. */
const keysOf = (j: Json): string[] => (j.chainState.keys as Json[]).map((k) => k.key as string);

/**
 * Applies each of `CERTIFICATE_TAMPERINGS` to a copy of `base` (`other`: another session's bundle
 * with a certificate): the file still loads, both verifiers give the same verdict on every item,
 * the bundle is invalid and some item has the tampering's reason. Returns each tampered file with
 * its verdicts, for the caller's own checks.
 */
export async function tamperCertificates(base: Json, other: Json): Promise<{ name: string; reason: string; json: Json; verdicts: BothVerdicts }[]> {
  const results = [];
  for (const { name, tamper, reason } of CERTIFICATE_TAMPERINGS) {
    const json = structuredClone(base);
    tamper(json, other);
    const verdicts = await bothVerdicts(json);
    expect(verdicts, name).to.not.equal(null);
    expect(verdicts!.theirs, name).to.deep.equal(verdicts!.ours);
    expect(verdicts!.ok, name).to.equal(false);
    expect(verdicts!.ours.some((i) => i.reasons.includes(reason)), `${name}: ${JSON.stringify(verdicts!.ours)}`).to.equal(true);
    results.push({ name, reason, json, verdicts: verdicts! });
  }
  return results;
}
