/**
 * Netting and pull payments. Claims are netted per pair of suppliers and period. A pair of ours is
 * netted once its period ended `nettingDelaySeconds` ago and closed to claims, every claim of the
 * pair is final, and no claim against this supplier in it is unverifiable. One netter per pair: the
 * bot that receives (or, when nothing is owed, the one with the lower address) nets it at once; the
 * other bot records when it first saw the pair ready (chain time and block, `netting_waits`) and
 * nets only if the pair is still not netted `nettingDelaySeconds` and `confirmations` blocks after
 * that sighting. Counting from its own sighting, not from the period's close, is what keeps two live
 * bots from racing when the chain clock jumps past every delay at once, while a pair whose netter
 * is down still gets netted. The key `net:<period>:<other>:<claims>` changes when a claim arrives
 * meanwhile. What is available above the reserve is withdrawn in two steps: a request
 * (`withdraw-request:<seq>`), then, once the contract's notice has run out, the withdrawal of what is
 * still available within the request (`withdraw:<seq>`), one at a time.
 */
import { getAddress } from "ethers";
import { PAIR_NOT_NETTED } from "./chainEvents.js";
import { settlementIface } from "./contracts.js";
import { periodEnd } from "./cdrTree.js";
import type { BotContext, TickReport } from "./context.js";

const TERMINAL = new Set(["final", "done", "dead"]);

/** Id of the `index`-th claim of `period` (as `claimIdOf`). */
export function claimIdOf(period: number, index: number): bigint {
  return (BigInt(period) << 32n) | BigInt(index);
}

/** The latest block as a tick sees it. */
export interface ChainHead {
  time: number;
  block: number;
}

/**
 * Whether this bot, the pair's second netter, may net it now: `nettingDelaySeconds` of chain time
 * and `confirmations` blocks after it first saw the pair ready (the first call records the sighting).
 */
function fallbackDue(ctx: BotContext, period: number, other: string, head: ChainHead): boolean {
  const seen = ctx.db.get("SELECT seen_at, seen_block FROM netting_waits WHERE period = ? AND other = ?", period, other);
  if (!seen) {
    ctx.db.run("INSERT INTO netting_waits (period, other, seen_at, seen_block) VALUES (?, ?, ?, ?)", period, other, head.time, head.block);
    return false;
  }
  return head.time > Number(seen.seen_at) + ctx.config.nettingDelaySeconds && head.block >= Number(seen.seen_block) + ctx.config.confirmations;
}

/** Enqueues `netPair` for each pair of ours whose claims are all final and that this bot is to net. */
export async function closePeriods(ctx: BotContext, head: ChainHead, report: TickReport): Promise<void> {
  const chainTime = head.time;
  const me = ctx.account;
  const pairs = ctx.db.all(
    `SELECT DISTINCT c.period AS period, CASE WHEN c.creditor = ? THEN c.debtor ELSE c.creditor END AS other
       FROM chain_claims c WHERE ${PAIR_NOT_NETTED} ORDER BY period, other`, me,
  )
    .map((r) => ({ period: Number(r.period), other: getAddress(String(r.other)) }))
    .filter((p) => chainTime >= periodEnd(p.period, ctx.config.periodSeconds) + ctx.config.nettingDelaySeconds);
  for (const { period, other } of pairs) {
    const unverified = ctx.db.get(
      `SELECT c.claim_id FROM chain_claims c JOIN decisions d ON d.claim_id = c.claim_id
       WHERE c.period = ? AND c.debtor = ? AND c.creditor = ? AND d.verdict = 'unverifiable'`, period, me, other,
    );
    if (unverified) {
      report.alerts.push(`period ${period} with ${other} is not netted by this bot: claim ${String(unverified.claim_id)} against it could not be verified`);
      continue;
    }
    const { closesAt } = await ctx.views.periodOf(period);
    if (chainTime <= closesAt) continue;
    const pair = await ctx.views.pairOf(period, me, other);
    if (pair.nettedAt !== 0 || pair.claims === 0) continue;
    const key = `net:${period}:${other}:${pair.claims}`;
    if (ctx.outbox.get(key)) continue;
    const ids = ctx.db.all(
      "SELECT claim_id FROM chain_claims WHERE period = ? AND ((creditor = ? AND debtor = ?) OR (creditor = ? AND debtor = ?))",
      period, me, other, other, me,
    ).map((r) => BigInt(String(r.claim_id)));
    if (ids.length < pair.claims) continue; // not every claim of the pair has been read from the chain yet
    let allFinal = true;
    for (const id of ids) if (allFinal) allFinal = await ctx.views.isFinal(id);
    if (!allFinal) continue;
    // One netter per pair: the one that receives, or the lower address when nothing is owed; the
    // other one only after its own delay from when it saw the pair ready.
    const first = pair.aFromB > pair.bFromA || (pair.aFromB === pair.bFromA && me.toLowerCase() < other.toLowerCase());
    if (!first && !fallbackDue(ctx, period, other, head)) continue;
    const data = settlementIface.encodeFunctionData("netPair", [period, me, other]);
    ctx.db.transaction(() => {
      ctx.outbox.enqueue({ key, label: `net period ${period} with ${other}`, to: ctx.settlement, data });
      ctx.db.run("INSERT OR IGNORE INTO nettings (key, period, claim_count, created_at) VALUES (?, ?, ?, ?)", key, period, pair.claims, ctx.now());
    });
    report.nettingsSent.push(period);
    ctx.log("info", "pair netting sent", { period, other, claims: pair.claims });
  }
}

