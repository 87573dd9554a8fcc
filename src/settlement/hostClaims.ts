/**
 * The host side, second half: move each built claim through its stages.
 *
 *   built ─► anchoring ─► anchored ─► submitting ─► submitted
 *     └────────────────────►┘                   └─► late (the period closed to claims first)
 *
 * built: pick (or create) the evidence batch; enqueue `anchorBatch` unless it is anchored already.
 * anchoring: wait until the anchoring intent is final, record the anchor in the evidence store.
 * anchored: publish the claim package, then enqueue `submitClaim` with the package's hash under the
 *   key `claim:<period>:<debtor>:<cdrRoot>` (the enqueue and the stage change share one transaction).
 * submitting: wait until final. A dead intent leaves the claim where it is, with a note and an
 * alert, until an operator re-queues it (docs/operations.md).
 *
 * A claim of ours that its debtor disputes as a whole raises one alert: the host's operator must show
 * the arbiter the package (it hashes to the claim's `packageHash`), or the claim is rejected.
 */
import { getAddress } from "ethers";
import type { SignedMessage } from "../evidence/messages.js";
import { buildCdrTree } from "./cdrTree.js";
import { settlementIface } from "./contracts.js";
import type { BotContext, TickReport } from "./context.js";
import { anchorIntent, evidenceBatchFor, evidenceProofs, followAnchor } from "./evidenceBatch.js";
import { buildClaimPackage, packageHash } from "./package.js";
import { reasonText } from "./reasons.js";
import { SettlementError } from "./errors.js";

interface OutgoingRow {
  cdrRoot: string;
  debtor: string;
  period: number;
  amount: bigint;
  cdrCount: number;
  stage: string;
  evidenceRoot: string | null;
  anchorKey: string | null;
  claimKey: string | null;
}

function rows(ctx: BotContext): OutgoingRow[] {
  return ctx.db.all("SELECT * FROM outgoing_claims WHERE stage NOT IN ('submitted', 'late') ORDER BY created_at, cdr_root").map((r) => ({
    cdrRoot: String(r.cdr_root), debtor: String(r.debtor), period: Number(r.period), amount: BigInt(String(r.amount)),
    cdrCount: Number(r.cdr_count), stage: String(r.stage),
    evidenceRoot: r.evidence_root === null ? null : String(r.evidence_root),
    anchorKey: r.anchor_key === null ? null : String(r.anchor_key),
    claimKey: r.claim_key === null ? null : String(r.claim_key),
  }));
}

function setStage(ctx: BotContext, root: string, stage: string, fields: Record<string, string | null> = {}): void {
  const sets = Object.keys(fields).map((k) => `, ${k} = ?`).join("");
  ctx.db.run(`UPDATE outgoing_claims SET stage = ?, updated_at = ?${sets} WHERE cdr_root = ?`, stage, ctx.now(), ...Object.values(fields), root);
}

/** Records why a claim cannot move on; alerts when the reason is new. */
function note(ctx: BotContext, c: OutgoingRow, text: string, report: TickReport): void {
  const { changes } = ctx.db.run(
    "UPDATE outgoing_claims SET note = ?, updated_at = ? WHERE cdr_root = ? AND note IS NOT ?", text, ctx.now(), c.cdrRoot, text,
  );
  if (changes > 0) report.alerts.push(`claim ${c.cdrRoot} (period ${c.period}, debtor ${c.debtor}): ${text}`);
}

function digestsOf(ctx: BotContext, root: string): { digest: string; amount: bigint }[] {
  return ctx.db.all("SELECT digest, amount FROM host_cdrs WHERE claim_root = ? ORDER BY digest", root)
    .map((r) => ({ digest: String(r.digest), amount: BigInt(String(r.amount)) }));
}

/** Advances every unfinished outgoing claim as far as it can go in this tick. */
export async function advanceClaims(ctx: BotContext, report: TickReport): Promise<void> {
  for (const c of rows(ctx)) {
    let stage = c.stage;
    if (stage === "built") stage = startAnchoring(ctx, c, report);
    if (stage === "anchoring") {
      const outcome = await followAnchor(ctx, c.evidenceRoot ?? "", c.anchorKey ? ctx.outbox.get(c.anchorKey) : undefined);
      if (outcome.kind === "stuck") note(ctx, c, outcome.note, report);
      if (outcome.kind !== "anchored") continue;
      setStage(ctx, c.cdrRoot, (stage = "anchored"), { note: null });
    }
    if (stage === "anchored") {
      const anchor = await ctx.views.anchorOf(ctx.account, c.evidenceRoot!);
      if (!anchor || getAddress(anchor.submitter) !== ctx.account) {
        note(ctx, c, "evidence root is not anchored by this account on the chain yet", report);
        continue;
      }
      await publishAndSubmit(ctx, c, report);
      stage = "submitting";
    }
    if (stage === "submitting") followSubmission(ctx, c, report);
  }
}

