/**
 * A second verifier of evidence bundles, written from docs/evidence-bundle.md alone: it reads
 * the raw JSON file, takes the EIP-712 type strings and message-type codes from the documentation
 * file, and uses nothing of this project (only ethers and @openzeppelin/merkle-tree). Pseudonym
 * certificates (version 3) are checked from the documentation too: their struct and domain, the
 * supplier's key at the certificate's issue time, the supplier's role, the item's time inside the
 * window and the certificate a REQ_EV names. The tests beside it check that it agrees with
 * `verifyBundle` item by item, so the documentation is enough to build a verifier.
 */
import { readFileSync } from "node:fs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, getBytes, keccak256, recoverAddress, Signature, TypedDataEncoder, type TypedDataDomain, type TypedDataField } from "ethers";
import type { Json } from "../helpers/json.js";

type Types = Record<string, TypedDataField[]>;

export interface DocSpec {
  /** Struct definitions per type-table version, parsed from the `eip712-types` blocks. */
  types: Record<string, Types>;
  /** Message type name → on-chain code, from the `message-types` block. */
  codes: Record<string, number>;
  /** The pseudonym certificate: its struct (the `eip712-types certificate` block) and its domain's name and version. */
  certificate: { fields: TypedDataField[]; name: string; version: string };
}

/** The struct lines of one fenced type block. */
function structsOf(block: string): Types {
  const structs: Types = {};
  for (const line of block.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const s = /^(\w+)\((.*)\)$/.exec(line);
    if (!s) throw new Error(`not a struct: ${line}`);
    structs[s[1]!] = s[2]!.split(",").map((f) => {
      const [type, name] = f.trim().split(/\s+/);
      return { name: name!, type: type! };
    });
  }
  return structs;
}

