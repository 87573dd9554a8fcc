/**
 * What may differ between two reports of the same seed (docs/report.md, "Run-specific fields"):
 * the wall clock, and what the suppliers' settlement bots decide by running concurrently — the
 * order in which their claims land (hence the claim ids and the exact gas of the calls that carry
 * or store them) and the seconds at which their transactions are mined. `withoutRunSpecific`
 * blanks exactly those fields, so two same-seed reports compare equal after it and in nothing else.
 */
import type { DayReport } from "./schema.js";

/** Shown in place of a run-specific value. */
export const BLANK = "-";

/**
 * Operations whose gas (not their count) depends on the claim ids and the order the claims landed in:
 * their calldata holds claim ids, or the storage they write is the disputed claim's.
 */
export const CLAIM_ORDER_GAS = new Set(["acceptClaims", "disputeCdr", "netPair", "resolveDispute", "submitClaim"]);

/**
 * Operations whose transaction count depends on the bots' ticks: a home's bot accepts in one call
 * every claim it has verified by its tick, so claims that land in two of its ticks take two calls.
 */
export const TICK_BATCHED_COUNT = new Set(["acceptClaims"]);

/** The end of the charging day: the latest entry of the timeline outside the settlement and the escrow opening. */
export function chargingDayEnd(report: DayReport): string {
  return report.timeline.filter((e) => e.phase !== "settlement" && e.phase !== "escrow").reduce((end, e) => (e.at > end ? e.at : end), "");
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
const CLAIM_ID = /\bclaim \d+/g;

/** `report` with every run-specific field replaced by `BLANK`, and the bots' timeline entries in a canonical order. */
export function withoutRunSpecific(report: DayReport): unknown {
  const end = chargingDayEnd(report);
  const byBots = (e: DayReport["timeline"][number]) => e.phase === "settlement" && e.at > end;
  const botEntries = report.timeline
    .filter(byBots)
    .map((e) => ({ ...e, at: BLANK, text: e.text.replace(ISO_TIME, BLANK).replace(CLAIM_ID, `claim ${BLANK}`) }))
    .sort((a, b) => a.text.localeCompare(b.text));
  return {
    ...report,
    run: { ...report.run, startedAt: BLANK, wallSeconds: BLANK },
    timeline: [...report.timeline.filter((e) => !byBots(e)), ...botEntries],
    gas: report.gas.map((g) => ({
      ...g,
      ...(CLAIM_ORDER_GAS.has(g.operation) ? { total: BLANK, mean: BLANK } : {}),
      ...(TICK_BATCHED_COUNT.has(g.operation) ? { count: BLANK } : {}),
    })),
    settlement: { ...report.settlement, claims: report.settlement.claims.map((c) => ({ ...c, claimId: BLANK })) },
    dispute: {
      ...report.dispute,
      claimId: BLANK,
      evidence: report.dispute.evidence.map((e) => (e.at > end ? { ...e, at: BLANK } : e)),
    },
  };
}
