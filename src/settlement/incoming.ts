/**
 * The home side: every claim against this supplier that the chain announced (past its
 * confirmations) is checked against its package. The verdict is stored before anything is sent;
 * a CDR dispute is enqueued under `dispute:<claimId>:<cdrDigest>` in the same transaction, accepted
 * claims go out together in `acceptClaims` batches under `accept:<hash of the ids>`. When the
 * package is missing or is not the one the claim commits to, the claim is checked again every tick
 * (the package may still come) until its window closes within `disputeMarginSeconds`; then the
 * whole claim is disputed under `claim-dispute:<claimId>`. A stored accept or dispute of either kind
 * is never reconsidered, so a restart neither accepts nor disputes twice.
 */
import { getAddress, keccak256, toUtf8Bytes } from "ethers";
import { PAIR_NOT_NETTED } from "./chainEvents.js";
import { KeyCache, settlementIface } from "./contracts.js";
import type { BotContext, TickReport } from "./context.js";
import { reasonCode, type PackageReason } from "./reasons.js";
import type { SignedMessage } from "../evidence/messages.js";
import { verifyClaim, type ClaimVerdict, type IncomingClaim, type ReceivedCdr, type VerifyEnv } from "./verifyClaim.js";

interface Pending extends IncomingClaim {
  deadline: number;
}

/** What is stored about a claim: a verdict, or that it still waits for its package, or that its window passed. */
type Decision = ClaimVerdict | { verdict: "unverifiable" | "expired"; reason: string };

function pendingClaims(ctx: BotContext): Pending[] {
  return ctx.db.all(
    `SELECT c.* FROM chain_claims c LEFT JOIN decisions d ON d.claim_id = c.claim_id
     WHERE c.debtor = ? AND c.accepted_block IS NULL AND ${PAIR_NOT_NETTED}
       AND (d.claim_id IS NULL OR d.verdict = 'unverifiable' OR d.cdr_root != c.cdr_root)
     ORDER BY c.block_number, c.claim_id`,
    ctx.account,
  ).map((r) => ({
    claimId: BigInt(String(r.claim_id)), period: Number(r.period), creditor: String(r.creditor), debtor: String(r.debtor),
    amount: BigInt(String(r.amount)), cdrRoot: String(r.cdr_root), cdrCount: Number(r.cdr_count),
    evidenceRoot: String(r.evidence_root), packageHash: String(r.package_hash ?? ""), deadline: Number(r.deadline),
  }));
}

function verifyEnv(ctx: BotContext): VerifyEnv {
  const keys = new KeyCache(ctx.views);
  return {
    account: ctx.account, chainId: ctx.chainId, settlement: ctx.settlement, ledger: ctx.ledger,
    periodSeconds: ctx.config.periodSeconds, domain: ctx.domain,
    keyValid: (participant, key, time) => keys.isValid(participant, key, time),
    anchorSubmitter: async (root, creditor) => (await ctx.views.anchorOf(creditor, root))?.submitter ?? null,
    seenBefore: (digest, cdrId, claimId) =>
      ctx.db.get("SELECT 1 FROM received_cdrs WHERE (digest = ? OR cdr_id = ?) AND claim_id != ?",
        digest.toLowerCase(), cdrId.toLowerCase(), claimId.toString()) !== undefined,
    billedBefore: (m) => billedBefore(ctx, m),
  };
}

/**
 * A CDR of the host for `m`'s session that this supplier's evidence store holds with its own
 * receipt, and that comes before `m` in the host's sequence of the session (or any such CDR when
 * this supplier never receipted `m`): the session was billed already. A receipt proves that a CDR
 * arrived, not that it is owed: a second CDR delivered and receipted is disputed all the same.
 */