/** Parses the fenced blocks of the documentation file. */
export function readDocSpec(path: string): DocSpec {
  const md = readFileSync(path, "utf8");
  const types: Record<string, Types> = {};
  for (const m of md.matchAll(/```eip712-types version=(\d+)\n([\s\S]*?)```/g)) types[m[1]!] = structsOf(m[2]!);
  const cert = /```eip712-types certificate\n([\s\S]*?)```/.exec(md);
  const fields = cert ? structsOf(cert[1]!).PseudonymCert : undefined;
  const certDomain = /charging domain\s+`\{ name: "([^"]+)", version: "([^"]+)"/.exec(md);
  if (!fields || !certDomain) throw new Error("no PseudonymCert struct or no charging domain in the documentation");
  const codes: Record<string, number> = {};
  const block = /```message-types\n([\s\S]*?)```/.exec(md);
  if (!block) throw new Error("no message-types block");
  for (const line of block[1]!.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const [name, code] = line.split(/\s+/);
    codes[name!] = Number(code);
  }
  return { types, codes, certificate: { fields, name: certDomain[1]!, version: certDomain[2]! } };
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const lc = (s: string) => String(s).toLowerCase();

/** Strict recovery as OpenZeppelin ECDSA: 65 bytes, v 27/28, low s, r and s in range. */
function recoverStrict(digest: string, signature: string): string | null {
  try {
    const b = getBytes(signature);
    if (b.length !== 65) return null;
    const r = BigInt("0x" + Buffer.from(b.subarray(0, 32)).toString("hex"));
    const s = BigInt("0x" + Buffer.from(b.subarray(32, 64)).toString("hex"));
    if (b[64] !== 27 && b[64] !== 28) return null;
    if (r === 0n || r >= N || s === 0n || s > N >> 1n) return null;
    return recoverAddress(digest, Signature.from(signature));
  } catch {
    return null;
  }
}

function proofHolds(root: string, digest: string, proof: string[]): boolean {
  try {
    return StandardMerkleTree.verify(root, ["bytes32"], [digest], proof);
  } catch {
    return false;
  }
}

export interface IndependentItem {
  kind: "message" | "receipt" | "refusal" | "anchor";
  index: number;
  reasons: string[];
}

/** Verifies the raw bundle JSON against its own `chainState`, following the documented rules. */
export function verifyIndependently(spec: DocSpec, b: Json): IndependentItem[] {
  const state = b.chainState as Json;
  const messages = b.messages as Json[];
  const receipts = b.receipts as Json[];
  const refusals = b.refusals as Json[];
  const batches = b.batches as Json[];
  const items: IndependentItem[] = [];
  const push = (kind: IndependentItem["kind"], index: number, reasons: Set<string>) =>
    items.push({ kind, index, reasons: [...reasons].sort() });

  if (String(state.chainId) !== String(b.domain.chainId) || lc(state.ledger) !== lc(b.domain.verifyingContract)) {
    const all = new Set(["wrong_domain"]);
    messages.forEach((_, i) => push("message", i, all));
    receipts.forEach((_, i) => push("receipt", i, all));
    refusals.forEach((_, i) => push("refusal", i, all));
    batches.forEach((_, i) => push("anchor", i, all));
    return items;
  }
  const structs = spec.types[b.domain.version]!;
  const domain = { name: b.domain.name, version: b.domain.version, chainId: b.domain.chainId, verifyingContract: b.domain.verifyingContract };
  const session = lc(b.sessionId);
  const keyOf = (k: string) => (state.keys as Json[]).find((x) => lc(x.key) === lc(k));
  const originOf = (d: string) => (state.origins as Json[]).find((x) => lc(x.digest) === lc(d));
  const chainReceiptOf = (d: string) => (state.receipts as Json[]).find((x) => lc(x.nroDigest) === lc(d));
  const anchorOf = (submitter: string, root: string) =>
    (state.anchors as Json[]).find((x) => lc(x.submitter) === lc(submitter) && lc(x.root) === lc(root));

  const chainAnchors = batches.map((x) => anchorOf(x.anchor.submitter, x.root));
  const badProof = new Set<string>();
  const firstAnchor = new Map<string, number>();
  batches.forEach((x, i) => {
    for (const p of x.proofs as Json[]) {
      if (!proofHolds(x.root, p.digest, p.proof)) badProof.add(lc(p.digest));
      else if (chainAnchors[i]) firstAnchor.set(lc(p.digest), Math.min(chainAnchors[i]!.anchoredAt, firstAnchor.get(lc(p.digest)) ?? Infinity));
    }
  });

  const signed = [
    ...messages.map((m) => ({ digest: lc(m.digest), nonce: `${lc(m.party)}/${lc(m.header.nonce)}` })),
    ...receipts.map((r) => ({ digest: lc(r.digest), nonce: `${lc(r.receiver)}/${lc(r.receipt.nonce)}` })),
  ];
  const later = (keys: string[]) => {
    const seen = new Set<string>();
    return keys.map((k) => (seen.has(k) ? true : (seen.add(k), false)));
  };
  const laterDigest = later(signed.map((s) => s.digest));
  const laterNonce = later(signed.map((s) => s.nonce));
  const replayed = (i: number) => laterDigest[i]! || laterNonce[i]!;

  // Version 3: a party signing with its own unregistered key is a pseudonym, vouched for by the
  // certificate of the bundle whose value names it.
  const withCertificates = Number(/\/(\d+)$/.exec(String(b.schema))![1]) >= 3;
  const certificates = (withCertificates ? b.certificates : []) as Json[];
  const certDomain: TypedDataDomain = { name: spec.certificate.name, version: spec.certificate.version, chainId: b.domain.chainId, verifyingContract: state.registry };
  const certificateValid = (c: Json): boolean => {
    const v = c.value as Json;
    let digest: string | null;
    try {
      digest = TypedDataEncoder.hash(certDomain, { PseudonymCert: spec.certificate.fields }, v);
    } catch {
      digest = null;
    }
    const group = keccak256(AbiCoder.defaultAbiCoder().encode(["string", "address"], ["customer of", v.supplier]));
    const k = keyOf(c.signer);
    const from = BigInt(v.validFrom);
    return (
      digest !== null && lc(digest) === lc(c.digest) && recoverStrict(digest, c.signature) === c.signer &&
      lc(v.supplier) === lc(c.party) && lc(v.group) === lc(group) && from < BigInt(v.validUntil) &&
      k !== undefined && lc(k.participant) === lc(c.party) && from >= BigInt(k.validFrom) && from < BigInt(k.validUntil) &&
      (state.suppliers as string[]).some((p) => lc(p) === lc(c.party))
    );
  };
  const pseudonymReasons = (r: Set<string>, party: string, at: bigint, request?: Json) => {
    if (request && lc(request.pseudonym) !== lc(party)) r.add("wrong_party");
    const c = certificates.find((x) => lc(x.value.pseudonym) === lc(party));
    if (!c || (request && lc(request.pseudonymCert) !== lc(c.digest))) return void r.add("certificate_missing");
    if (!certificateValid(c)) r.add("certificate_invalid");
    if (at < BigInt(c.value.validFrom) || at >= BigInt(c.value.validUntil)) r.add("outside_certificate_window");
  };

  const keyReasons = (r: Set<string>, party: string, signer: string, at: bigint, request?: Json) => {
    const k = keyOf(signer);
    if (k && lc(k.participant) !== lc(party)) return void r.add("wrong_party");
    if (!k && withCertificates && lc(signer) === lc(party)) return pseudonymReasons(r, party, at, request);
    const valid = k && lc(k.participant) === lc(party) && at >= BigInt(k.validFrom) && at < BigInt(k.validUntil);
    if (!valid) r.add("key_not_valid_at_signing_time");
  };

  const seqs = new Map<string, bigint[]>();
  messages.forEach((m, i) => {
    if (lc(m.header.sessionId) !== session || replayed(i)) return;
    seqs.set(lc(m.party), [...(seqs.get(lc(m.party)) ?? []), BigInt(m.header.seq)]);
  });
  const answered = new Set([...receipts.map((r) => lc(r.receipt.nroDigest)), ...refusals.map((f) => lc(f.nroDigest))]);

  messages.forEach((m, i) => {
    const r = new Set<string>();
    if (lc(m.header.sessionId) !== session) r.add("session_mismatch");
    const types = { [m.type]: [{ name: "header", type: "Header" }, { name: "body", type: `${m.type}Body` }], Header: structs.Header!, [`${m.type}Body`]: structs[`${m.type}Body`]! };
    let digest: string | null;
    try {
      digest = TypedDataEncoder.hash(domain, types, { header: m.header, body: m.body });
    } catch {
      digest = null;
    }
    if (digest === null || lc(digest) !== lc(m.digest) || recoverStrict(digest, m.signature) !== m.signer) r.add("bad_signature");
    else keyReasons(r, m.party, m.signer, BigInt(m.header.issuedAt), m.type === "ReqEv" ? m.body : undefined);
    const o = originOf(m.digest);
    if (o && lc(o.origin) !== lc(m.party)) r.add("wrong_party");
    const expiresAt = BigInt(m.header.expiresAt);
    const first = firstAnchor.get(lc(m.digest));
    if (BigInt(m.header.issuedAt) > expiresAt || (first !== undefined && BigInt(first) > expiresAt) || (o && BigInt(o.recordedAt) > expiresAt)) r.add("expired");
    if (replayed(i)) r.add("replayed");
    if (lc(m.header.sessionId) === session && !replayed(i)) {
      const own = seqs.get(lc(m.party)) ?? [];
      const seq = BigInt(m.header.seq);
      if (own.filter((s) => s === seq).length > 1 || (seq > 0n && !own.includes(seq - 1n))) r.add("sequence_gap");
    }
    if (!answered.has(lc(m.digest))) r.add("missing_receipt");
    if (badProof.has(lc(m.digest))) r.add("proof_mismatch");
    push("message", i, r);
  });

  receipts.forEach((s, i) => {
    const r = new Set<string>();
    if (lc(s.receipt.sessionId) !== session) r.add("session_mismatch");
    let digest: string | null;
    try {
      digest = TypedDataEncoder.hash(domain, { Receipt: structs.Receipt! }, s.receipt);
    } catch {
      digest = null;
    }
    if (digest === null || lc(digest) !== lc(s.digest) || recoverStrict(digest, s.signature) !== s.signer) r.add("bad_signature");
    else keyReasons(r, s.receiver, s.signer, BigInt(s.receipt.receivedAt));
    const nro = messages.find((m) => lc(m.digest) === lc(s.receipt.nroDigest));
    if (!nro) r.add("message_not_in_bundle");
    if (nro && lc(nro.party) === lc(s.receiver)) r.add("wrong_party");
    if (nro && nro.header.receiver !== undefined && lc(nro.header.receiver) !== lc(s.receiver)) r.add("wrong_party");
    const onChain = chainReceiptOf(s.receipt.nroDigest);
    if (onChain && lc(onChain.receiver) !== lc(s.receiver)) r.add("wrong_party");
    if (replayed(messages.length + i)) r.add("replayed");
    if (badProof.has(lc(s.digest))) r.add("proof_mismatch");
    push("receipt", i, r);
  });

  const refusedBefore = later(refusals.map((f) => lc(f.nroDigest)));
  refusals.forEach((f, i) => {
    const r = new Set<string>();
    const nro = messages.find((m) => lc(m.digest) === lc(f.nroDigest));
    if (lc(f.sessionId) !== session || !nro || lc(nro.header.sessionId) !== session) r.add("session_mismatch");
    if (nro && lc(nro.party) !== lc(f.origin)) r.add("wrong_party");
    const o = originOf(f.nroDigest);
    if (!o || o.status !== 3 || o.receiptDeadline !== f.deadline) r.add("root_not_anchored");
    if (nro && nro.header.receiptDeadline !== undefined && BigInt(nro.header.receiptDeadline) !== BigInt(f.deadline)) r.add("root_not_anchored");
    if (o && lc(o.origin) !== lc(f.origin)) r.add("wrong_party");
    if (refusedBefore[i]) r.add("replayed");
    push("refusal", i, r);
  });

  const itemDigests = new Set(signed.map((s) => s.digest));
  batches.forEach((x, i) => {
    const r = new Set<string>();
    const a = chainAnchors[i];
    if (!a) r.add("root_not_anchored");
    if (a && (a.count !== x.count || a.kind !== x.kind || a.anchoredAt !== x.anchor.blockTime || lc(a.submitter) !== lc(x.anchor.submitter))) r.add("proof_mismatch");
    if ((x.proofs as Json[]).some((p) => !itemDigests.has(lc(p.digest)) && !proofHolds(x.root, p.digest, p.proof))) r.add("proof_mismatch");
    push("anchor", i, r);
  });
  return items;
}
