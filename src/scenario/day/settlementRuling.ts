/**
 * The arbiter's decision procedure for a disputed CDR, from the session's evidence bundle alone:
 * the bundle is verified (offline against its own chain snapshot, and against the live chain when
 * one is given), and the claim stands only if the bundle shows that the CDR was owed:
 *
 * | ground | the dispute is upheld when … |
 * | --- | --- |
 * | `CDR_NOT_IN_BUNDLE` | the bundle holds no ChargeDetailRecord with the disputed digest |
 * | `CDR_NOT_VALID` | the verifier finds the CDR itself untrustworthy: bad signature, key not valid, wrong party or domain, other session, replayed, expired, bad proof (a missing receipt is judged below; a sequence gap says the record of the session is incomplete, not that the CDR is false) |
 * | `AMOUNT_NOT_SIGNED` | the claimed leaf amount is not the amount the host signed |
 * | `READINGS_NOT_SHOWN` | the bundle's valid meter readings of the session are not the readings the CDR commits to (`readingsRoot`) |
 * | `ENERGY_NOT_METERED` | the CDR bills more energy than its meter readings show (last import minus first import) |
 * | `SESSION_ALREADY_BILLED` | the CDR's receiver receipted another trusted CDR of the same host for the session, earlier in the host's sequence |
 * | `NOT_RECEIVED` | the CDR's receiver never receipted it, and receipted another CDR of the same host for the session |
 *
 * Otherwise the dispute is not upheld: the home pays. The procedure is pure given the verdicts, so
 * any third party rerunning it on the same bundle reaches the same ruling.
 */
import type { EvidenceBundle } from "../../evidence/bundle.js";
import { SnapshotChainView, type ChainView } from "../../evidence/chainView.js";
import { buildBatch } from "../../evidence/merkle.js";
import type { SignedMessage } from "../../evidence/messages.js";
import { verifyBundle, type ItemVerdict, type Reason, type Verdict } from "../../evidence/verify.js";
import type { EvidenceItem } from "../../report/schema.js";
import { SettlementDayError } from "./settlementErrors.js";

export const RULING_GROUNDS = [
  "CDR_NOT_IN_BUNDLE",
  "CDR_NOT_VALID",
  "AMOUNT_NOT_SIGNED",
  "READINGS_NOT_SHOWN",
  "ENERGY_NOT_METERED",
  "SESSION_ALREADY_BILLED",
  "NOT_RECEIVED",
] as const;
export type RulingGround = (typeof RULING_GROUNDS)[number];

/** The dispute as the chain recorded it: the CDR leaf `(cdrDigest, amount)` the host claimed. */
export interface DisputedLeaf {
  cdrDigest: string;
  amount: bigint;
}

export interface Ruling {
  upheld: boolean;
  /** Every ground that holds, in the order of `RULING_GROUNDS` (empty: not upheld). */
  grounds: RulingGround[];
  /** One line per ground, for the record. */
  explanation: string[];
  /** The verdict the ruling rests on (live chain when given, else the bundle's snapshot). */
  verdict: Verdict;
  /** Whether the offline verdict (the bundle's own snapshot) agrees item by item with the live one. */
  snapshotAgrees: boolean | null;
}

/**
 * Reasons of the verifier about the completeness of the session's record, not the authenticity of
 * the item: they do not make a message untrustworthy as signed evidence of its origin.
 */
const COMPLETENESS: readonly Reason[] = ["missing_receipt", "sequence_gap"];
const same = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
const itemOf = (v: Verdict, kind: ItemVerdict["kind"], id: string) => v.items.find((it) => it.kind === kind && same(it.id, id));
const trusted = (it: ItemVerdict | undefined): boolean => it !== undefined && it.reasons.every((r) => COMPLETENESS.includes(r));

/**
 * Rules on `dispute` from `bundle`. Verifies the bundle against its own chain snapshot (it must
 * have one) and, given `live`, against the chain; the ruling rests on the live verdict.
 */