function billedBefore(ctx: BotContext, m: SignedMessage<"ChargeDetailRecord">): string | null {
  const records = ctx.store.session(m.header.sessionId);
  const receipted = new Set(records.receipts.filter((r) => getAddress(r.receiver) === ctx.account).map((r) => r.receipt.nroDigest.toLowerCase()));
  const holds = receipted.has(m.digest.toLowerCase());
  const other = records.messages.find(
    (x) => x.type === "ChargeDetailRecord" && x.digest.toLowerCase() !== m.digest.toLowerCase() && getAddress(x.party) === getAddress(m.party)
      && receipted.has(x.digest.toLowerCase()) && (!holds || x.header.seq < m.header.seq),
  );
  return other?.digest ?? null;
}

function decide(ctx: BotContext, c: Pending, v: Decision, actionKey: string | null): void {
  const d = v.verdict === "dispute" ? v : null;
  ctx.db.run(
    `INSERT INTO decisions (claim_id, cdr_root, verdict, reason, cdr_digest, amount, proof, failures, action_key, decided_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (claim_id) DO UPDATE SET cdr_root = excluded.cdr_root, verdict = excluded.verdict, reason = excluded.reason,
       cdr_digest = excluded.cdr_digest, amount = excluded.amount, proof = excluded.proof, failures = excluded.failures,
       action_key = excluded.action_key, decided_at = excluded.decided_at`,
    c.claimId.toString(), c.cdrRoot, v.verdict, "reason" in v ? v.reason : null, d?.digest ?? null, d?.amount.toString() ?? null,
    d ? JSON.stringify(d.proof) : null, d ? JSON.stringify(d.failures) : null, actionKey, ctx.now(),
  );
}

function remember(ctx: BotContext, claimId: bigint, received: readonly ReceivedCdr[]): void {
  for (const r of received) {
    ctx.db.run("INSERT OR IGNORE INTO received_cdrs (digest, cdr_id, claim_id) VALUES (?, ?, ?)", r.digest.toLowerCase(), r.cdrId.toLowerCase(), claimId.toString());
  }
}

/** Checks every undecided claim against this supplier and enqueues its acceptance or dispute. */
export async function reviewIncoming(ctx: BotContext, chainTime: number, report: TickReport): Promise<void> {
  const env = verifyEnv(ctx);
  for (const c of pendingClaims(ctx)) {
    const raw = await ctx.exchange.fetch({ creditor: c.creditor, debtor: ctx.account, cdrRoot: c.cdrRoot });
    const v = await verifyClaim(c, raw, env);
    const id = c.claimId.toString();
    if (v.verdict === "claim-dispute") {
      disputeWhole(ctx, c, v.reason, chainTime, report);
      continue;
    }
    if (v.verdict === "accept") {
      ctx.db.transaction(() => {
        decide(ctx, c, v, null);
        remember(ctx, c.claimId, v.received);
      });
      continue;
    }
    if (chainTime > c.deadline) {
      ctx.db.transaction(() => {
        decide(ctx, c, { verdict: "expired", reason: v.reason }, null);
        remember(ctx, c.claimId, v.received);
      });
      report.alerts.push(`claim ${id}: CDR ${v.digest} fails (${v.reason}) but the challenge window closed at ${c.deadline}`);
      continue;
    }
    const { key, label, data } = disputeIntent(c, v);
    ctx.db.transaction(() => {
      ctx.outbox.enqueue({ key, label, to: ctx.settlement, data });
      decide(ctx, c, v, key);
      remember(ctx, c.claimId, v.received);
    });
    report.disputed.push({ claimId: id, cdrDigest: v.digest, reason: v.reason });
    ctx.log("warn", "claim disputed", { claimId: id, creditor: getAddress(c.creditor), cdrDigest: v.digest, reason: v.reason });
  }
  enqueueAcceptances(ctx, report);
}

/**
 * The transaction for a failing claim: its one failing CDR (`disputeCdr`), all its failing CDRs at
 * once (`disputeCdrs`, one multiproof), the proof of its CDR sum when it asks more (`proveClaimSum`:
 * no arbiter needed), or a claim-level dispute for a claim-wide reason.
 */
