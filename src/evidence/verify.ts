/**
 * The offline verifier of evidence bundles. Every item of a bundle (message, receipt, refusal,
 * anchored batch) gets a verdict with reasons from a closed set; bad evidence never throws.
 * The only inputs are the bundle and a `ChainView` (live RPC, or the bundle's own snapshot).
 * docs/evidence-bundle.md states exactly when each reason is given.
 */
import { carriesCertificates, type EvidenceBundle } from "./bundle.js";
import type { ChainView, KeyRecord } from "./chainView.js";
import { verifyInclusion } from "./merkle.js";
import type { SignedMessage } from "./messages.js";
import { certificateDomain, certificateSelfConsistent, type SignedPseudonymCert } from "./pseudonymCerts.js";
import { verifyMessageSignature, verifyReceiptSignature } from "./sign.js";
import { evidenceDomain, type EvidenceTypesVersion } from "./types.js";

export const VERDICT_REASONS = [
  "bad_signature",
  "key_not_valid_at_signing_time",
  "certificate_missing",
  "certificate_invalid",
  "outside_certificate_window",
  "wrong_party",
  "proof_mismatch",
  "root_not_anchored",
  "sequence_gap",
  "expired",
  "replayed",
  "missing_receipt",
  "wrong_domain",
  "session_mismatch",
  "message_not_in_bundle",
] as const;
export type Reason = (typeof VERDICT_REASONS)[number];
export type ItemKind = "message" | "receipt" | "refusal" | "anchor";

export interface ItemVerdict {
  kind: ItemKind;
  /** NRO digest (message, refusal), receipt digest (receipt) or Merkle root (anchor). */
  id: string;
  /** Position of the item in its list of the bundle (`messages`, `receipts`, `refusals`, `batches`). */
  index: number;
  valid: boolean;
  reasons: Reason[];
}

export interface VerdictSummary {
  items: number;
  valid: number;
  invalid: number;
  byKind: Record<ItemKind, { valid: number; invalid: number }>;
  reasons: Partial<Record<Reason, number>>;
}

export interface Verdict {
  ok: boolean;
  sessionId: string;
  items: ItemVerdict[];
  summary: VerdictSummary;
}

/** On-chain status of a proof of origin whose receipt was refused (`IEvidenceLedger.Origin`). */
const REFUSED = 3;
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Collects reasons without duplicates, in the order of the closed set. */
class Reasons {
  private readonly set = new Set<Reason>();
  add(reason: Reason, when = true): void {
    if (when) this.set.add(reason);
  }
  list(): Reason[] {
    return VERDICT_REASONS.filter((r) => this.set.has(r));
  }
}

/** Marks every occurrence after the first of each key. */
function laterOccurrences(keys: string[]): Set<number> {
  const seen = new Set<string>();
  const later = new Set<number>();
  keys.forEach((k, i) => (seen.has(k) ? later.add(i) : seen.add(k)));
  return later;
}

