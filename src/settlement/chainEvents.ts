/**
 * What the bot learns from the settlement contract's events, read by the EventReader (each log
 * once, only past `confirmations`, inside the transaction that moves the cursor): the claims of
 * which this supplier is creditor or debtor, their acceptances, CDR and claim-level disputes and
 * rulings, netted pairs.
 * After a reorg, `rollback` removes what blocks ≥ `fromBlock` had told.
 */
import { getAddress } from "ethers";
import type { BotDatabase } from "../chain/db.js";
import type { ChainEvent } from "../chain/events.js";

export const WATCHED_EVENTS = [
  "ClaimSubmitted", "ClaimAccepted", "CdrDisputed", "DisputeResolved", "ClaimDisputed", "ClaimDisputeResolved", "PairNetted",
] as const;

const str = (v: unknown): string => String(v);

/** SQL condition on a `chain_claims c` row: its pair of suppliers is not netted in its period yet. */
export const PAIR_NOT_NETTED = `NOT EXISTS (SELECT 1 FROM chain_pairs p WHERE p.period = c.period
  AND ((p.creditor = c.creditor AND p.debtor = c.debtor) OR (p.creditor = c.debtor AND p.debtor = c.creditor)))`;

/** The EventReader's `onEvent` for `account`. */
export function recordEvent(account: string, event: ChainEvent, db: BotDatabase): void {
  const n = event.named;
  switch (event.name) {
    case "ClaimSubmitted": {
      const creditor = getAddress(str(n.creditor));
      const debtor = getAddress(str(n.debtor));
      if (creditor !== account && debtor !== account) return;
      db.run(
        `INSERT OR REPLACE INTO chain_claims (claim_id, period, creditor, debtor, amount, cdr_root, cdr_count, evidence_root,
           package_hash, deadline, block_number, accepted_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
        str(n.claimId), Number(n.period), creditor, debtor, str(n.amount), str(n.cdrRoot).toLowerCase(), Number(n.cdrCount),
        str(n.evidenceRoot).toLowerCase(), str(n.packageHash).toLowerCase(), Number(n.challengeDeadline), event.blockNumber,
      );
      return;
    }
    case "ClaimAccepted":
      db.run("UPDATE chain_claims SET accepted_block = ? WHERE claim_id = ?", event.blockNumber, str(n.claimId));
      return;
    case "CdrDisputed":
      if (!db.get("SELECT 1 FROM chain_claims WHERE claim_id = ?", str(n.claimId))) return;
      db.run(
        `INSERT OR REPLACE INTO chain_disputes (dispute_id, claim_id, cdr_digest, amount, reason, block_number, upheld, resolved_block)
         VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`,
        str(n.disputeId), str(n.claimId), str(n.cdrDigest).toLowerCase(), str(n.amount), str(n.reason), event.blockNumber,
      );
      return;
    case "DisputeResolved":
      db.run("UPDATE chain_disputes SET upheld = ?, resolved_block = ? WHERE dispute_id = ?", n.upheld === true ? 1 : 0, event.blockNumber, str(n.disputeId));
      return;
    case "ClaimDisputed":
      if (!db.get("SELECT 1 FROM chain_claims WHERE claim_id = ?", str(n.claimId))) return;
      db.run(
        `INSERT OR REPLACE INTO chain_claim_disputes (dispute_id, claim_id, reason, block_number, upheld, resolved_block)
         VALUES (?, ?, ?, ?, NULL, NULL)`,
        str(n.disputeId), str(n.claimId), str(n.reason), event.blockNumber,
      );
      return;
    case "ClaimDisputeResolved":
      db.run("UPDATE chain_claim_disputes SET upheld = ?, resolved_block = ? WHERE dispute_id = ?", n.upheld === true ? 1 : 0, event.blockNumber, str(n.disputeId));
      return;
    case "PairNetted": {
      const creditor = getAddress(str(n.creditor));
      const debtor = getAddress(str(n.debtor));
      if (creditor !== account && debtor !== account) return;
      db.run(
        "INSERT OR REPLACE INTO chain_pairs (period, creditor, debtor, block_number, shortfall) VALUES (?, ?, ?, ?, ?)",
        Number(n.period), creditor, debtor, event.blockNumber, str(n.shortfall),
      );
      return;
    }
    default:
      return;
  }
}

/** The EventReader's `onRollback`: forget what blocks ≥ `fromBlock` said. */
export function rollbackEvents(fromBlock: number, db: BotDatabase): void {
  db.run("DELETE FROM chain_claims WHERE block_number >= ?", fromBlock);
  db.run("UPDATE chain_claims SET accepted_block = NULL WHERE accepted_block >= ?", fromBlock);
  db.run("DELETE FROM chain_disputes WHERE block_number >= ?", fromBlock);
  db.run("UPDATE chain_disputes SET upheld = NULL, resolved_block = NULL WHERE resolved_block >= ?", fromBlock);
  db.run("DELETE FROM chain_claim_disputes WHERE block_number >= ?", fromBlock);
  db.run("UPDATE chain_claim_disputes SET upheld = NULL, resolved_block = NULL WHERE resolved_block >= ?", fromBlock);
  db.run("DELETE FROM chain_pairs WHERE block_number >= ?", fromBlock);
}