function startAnchoring(ctx: BotContext, c: OutgoingRow, report: TickReport): string {
  const batch = evidenceBatchFor(ctx, digestsOf(ctx, c.cdrRoot).map((d) => d.digest));
  if (batch.anchor) {
    setStage(ctx, c.cdrRoot, "anchored", { evidence_root: batch.root });
    c.evidenceRoot = batch.root;
    return "anchored";
  }
  const intent = anchorIntent(ctx, batch);
  ctx.db.transaction(() => {
    ctx.outbox.enqueue(intent);
    setStage(ctx, c.cdrRoot, "anchoring", { evidence_root: batch.root, anchor_key: intent.key });
  });
  c.evidenceRoot = batch.root;
  c.anchorKey = intent.key;
  report.anchorsSent.push(batch.root);
  return "anchoring";
}

async function publishAndSubmit(ctx: BotContext, c: OutgoingRow, report: TickReport): Promise<void> {
  const leaves = digestsOf(ctx, c.cdrRoot);
  const tree = buildCdrTree(leaves);
  if (tree.root.toLowerCase() !== c.cdrRoot) throw new SettlementError("PACKAGE", "the claim's CDRs no longer hash to its root", { cdrRoot: c.cdrRoot });
  const messages = leaves.map((l) => {
    const m = ctx.store.message(l.digest);
    if (!m) throw new SettlementError("PACKAGE", "a claimed CDR is missing from the evidence store", { digest: l.digest });
    return m as SignedMessage;
  });
  const batch = ctx.store.batches.get(c.evidenceRoot!);
  if (!batch?.anchor) throw new SettlementError("PACKAGE", "the claim's evidence batch is not recorded as anchored", { evidenceRoot: c.evidenceRoot });
  const pkg = buildClaimPackage({
    chainId: ctx.chainId, settlement: ctx.settlement, ledger: ctx.ledger, periodSeconds: ctx.config.periodSeconds,
    period: c.period, creditor: ctx.account, debtor: c.debtor, tree, messages,
    evidence: {
      root: batch.root, txHash: batch.anchor.txHash, blockNumber: batch.anchor.blockNumber, blockTime: batch.anchor.blockTime,
      proofs: evidenceProofs(batch, leaves.map((l) => l.digest)),
    },
  });
  await ctx.exchange.publish(pkg);
  report.packagesPublished.push(c.cdrRoot);
  const key = `claim:${c.period}:${c.debtor.toLowerCase()}:${c.cdrRoot}`;
  const data = settlementIface.encodeFunctionData("submitClaim", [
    c.period, c.debtor, c.amount, c.cdrRoot, c.cdrCount, c.evidenceRoot, packageHash(pkg),
  ]);
  ctx.db.transaction(() => {
    ctx.outbox.enqueue({ key, label: `claim period ${c.period} from ${c.debtor}`, to: ctx.settlement, data });
    setStage(ctx, c.cdrRoot, "submitting", { claim_key: key, note: null });
  });
  c.claimKey = key;
  report.claimsSubmitted.push(c.cdrRoot);
  ctx.log("info", "claim submitted", { period: c.period, debtor: c.debtor, cdrRoot: c.cdrRoot, amount: c.amount.toString() });
}

function followSubmission(ctx: BotContext, c: OutgoingRow, report: TickReport): void {
  const intent = c.claimKey ? ctx.outbox.get(c.claimKey) : undefined;
  if (!intent) return note(ctx, c, "claim intent missing", report);
  if (intent.status === "final") return setStage(ctx, c.cdrRoot, "submitted", { note: null });
  if (intent.status === "dead") return note(ctx, c, `claim given up: ${intent.lastError ?? "no reason"}`, report);
  if (intent.status !== "done") return;
  const name = intent.revert?.name;
  if (name === "SettlementDuplicateClaim") return setStage(ctx, c.cdrRoot, "submitted", { note: null });
  if (name === "SettlementPeriodClosed") {
    setStage(ctx, c.cdrRoot, "late", { note: "the period closed to claims before the claim" });
    report.alerts.push(`claim ${c.cdrRoot}: period ${c.period} closed to claims before it; its CDRs cannot be claimed`);
    return;
  }
  note(ctx, c, `claim ended with ${name ?? "an unexpected revert"}`, report);
}

/** Alerts once for each claim of ours disputed as a whole that awaits the arbiter's ruling. */
export function reportClaimDisputes(ctx: BotContext, report: TickReport): void {
  const open = ctx.db.all(
    `SELECT d.dispute_id, d.claim_id, d.reason, c.debtor, c.cdr_root, c.package_hash FROM chain_claim_disputes d
     JOIN chain_claims c ON c.claim_id = d.claim_id WHERE c.creditor = ? AND d.upheld IS NULL ORDER BY d.block_number, d.dispute_id`,
    ctx.account,
  );
  for (const r of open) {
    const { changes } = ctx.db.run("INSERT OR IGNORE INTO settlement_meta (key, value) VALUES (?, ?)", `claim-dispute:${String(r.dispute_id)}`, String(ctx.now()));
    if (changes === 0) continue;
    report.alerts.push(
      `claim ${String(r.claim_id)} against ${String(r.debtor)} was disputed as a whole (${reasonText(String(r.reason))}): ` +
        `show the arbiter its package (root ${String(r.cdr_root)}, hash ${String(r.package_hash)}) or it is rejected`,
    );
  }
}
