/**
 * The host side, first half: import the supplier's own CDRs from its evidence store (checking
 * each one the way its counterparty will), then group the open ones of closed periods by home
 * supplier and period into claims. A claim's composition is fixed in one database transaction,
 * so a restart rebuilds nothing and claims no CDR twice.
 */
import { getAddress } from "ethers";
import { KeyCache } from "./contracts.js";
import { buildCdrTree, periodEnd, periodOfEnd } from "./cdrTree.js";
import { getMeta, setMeta } from "./botStore.js";
import type { BotContext, TickReport } from "./context.js";
import type { HostRejectReason } from "./reasons.js";
import type { SignedMessage } from "../evidence/messages.js";

const IMPORT_BATCH = 500;

/** Why the host must not claim `m`, or null (and "skip" when it is not the host's CDR at all). */
async function hostCheck(ctx: BotContext, keys: KeyCache, m: SignedMessage<"ChargeDetailRecord">): Promise<HostRejectReason | "skip" | null> {
  const b = m.body;
  if (getAddress(m.party) !== ctx.account || getAddress(b.hostSupplier) !== ctx.account) return "skip";
  if (getAddress(b.homeSupplier) === ctx.account) return "WRONG_HOME";
  if (b.end < b.start) return "BAD_TIMES";
  if (b.amount === 0n) return "ZERO_AMOUNT";
  if (periodOfEnd(b.end, ctx.config.periodSeconds) < 0) return "BAD_PERIOD";
  if (!(await keys.isValid(ctx.account, m.signer, m.header.issuedAt))) return "KEY_NOT_VALID";
  return null;
}

/** Reads new CDRs from the evidence store into `host_cdrs` (open or rejected). */
export async function importCdrs(ctx: BotContext, report: TickReport): Promise<void> {
  const keys = new KeyCache(ctx.views);
  for (;;) {
    const cursor = Number(getMeta(ctx.db, "cdr_cursor") ?? 0);
    const batch = ctx.cdrs.after(cursor, IMPORT_BATCH);
    if (batch.messages.length === 0) return;
    const checked: { m: SignedMessage<"ChargeDetailRecord">; verdict: HostRejectReason | "skip" | null }[] = [];
    for (const m of batch.messages) checked.push({ m, verdict: await hostCheck(ctx, keys, m) });
    ctx.db.transaction(() => {
      for (const { m, verdict } of checked) {
        if (verdict === "skip") continue;
        const period = periodOfEnd(m.body.end, ctx.config.periodSeconds);
        const { changes } = ctx.db.run(
          `INSERT OR IGNORE INTO host_cdrs (digest, home, period, amount, status, reason, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          m.digest, getAddress(m.body.homeSupplier), Math.max(period, 0), m.body.amount.toString(), verdict ? "rejected" : "open", verdict, ctx.now(),
        );
        if (changes === 0) continue;
        report.cdrsImported++;
        if (verdict) report.cdrsRejected.push({ digest: m.digest, reason: verdict });
      }
      setMeta(ctx.db, "cdr_cursor", String(batch.cursor));
    });
    if (batch.messages.length < IMPORT_BATCH) return;
  }
}

/** Groups open CDRs of periods closed for `claimDelaySeconds` into claims (stage `built`). */
export async function buildClaims(ctx: BotContext, chainTime: number, report: TickReport): Promise<void> {
  const { periodSeconds, claimDelaySeconds, maxCdrsPerClaim } = ctx.config;
  const groups = ctx.db.all("SELECT DISTINCT home, period FROM host_cdrs WHERE status = 'open' ORDER BY period, home")
    .map((r) => ({ home: String(r.home), period: Number(r.period) }))
    .filter((g) => chainTime >= periodEnd(g.period, periodSeconds) + claimDelaySeconds);
  for (const { home, period } of groups) {
    if (chainTime > (await ctx.views.periodOf(period)).closesAt) {
      // Too late: the period closed to claims without these CDRs; they can never be claimed.
      ctx.db.run("UPDATE host_cdrs SET status = 'rejected', reason = 'PERIOD_CLOSED' WHERE status = 'open' AND home = ? AND period = ?", home, period);
      report.alerts.push(`period ${period} closed before CDRs against ${home} were claimed`);
      continue;
    }
    if (!(await ctx.views.isSupplier(home))) {
      report.alerts.push(`CDRs of period ${period} wait: ${home} does not hold the supplier role`);
      continue;
    }
    const rows = ctx.db.all("SELECT digest, amount FROM host_cdrs WHERE status = 'open' AND home = ? AND period = ? ORDER BY digest", home, period)
      .map((r) => ({ digest: String(r.digest), amount: BigInt(String(r.amount)) }));
    for (let i = 0; i < rows.length; i += maxCdrsPerClaim) {
      const chunk = rows.slice(i, i + maxCdrsPerClaim);
      const root = buildCdrTree(chunk).root.toLowerCase();
      const amount = chunk.reduce((sum, c) => sum + c.amount, 0n);
      ctx.db.transaction(() => {
        const now = ctx.now();
        ctx.db.run(
          `INSERT INTO outgoing_claims (cdr_root, debtor, period, amount, cdr_count, stage, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'built', ?, ?)`,
          root, home, period, amount.toString(), chunk.length, now, now,
        );
        for (const c of chunk) ctx.db.run("UPDATE host_cdrs SET status = 'claimed', claim_root = ? WHERE digest = ?", root, c.digest);
      });
      report.claimsBuilt.push(root);
      ctx.log("info", "claim built", { period, debtor: home, cdrRoot: root, cdrs: chunk.length, amount: amount.toString() });
    }
  }
}