function disputeIntent(c: Pending, v: Extract<ClaimVerdict, { verdict: "dispute" }>): { key: string; label: string; data: string } {
  const id = c.claimId.toString();
  const a = v.action;
  if (a.kind === "sum") {
    return { key: `prove-sum:${id}`, label: `prove the CDR sum of claim ${id}`, data: settlementIface.encodeFunctionData("proveClaimSum", [c.claimId, a.cdrs]) };
  }
  if (a.kind === "claim") {
    return {
      key: `claim-dispute:${id}`, label: `dispute claim ${id} as a whole (${v.reason})`,
      data: settlementIface.encodeFunctionData("disputeClaim", [c.claimId, reasonCode(v.reason)]),
    };
  }
  if (a.cdrs.length === 1) {
    return {
      key: `dispute:${id}:${v.digest}`, label: `dispute CDR of claim ${id} (${v.reason})`,
      data: settlementIface.encodeFunctionData("disputeCdr", [c.claimId, v.digest, v.amount, v.proof, reasonCode(v.reason)]),
    };
  }
  return {
    key: `dispute:${id}:${v.digest}`, label: `dispute ${a.cdrs.length} CDRs of claim ${id} (${[...new Set(a.reasons)].join(", ")})`,
    data: settlementIface.encodeFunctionData("disputeCdrs", [c.claimId, a.cdrs, a.proof, a.proofFlags, a.reasons.map(reasonCode)]),
  };
}

/**
 * The package of `c` is missing or not the committed one. Until the window closes within the margin
 * the claim waits (`unverifiable`); then the whole claim is disputed. Past the window nothing can be
 * disputed any more: the claim stays unverifiable, with an alert, and this bot does not net its period.
 */
function disputeWhole(ctx: BotContext, c: Pending, reason: PackageReason, chainTime: number, report: TickReport): void {
  const id = c.claimId.toString();
  const late = chainTime > c.deadline;
  if (late || chainTime < c.deadline - ctx.config.disputeMarginSeconds) {
    ctx.db.transaction(() => decide(ctx, c, { verdict: "unverifiable", reason }, null));
    report.unverifiable.push({ claimId: id, reason, urgent: late });
    if (late) report.alerts.push(`claim ${id} from ${c.creditor} cannot be verified (${reason}) and its challenge window closed at ${c.deadline}`);
    return;
  }
  const key = `claim-dispute:${id}`;
  const data = settlementIface.encodeFunctionData("disputeClaim", [c.claimId, reasonCode(reason)]);
  ctx.db.transaction(() => {
    ctx.outbox.enqueue({ key, label: `dispute claim ${id} as a whole (${reason})`, to: ctx.settlement, data });
    decide(ctx, c, { verdict: "claim-dispute", reason, detail: "" }, key);
  });
  report.claimDisputes.push({ claimId: id, reason });
  ctx.log("warn", "claim disputed as a whole", { claimId: id, creditor: getAddress(c.creditor), reason });
}

/** Sends the accepted claims that have no acceptance intent yet, `maxBatch` per `acceptClaims` call. */
function enqueueAcceptances(ctx: BotContext, report: TickReport): void {
  const ids = ctx.db.all(
    `SELECT d.claim_id FROM decisions d JOIN chain_claims c ON c.claim_id = d.claim_id
     WHERE d.verdict = 'accept' AND d.action_key IS NULL AND c.accepted_block IS NULL
       AND ${PAIR_NOT_NETTED}`,
  ).map((r) => BigInt(String(r.claim_id))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < ids.length; i += ctx.maxBatch) {
    const batch = ids.slice(i, i + ctx.maxBatch);
    const key = `accept:${keccak256(toUtf8Bytes(batch.join(",")))}`;
    const data = settlementIface.encodeFunctionData("acceptClaims", [batch]);
    ctx.db.transaction(() => {
      ctx.outbox.enqueue({ key, label: `accept ${batch.length} claims`, to: ctx.settlement, data });
      for (const id of batch) ctx.db.run("UPDATE decisions SET action_key = ? WHERE claim_id = ?", key, id.toString());
    });
    report.accepted.push(...batch.map(String));
    ctx.log("info", "claims accepted", { claimIds: batch.map(String) });
  }
}