export async function ruleFromBundle(bundle: EvidenceBundle, dispute: DisputedLeaf, live?: ChainView): Promise<Ruling> {
  if (bundle.chainState === null) {
    throw new SettlementDayError("BUNDLE", "the bundle has no chain snapshot: build it with chain access", { sessionId: bundle.sessionId });
  }
  const offline = await verifyBundle(bundle, new SnapshotChainView(bundle.chainState));
  const onChain = live ? await verifyBundle(bundle, live) : null;
  const verdict = onChain ?? offline;
  const snapshotAgrees = onChain === null ? null : JSON.stringify(onChain.items) === JSON.stringify(offline.items);
  const grounds: RulingGround[] = [];
  const explanation: string[] = [];
  const hold = (g: RulingGround, why: string) => {
    grounds.push(g);
    explanation.push(`${g}: ${why}`);
  };
  const cdr = bundle.messages.find((m) => m.type === "ChargeDetailRecord" && same(m.digest, dispute.cdrDigest)) as
    | SignedMessage<"ChargeDetailRecord">
    | undefined;
  if (!cdr) {
    hold("CDR_NOT_IN_BUNDLE", `no CDR ${dispute.cdrDigest} in the evidence of session ${bundle.sessionId}`);
    return { upheld: true, grounds, explanation, verdict, snapshotAgrees };
  }
  const cdrItem = itemOf(verdict, "message", cdr.digest);
  if (!trusted(cdrItem)) hold("CDR_NOT_VALID", `the verifier finds the CDR ${(cdrItem?.reasons ?? ["not judged"]).join(", ")}`);
  if (cdr.body.amount !== dispute.amount) hold("AMOUNT_NOT_SIGNED", `claimed ${dispute.amount}, signed ${cdr.body.amount}`);

  const readings = bundle.messages.filter(
    (m): m is SignedMessage<"MeterReading"> =>
      m.type === "MeterReading" && same(m.header.sessionId, cdr.header.sessionId) && trusted(itemOf(verdict, "message", m.digest)),
  );
  const root = readings.length > 0 ? buildBatch(readings.map((r) => r.digest)).root : null;
  if (!same(root ?? undefined, cdr.body.readingsRoot)) {
    hold("READINGS_NOT_SHOWN", `${readings.length} valid meter readings, not the ${cdr.body.readingsRoot} the CDR commits to`);
  } else {
    const imports = readings.map((r) => r.body.importWh);
    const metered = imports.reduce((a, b) => (b > a ? b : a)) - imports.reduce((a, b) => (b < a ? b : a));
    if (cdr.body.energyWh > metered) hold("ENERGY_NOT_METERED", `bills ${cdr.body.energyWh} Wh, the meter readings show ${metered} Wh`);
  }

  const receiver = cdr.header.receiver;
  const receiptedBy = (digest: string) =>
    bundle.receipts.some((r) => same(r.receipt.nroDigest, digest) && same(r.receiver, receiver) && trusted(itemOf(verdict, "receipt", r.digest)));
  // The host's other CDRs of the session that the receiver receipted, each itself trustworthy.
  const others = bundle.messages.filter(
    (m) => m.type === "ChargeDetailRecord" && !same(m.digest, cdr.digest) && same(m.party, cdr.party) && same(m.header.sessionId, cdr.header.sessionId)
      && receiptedBy(m.digest) && trusted(itemOf(verdict, "message", m.digest)),
  );
  const earlier = others.find((m) => m.header.seq < cdr.header.seq);
  if (earlier) hold("SESSION_ALREADY_BILLED", `${receiver} receipted CDR ${earlier.digest} of this session before it (sequence ${earlier.header.seq} < ${cdr.header.seq})`);
  if (receiver !== undefined && !receiptedBy(cdr.digest) && others.length > 0) {
    hold("NOT_RECEIVED", `${receiver} never receipted it; it receipted CDR ${others[0]!.digest} of this session`);
  }
  return { upheld: grounds.length > 0, grounds, explanation, verdict, snapshotAgrees };
}

const iso = (seconds: bigint | number): string => new Date(Number(seconds) * 1000).toISOString();

/**
 * The report's verdict of one item: valid; missing (something the session's record should hold is
 * not in the bundle: its receipt, an earlier message of its sequence); late (expired); or invalid.
 */
function itemVerdict(it: ItemVerdict | undefined): { verdict: EvidenceItem["verdict"]; reason: string } {
  if (!it) return { verdict: "invalid", reason: "not judged by the verifier" };
  if (it.valid) return { verdict: "valid", reason: "verified" };
  const reason = it.reasons.join(", ");
  if (it.reasons.every((r) => COMPLETENESS.includes(r))) return { verdict: "missing", reason };
  if (it.reasons.every((r) => r === "expired" || COMPLETENESS.includes(r))) return { verdict: "late", reason };
  return { verdict: "invalid", reason };
}

/**
 * The bundle as a timeline of items with the verifier's verdict each (the report's `dispute.evidence`):
 * messages at their issue time, receipts at their receipt time, anchors at their block time.
 * `nameOf` turns an address into a party's name.
 */
export function evidenceItems(bundle: EvidenceBundle, verdict: Verdict, nameOf: (address: string) => string): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  const messageOf = (digest: string) => bundle.messages.find((m) => same(m.digest, digest));
  for (const m of bundle.messages) {
    items.push({
      at: iso(m.header.issuedAt), type: m.type, from: nameOf(m.party),
      ...(m.header.receiver ? { to: nameOf(m.header.receiver) } : {}),
      digest: m.digest.toLowerCase(), ...itemVerdict(itemOf(verdict, "message", m.digest)),
    });
  }
  for (const r of bundle.receipts) {
    const of = messageOf(r.receipt.nroDigest);
    items.push({
      at: iso(r.receipt.receivedAt), type: "Receipt", from: nameOf(r.receiver), ...(of ? { to: nameOf(of.party) } : {}),
      digest: r.digest.toLowerCase(), ...itemVerdict(itemOf(verdict, "receipt", r.digest)),
    });
  }
  for (const b of bundle.batches) {
    items.push({
      at: iso(b.anchor.blockTime), type: "Anchor", from: nameOf(b.anchor.submitter), digest: b.root.toLowerCase(),
      ...itemVerdict(itemOf(verdict, "anchor", b.root)),
    });
  }
  return items.sort((a, b) => a.at.localeCompare(b.at));
}
