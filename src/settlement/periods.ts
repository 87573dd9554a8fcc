/**
 * Period close and pull payments. A period in which this supplier has claims is netted once it
 * ended `nettingDelaySeconds` ago, every claim of the period (anyone's) is final, and no claim
 * against this supplier in it is unverifiable; the key `net:<period>:<claimCount>` changes when a
 * claim arrives meanwhile. What is available above the reserve is withdrawn when it reaches the
 * threshold, one withdrawal at a time (`withdraw:<seq>`).
 */
import { settlementIface } from "./contracts.js";
import { periodEnd } from "./cdrTree.js";
import type { BotContext, TickReport } from "./context.js";

const TERMINAL = new Set(["final", "done", "dead"]);

/** Id of the `index`-th claim of `period` (as `claimIdOf`). */
export function claimIdOf(period: number, index: number): bigint {
  return (BigInt(period) << 32n) | BigInt(index);
}

/** Enqueues `netPeriod` for each period of ours whose claims are all final. */
export async function closePeriods(ctx: BotContext, chainTime: number, report: TickReport): Promise<void> {
  const periods = ctx.db.all("SELECT DISTINCT period FROM chain_claims WHERE period NOT IN (SELECT period FROM chain_periods) ORDER BY period")
    .map((r) => Number(r.period))
    .filter((p) => chainTime >= periodEnd(p, ctx.config.periodSeconds) + ctx.config.nettingDelaySeconds);
  for (const period of periods) {
    const unverified = ctx.db.get(
      `SELECT c.claim_id FROM chain_claims c JOIN decisions d ON d.claim_id = c.claim_id
       WHERE c.period = ? AND c.debtor = ? AND d.verdict = 'unverifiable'`, period, ctx.account,
    );
    if (unverified) {
      report.alerts.push(`period ${period} is not netted by this bot: claim ${String(unverified.claim_id)} against it could not be verified`);
      continue;
    }
    const info = await ctx.views.periodOf(period);
    if (info.nettedAt !== 0 || info.claimCount === 0) continue;
    const key = `net:${period}:${info.claimCount}`;
    if (ctx.outbox.get(key)) continue;
    let allFinal = true;
    for (let i = 0; i < info.claimCount && allFinal; i++) allFinal = await ctx.views.isFinal(claimIdOf(period, i));
    if (!allFinal) continue;
    const data = settlementIface.encodeFunctionData("netPeriod", [period]);
    ctx.db.transaction(() => {
      ctx.outbox.enqueue({ key, label: `net period ${period}`, to: ctx.settlement, data });
      ctx.db.run("INSERT OR IGNORE INTO nettings (key, period, claim_count, created_at) VALUES (?, ?, ?, ?)", key, period, info.claimCount, ctx.now());
    });
    report.nettingsSent.push(period);
    ctx.log("info", "period netting sent", { period, claims: info.claimCount });
  }
}

/** Withdraws `available - reserve` when it reaches the threshold and no withdrawal is in flight. */
export async function withdrawAvailable(ctx: BotContext, report: TickReport): Promise<void> {
  const policy = ctx.config.withdraw;
  if (!policy) return;
  const last = ctx.db.get("SELECT seq, key FROM withdrawals ORDER BY seq DESC LIMIT 1");
  if (last) {
    const intent = ctx.outbox.get(String(last.key));
    if (intent && !TERMINAL.has(intent.status)) return;
    if (intent?.status === "dead") report.alerts.push(`withdrawal ${String(last.key)} was given up: ${intent.lastError ?? "no reason"}`);
  }
  const available = await ctx.views.availableOf(ctx.account);
  const amount = available - policy.reserve;
  if (amount <= 0n || amount < policy.threshold) return;
  const seq = Number(last?.seq ?? 0) + 1;
  const key = `withdraw:${seq}`;
  const data = settlementIface.encodeFunctionData("withdraw", [amount]);
  ctx.db.transaction(() => {
    ctx.outbox.enqueue({ key, label: `withdraw ${amount}`, to: ctx.settlement, data });
    ctx.db.run("INSERT INTO withdrawals (seq, key, amount, created_at) VALUES (?, ?, ?, ?)", seq, key, amount.toString(), ctx.now());
  });
  report.withdrawalsSent.push(amount.toString());
  ctx.log("info", "withdrawal sent", { amount: amount.toString() });
}