/**
 * For each pair netted short towards this supplier: once the debtor has free collateral again, sends
 * `recoverShortfall` under `recover:<period>:<debtor>:<still owed>` (the key changes with each partial
 * recovery). A shortfall found paid on-chain is forgotten.
 */
export async function recoverShortfalls(ctx: BotContext, report: TickReport): Promise<void> {
  const owed = ctx.db.all("SELECT period, debtor FROM chain_pairs WHERE creditor = ? AND shortfall != '0' ORDER BY period, debtor", ctx.account)
    .map((r) => ({ period: Number(r.period), debtor: getAddress(String(r.debtor)) }));
  for (const { period, debtor } of owed) {
    const left = await ctx.views.shortfallOf(period, debtor, ctx.account);
    if (left === 0n) {
      ctx.db.run("UPDATE chain_pairs SET shortfall = '0' WHERE period = ? AND creditor = ? AND debtor = ?", period, ctx.account, debtor);
      continue;
    }
    const key = `recover:${period}:${debtor}:${left}`;
    if (ctx.outbox.get(key) || (await ctx.views.freeOf(debtor)) === 0n) continue;
    const data = settlementIface.encodeFunctionData("recoverShortfall", [period, debtor, ctx.account]);
    ctx.outbox.enqueue({ key, label: `recover the shortfall of ${debtor} in period ${period} (${left} owed)`, to: ctx.settlement, data });
    report.recoveriesSent.push(`${period}:${debtor}`);
    ctx.log("info", "shortfall recovery sent", { period, debtor, owed: left.toString() });
  }
}

/**
 * Requests, then withdraws, `available - reserve` when it reaches the threshold and no request or
 * withdrawal of ours is in flight.
 */
export async function withdrawAvailable(ctx: BotContext, chainTime: number, report: TickReport): Promise<void> {
  const policy = ctx.config.withdraw;
  if (!policy) return;
  const last = ctx.db.get("SELECT seq, key FROM withdrawals ORDER BY seq DESC LIMIT 1");
  if (last) {
    const intent = ctx.outbox.get(String(last.key));
    if (intent && !TERMINAL.has(intent.status)) return;
    if (intent?.status === "dead") report.alerts.push(`withdrawal ${String(last.key)} was given up: ${intent.lastError ?? "no reason"}`);
  }
  const seq = Number(last?.seq ?? 0) + 1;
  const amount = (await ctx.views.availableOf(ctx.account)) - policy.reserve;
  if (amount <= 0n || amount < policy.threshold) return;
  const open = await ctx.views.withdrawalOf(ctx.account);
  if (open.amount === 0n) {
    // Step 1: the request, once per withdrawal.
    const requestKey = `withdraw-request:${seq}`;
    const request = ctx.outbox.get(requestKey);
    if (request?.status === "dead") report.alerts.push(`withdrawal request ${requestKey} was given up: ${request.lastError ?? "no reason"}`);
    if (request) return; // in flight, or spent without a withdrawal of ours: nothing to do until it lands
    const data = settlementIface.encodeFunctionData("requestWithdrawal", [amount]);
    ctx.outbox.enqueue({ key: requestKey, label: `request withdrawal of ${amount}`, to: ctx.settlement, data });
    ctx.log("info", "withdrawal requested", { amount: amount.toString() });
    return;
  }
  // Step 2: the withdrawal, once the notice ran out, of what is available within the request.
  if (chainTime < open.readyAt) return;
  const take = amount < open.amount ? amount : open.amount;
  const key = `withdraw:${seq}`;
  const data = settlementIface.encodeFunctionData("withdraw", [take]);
  ctx.db.transaction(() => {
    ctx.outbox.enqueue({ key, label: `withdraw ${take}`, to: ctx.settlement, data });
    ctx.db.run("INSERT INTO withdrawals (seq, key, amount, created_at) VALUES (?, ?, ?, ?)", seq, key, take.toString(), ctx.now());
  });
  report.withdrawalsSent.push(take.toString());
  ctx.log("info", "withdrawal sent", { amount: take.toString() });
}
