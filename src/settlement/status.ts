/** A read-only summary of a bot's database: what it claimed, what it decided, what it netted and withdrew. */
import type { BotDatabase } from "../chain/db.js";
import { reasonText } from "./reasons.js";

export interface BotStatus {
  outgoing: { cdrRoot: string; debtor: string; period: number; amount: string; cdrCount: number; stage: string; claimId: string | null; note: string | null }[];
  incoming: { claimId: string; creditor: string; period: number; amount: string; verdict: string | null; reason: string | null; cdrDigest: string | null; accepted: boolean }[];
  disputes: { disputeId: string; claimId: string; cdrDigest: string; reason: string; upheld: boolean | null }[];
  /** Claim-level disputes of our claims (either side) and their rulings. */
  claimDisputes: { disputeId: string; claimId: string; reason: string; upheld: boolean | null }[];
  cdrs: { open: number; claimed: number; rejected: number };
  /** Periods in which a pair of ours was netted. */
  nettedPeriods: number[];
  withdrawals: { seq: number; key: string; amount: string }[];
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function botStatus(db: BotDatabase): BotStatus {
  const account = String(db.get("SELECT value FROM settlement_meta WHERE key = 'account'")?.value);
  const outgoing = db.all(
    `SELECT o.*, c.claim_id FROM outgoing_claims o
     LEFT JOIN chain_claims c ON c.cdr_root = o.cdr_root AND c.debtor = o.debtor AND c.creditor = ?
     ORDER BY o.created_at, o.cdr_root`, account,
  ).map((r) => ({
    cdrRoot: String(r.cdr_root), debtor: String(r.debtor), period: Number(r.period), amount: String(r.amount),
    cdrCount: Number(r.cdr_count), stage: String(r.stage), claimId: text(r.claim_id), note: text(r.note),
  }));
  const incoming = db.all(
    `SELECT c.*, d.verdict, d.reason, d.cdr_digest FROM chain_claims c LEFT JOIN decisions d ON d.claim_id = c.claim_id
     WHERE c.debtor = ? ORDER BY c.block_number, c.claim_id`, account,
  ).map((r) => ({
    claimId: String(r.claim_id), creditor: String(r.creditor), period: Number(r.period), amount: String(r.amount),
    verdict: text(r.verdict), reason: text(r.reason), cdrDigest: text(r.cdr_digest), accepted: r.accepted_block !== null,
  }));
  const disputes = db.all("SELECT * FROM chain_disputes ORDER BY block_number, dispute_id").map((r) => ({
    disputeId: String(r.dispute_id), claimId: String(r.claim_id), cdrDigest: String(r.cdr_digest), reason: reasonText(String(r.reason)),
    upheld: r.upheld === null ? null : Number(r.upheld) === 1,
  }));
  const claimDisputes = db.all("SELECT * FROM chain_claim_disputes ORDER BY block_number, dispute_id").map((r) => ({
    disputeId: String(r.dispute_id), claimId: String(r.claim_id), reason: reasonText(String(r.reason)),
    upheld: r.upheld === null ? null : Number(r.upheld) === 1,
  }));
  const counts = Object.fromEntries(db.all("SELECT status, count(*) AS n FROM host_cdrs GROUP BY status").map((r) => [String(r.status), Number(r.n)]));
  return {
    outgoing, incoming, disputes, claimDisputes,
    cdrs: { open: counts.open ?? 0, claimed: counts.claimed ?? 0, rejected: counts.rejected ?? 0 },
    nettedPeriods: db.all("SELECT DISTINCT period FROM chain_pairs ORDER BY period").map((r) => Number(r.period)),
    withdrawals: db.all("SELECT seq, key, amount FROM withdrawals ORDER BY seq").map((r) => ({ seq: Number(r.seq), key: String(r.key), amount: String(r.amount) })),
  };
}
