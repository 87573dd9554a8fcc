/**
 * The settlement bot's own tables in its database (component `settlement`), beside the outbox's
 * and the event reader's. Rows derived from chain events carry their block number so a reorg can
 * undo them; the bot's decisions and built claims are never rolled back (idempotency keys make
 * replaying them harmless).
 */
import type { BotDatabase } from "../chain/db.js";
import { SettlementError } from "./errors.js";

export const SETTLEMENT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE settlement_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
   CREATE TABLE host_cdrs (digest TEXT PRIMARY KEY, home TEXT NOT NULL, period INTEGER NOT NULL,
     amount TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'rejected')),
     reason TEXT, claim_root TEXT, imported_at INTEGER NOT NULL) STRICT;
   CREATE INDEX host_cdrs_by_status ON host_cdrs (status, home, period);
   CREATE TABLE outgoing_claims (cdr_root TEXT PRIMARY KEY, debtor TEXT NOT NULL, period INTEGER NOT NULL,
     amount TEXT NOT NULL, cdr_count INTEGER NOT NULL,
     stage TEXT NOT NULL CHECK (stage IN ('built', 'anchoring', 'anchored', 'submitting', 'submitted', 'late')),
     evidence_root TEXT, anchor_key TEXT, claim_key TEXT, note TEXT,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
   CREATE TABLE chain_claims (claim_id TEXT PRIMARY KEY, period INTEGER NOT NULL, creditor TEXT NOT NULL,
     debtor TEXT NOT NULL, amount TEXT NOT NULL, cdr_root TEXT NOT NULL, cdr_count INTEGER NOT NULL,
     evidence_root TEXT NOT NULL, deadline INTEGER NOT NULL, block_number INTEGER NOT NULL,
     accepted_block INTEGER) STRICT;
   CREATE INDEX chain_claims_by_root ON chain_claims (creditor, cdr_root);
   CREATE TABLE chain_disputes (dispute_id TEXT PRIMARY KEY, claim_id TEXT NOT NULL, cdr_digest TEXT NOT NULL,
     amount TEXT NOT NULL, reason TEXT NOT NULL, block_number INTEGER NOT NULL,
     upheld INTEGER, resolved_block INTEGER) STRICT;
   CREATE TABLE chain_periods (period INTEGER PRIMARY KEY, block_number INTEGER NOT NULL) STRICT;
   CREATE TABLE decisions (claim_id TEXT PRIMARY KEY, cdr_root TEXT NOT NULL,
     verdict TEXT NOT NULL CHECK (verdict IN ('accept', 'dispute', 'unverifiable', 'expired')),
     reason TEXT, cdr_digest TEXT, amount TEXT, proof TEXT, failures TEXT, action_key TEXT,
     decided_at INTEGER NOT NULL) STRICT;
   CREATE TABLE received_cdrs (digest TEXT PRIMARY KEY, cdr_id TEXT NOT NULL, claim_id TEXT NOT NULL) STRICT;
   CREATE INDEX received_cdrs_by_id ON received_cdrs (cdr_id);
   CREATE TABLE nettings (key TEXT PRIMARY KEY, period INTEGER NOT NULL, claim_count INTEGER NOT NULL,
     created_at INTEGER NOT NULL) STRICT;
   CREATE TABLE withdrawals (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, amount TEXT NOT NULL,
     created_at INTEGER NOT NULL) STRICT;`,
  // 2: claims commit to their package's hash and can be disputed as a whole (verdict 'claim-dispute').
  `ALTER TABLE chain_claims ADD COLUMN package_hash TEXT;
   CREATE TABLE chain_claim_disputes (dispute_id TEXT PRIMARY KEY, claim_id TEXT NOT NULL, reason TEXT NOT NULL,
     block_number INTEGER NOT NULL, upheld INTEGER, resolved_block INTEGER) STRICT;
   CREATE TABLE decisions_next (claim_id TEXT PRIMARY KEY, cdr_root TEXT NOT NULL,
     verdict TEXT NOT NULL CHECK (verdict IN ('accept', 'dispute', 'claim-dispute', 'unverifiable', 'expired')),
     reason TEXT, cdr_digest TEXT, amount TEXT, proof TEXT, failures TEXT, action_key TEXT,
     decided_at INTEGER NOT NULL) STRICT;
   INSERT INTO decisions_next SELECT * FROM decisions;
   DROP TABLE decisions;
   ALTER TABLE decisions_next RENAME TO decisions;`,
  // 3: claims are netted per pair of suppliers and period.
  `CREATE TABLE chain_pairs (period INTEGER NOT NULL, creditor TEXT NOT NULL, debtor TEXT NOT NULL,
     block_number INTEGER NOT NULL, PRIMARY KEY (period, creditor, debtor)) STRICT;`,
  // 4: what a netting left owed, for its recovery; the never-used table of periods goes.
  `ALTER TABLE chain_pairs ADD COLUMN shortfall TEXT NOT NULL DEFAULT '0';
   DROP TABLE chain_periods;`,
  // 5: when the pair's second netter first saw a pair ready to net (its own delay counts from there).
  `CREATE TABLE netting_waits (period INTEGER NOT NULL, other TEXT NOT NULL, seen_at INTEGER NOT NULL,
     seen_block INTEGER NOT NULL, PRIMARY KEY (period, other)) STRICT;`,
];

export interface BotIdentity {
  account: string;
  chainId: bigint;
  settlement: string;
}

/** Migrates, then binds the database to one account, chain and settlement contract (checked on every start). */
export function openBotTables(db: BotDatabase, id: BotIdentity): void {
  db.migrate("settlement", SETTLEMENT_MIGRATIONS);
  const wanted: Record<string, string> = { account: id.account, chain_id: id.chainId.toString(), settlement: id.settlement };
  db.transaction(() => {
    for (const [key, value] of Object.entries(wanted)) {
      const row = db.get("SELECT value FROM settlement_meta WHERE key = ?", key);
      if (!row) db.run("INSERT INTO settlement_meta (key, value) VALUES (?, ?)", key, value);
      else if (String(row.value) !== value) {
        throw new SettlementError("STATE", `the bot database belongs to another ${key.replace("_", " ")}`, { key, stored: String(row.value), configured: value });
      }
    }
  });
}

export function getMeta(db: BotDatabase, key: string): string | null {
  const row = db.get("SELECT value FROM settlement_meta WHERE key = ?", key);
  return row ? String(row.value) : null;
}

export function setMeta(db: BotDatabase, key: string, value: string): void {
  db.run("INSERT INTO settlement_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
}