/** Verifies `bundle` against `view`. Throws only if the view itself fails (e.g. RPC down). */
export async function verifyBundle(bundle: EvidenceBundle, view: ChainView): Promise<Verdict> {
  const { messages, receipts, refusals, batches } = bundle;
  const all = [
    ...messages.map((m, index) => ({ kind: "message" as const, id: m.digest, index })),
    ...receipts.map((r, index) => ({ kind: "receipt" as const, id: r.digest, index })),
    ...refusals.map((f, index) => ({ kind: "refusal" as const, id: f.nroDigest, index })),
    ...batches.map((b, index) => ({ kind: "anchor" as const, id: b.root, index })),
  ];
  const sameDomain =
    (await view.chainId()) === bundle.domain.chainId && same(await view.ledger(), bundle.domain.verifyingContract);
  // Evidence signed for another deployment says nothing about this one: no other check applies.
  if (!sameDomain)
    return verdict(
      bundle,
      all.map((it) => ({ ...it, valid: false, reasons: ["wrong_domain"] })),
    );

  const version = Number(bundle.domain.version) as EvidenceTypesVersion;
  const domain = evidenceDomain(bundle.domain.chainId, bundle.domain.verifyingContract, version);
  const inSession = (sessionId: string) => same(sessionId, bundle.sessionId);
  const items: ItemVerdict[] = [];
  const judge = (it: (typeof all)[number], r: Reasons) => {
    const reasons = r.list();
    items.push({ ...it, valid: reasons.length === 0, reasons });
  };

  // Proofs: which digests failed theirs, and when each digest was first anchored.
  const badProof = new Set<string>();
  const anchoredAt = new Map<string, number>();
  // An anchor is looked up under the submitter the bundle names: a bundle that names another
  // submitter than the one who anchored the root finds no anchor.
  const anchors = await Promise.all(batches.map((b) => view.anchorOf(b.anchor.submitter, b.root)));
  batches.forEach((b, i) => {
    for (const { digest, proof } of b.proofs) {
      if (!verifyInclusion(b.root, digest, proof)) badProof.add(digest.toLowerCase());
      else if (anchors[i]) {
        const key = digest.toLowerCase();
        anchoredAt.set(key, Math.min(anchors[i].anchoredAt, anchoredAt.get(key) ?? Infinity));
      }
    }
  });

  // Replays: a digest seen before, or a nonce its party (origin or receiver) already used.
  const nonceKey = (party: string, nonce: string) => `${party.toLowerCase()}/${nonce.toLowerCase()}`;
  const signed = [
    ...messages.map((m) => ({ digest: m.digest, nonce: nonceKey(m.party, m.header.nonce) })),
    ...receipts.map((r) => ({ digest: r.digest, nonce: nonceKey(r.receiver, r.receipt.nonce) })),
  ];
  const replayedDigest = laterOccurrences(signed.map((s) => s.digest.toLowerCase()));
  const replayedNonce = laterOccurrences(signed.map((s) => s.nonce));
  const replayed = (i: number) => replayedDigest.has(i) || replayedNonce.has(i);

  // Sequences: per origin, the session's messages must number 0..n-1 exactly once each.
  const seqs = new Map<string, bigint[]>();
  messages.forEach((m, i) => {
    if (!inSession(m.header.sessionId) || replayed(i)) return;
    seqs.set(m.party, [...(seqs.get(m.party) ?? []), m.header.seq]);
  });
  const gap = (m: SignedMessage, i: number) => {
    if (!inSession(m.header.sessionId) || replayed(i)) return false;
    const own = seqs.get(m.party) ?? [];
    const count = own.filter((s) => s === m.header.seq).length;
    return count > 1 || (m.header.seq > 0n && !own.includes(m.header.seq - 1n));
  };
  const answered = new Set(
    [...receipts.map((r) => r.receipt.nroDigest), ...refusals.map((f) => f.nroDigest)].map((d) => d.toLowerCase()),
  );
  const messageOf = (digest: string) => messages.find((m) => same(m.digest, digest));

  const keys = new Map<string, Promise<KeyRecord | null>>();
  const signingKey = (signer: string) => {
    const k = signer.toLowerCase();
    if (!keys.has(k)) keys.set(k, view.signingKey(signer));
    return keys.get(k)!;
  };

  // Pseudonyms (version 3): a party that signs with its own unregistered key is vouched for by
  // its supplier's certificate in the bundle, judged once per certificate.
  const withCertificates = carriesCertificates(bundle.schema);
  const certOf = new Map(bundle.certificates.map((c) => [c.value.pseudonym.toLowerCase(), c]));
  const certDomain = withCertificates ? certificateDomain(bundle.domain.chainId, await view.registry()) : undefined;
  const certVerdicts = new Map<string, Promise<boolean>>();
  const certificateValid = (c: SignedPseudonymCert): Promise<boolean> => {
    const k = c.digest.toLowerCase();
    if (!certVerdicts.has(k)) {
      certVerdicts.set(k, (async () =>
        certificateSelfConsistent(certDomain!, c) &&
        (await view.isKeyValid(c.party, c.signer, c.value.validFrom)) &&
        (await view.isSupplier(c.party)))());
    }
    return certVerdicts.get(k)!;
  };
  type Request = SignedMessage<"ReqEv">["body"];
  const pseudonymReasons = async (r: Reasons, party: string, at: bigint, request?: Request) => {
    // A request names its pseudonym and the certificate it stands on: both must be its signer's.
    r.add("wrong_party", request !== undefined && !same(request.pseudonym, party));
    const cert = certOf.get(party.toLowerCase());
    if (!cert || (request !== undefined && !same(request.pseudonymCert, cert.digest))) return r.add("certificate_missing");
    r.add("certificate_invalid", !(await certificateValid(cert)));
    r.add("outside_certificate_window", at < cert.value.validFrom || at >= cert.value.validUntil);
  };

  const keyReasons = async (r: Reasons, party: string, signer: string, at: bigint, request?: Request) => {
    const key = await signingKey(signer);
    if (key && !same(key.participant, party)) return r.add("wrong_party");
    if (!key && withCertificates && same(signer, party)) return pseudonymReasons(r, party, at, request);
    r.add("key_not_valid_at_signing_time", !key || !(await view.isKeyValid(party, signer, at)));
  };

  for (const [i, m] of messages.entries()) {
    const r = new Reasons();
    r.add("session_mismatch", !inSession(m.header.sessionId));
    const request = m.type === "ReqEv" ? (m as SignedMessage<"ReqEv">).body : undefined;
    if (!verifyMessageSignature(domain, m)) r.add("bad_signature");
    else await keyReasons(r, m.party, m.signer, m.header.issuedAt, request);
    const origin = await view.originOf(m.digest);
    r.add("wrong_party", origin !== null && !same(origin.origin, m.party));
    const { issuedAt, expiresAt } = m.header;
    const firstAnchor = anchoredAt.get(m.digest.toLowerCase());
    r.add("expired", issuedAt > expiresAt || (firstAnchor !== undefined && BigInt(firstAnchor) > expiresAt));
    r.add("expired", origin !== null && BigInt(origin.recordedAt) > expiresAt);
    r.add("replayed", replayed(i));
    r.add("sequence_gap", gap(m, i));
    r.add("missing_receipt", !answered.has(m.digest.toLowerCase()));
    r.add("proof_mismatch", badProof.has(m.digest.toLowerCase()));
    judge(all[i]!, r);
  }

  for (const [i, s] of receipts.entries()) {
    const r = new Reasons();
    r.add("session_mismatch", !inSession(s.receipt.sessionId));
    if (!verifyReceiptSignature(domain, s)) r.add("bad_signature");
    else await keyReasons(r, s.receiver, s.signer, s.receipt.receivedAt);
    // A receipt proves what another party received: the origin cannot receipt its own message.
    const nro = messageOf(s.receipt.nroDigest);
    r.add("message_not_in_bundle", nro === undefined);
    r.add("wrong_party", nro !== undefined && same(nro.party, s.receiver));
    // Version 2: only the receiver the message names can receipt it.
    const named = nro?.header.receiver;
    r.add("wrong_party", named !== undefined && !same(named, s.receiver));
    const onChain = await view.receiptOf(s.receipt.nroDigest);
    r.add("wrong_party", onChain !== null && !same(onChain.receiver, s.receiver));
    r.add("replayed", replayed(messages.length + i));
    r.add("proof_mismatch", badProof.has(s.digest.toLowerCase()));
    judge(all[messages.length + i]!, r);
  }

  const refusedTwice = laterOccurrences(refusals.map((f) => f.nroDigest.toLowerCase()));
  for (const [i, f] of refusals.entries()) {
    const r = new Reasons();
    const nro = messageOf(f.nroDigest);
    r.add("session_mismatch", !inSession(f.sessionId) || !nro || !inSession(nro.header.sessionId));
    r.add("wrong_party", nro !== undefined && !same(nro.party, f.origin));
    const o = await view.originOf(f.nroDigest);
    r.add("root_not_anchored", !o || o.status !== REFUSED || o.receiptDeadline !== f.deadline);
    // Version 2: the deadline is the one the message signed.
    const signedDeadline = nro?.header.receiptDeadline;
    r.add("root_not_anchored", signedDeadline !== undefined && BigInt(f.deadline) !== signedDeadline);
    r.add("wrong_party", o !== null && !same(o.origin, f.origin));
    r.add("replayed", refusedTwice.has(i));
    judge(all[messages.length + receipts.length + i]!, r);
  }

  const itemDigests = new Set(signed.map((s) => s.digest.toLowerCase()));
  for (const [i, b] of batches.entries()) {
    const r = new Reasons();
    const a = anchors[i];
    r.add("root_not_anchored", !a);
    r.add(
      "proof_mismatch",
      !!a &&
        (a.count !== b.count ||
          a.kind !== b.kind ||
          a.anchoredAt !== b.anchor.blockTime ||
          !same(a.submitter, b.anchor.submitter)),
    );
    // A failed proof of an item is judged on that item; of a digest that is no item, here.
    const stray = b.proofs.filter((p) => !itemDigests.has(p.digest.toLowerCase()));
    r.add(
      "proof_mismatch",
      stray.some((p) => !verifyInclusion(b.root, p.digest, p.proof)),
    );
    judge(all[messages.length + receipts.length + refusals.length + i]!, r);
  }
  return verdict(bundle, items);
}

function verdict(bundle: EvidenceBundle, items: ItemVerdict[]): Verdict {
  const zero = () => ({ valid: 0, invalid: 0 });
  const byKind = { message: zero(), receipt: zero(), refusal: zero(), anchor: zero() };
  const reasons: Partial<Record<Reason, number>> = {};
  for (const it of items) {
    byKind[it.kind][it.valid ? "valid" : "invalid"]++;
    for (const r of it.reasons) reasons[r] = (reasons[r] ?? 0) + 1;
  }
  const valid = items.filter((it) => it.valid).length;
  return {
    ok: items.length > 0 && items.every((it) => it.valid),
    sessionId: bundle.sessionId,
    items,
    summary: { items: items.length, valid, invalid: items.length - valid, byKind, reasons },
  };
}
