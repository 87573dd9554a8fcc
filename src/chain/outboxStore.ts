/**
 * The outbox tables: intents with their status, the account's next nonce, every signed
 * transaction (all versions of a nonce), and the log of status transitions. Synchronous; the
 * outbox calls these inside its database transactions.
 */
import type { BotDatabase, Param, Row } from "./db.js";
import { ChainError } from "./errors.js";
import { feesFromJson, type Fees } from "./fees.js";
import type { DecodedRevert } from "./decode.js";

/** Migrations of the `outbox` component: entry `i` takes the schema from version `i` to `i + 1`. */
export const OUTBOX_MIGRATIONS: readonly string[] = [
  `CREATE TABLE outbox_accounts (account TEXT PRIMARY KEY, chain_id TEXT NOT NULL,
     next_nonce INTEGER NOT NULL CHECK (next_nonce >= 0), initialised_at INTEGER NOT NULL) STRICT;
   CREATE TABLE outbox_intents (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
     label TEXT NOT NULL, account TEXT NOT NULL, chain_id TEXT NOT NULL, to_address TEXT NOT NULL,
     data TEXT NOT NULL, value TEXT NOT NULL, gas_limit TEXT,
     status TEXT NOT NULL CHECK (status IN ('queued', 'signed', 'sent', 'mined', 'final', 'dead', 'done')),
     nonce INTEGER, tx_hash TEXT, raw_tx TEXT, fees TEXT, cancelling INTEGER NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0, mined_hash TEXT, block_number INTEGER, block_hash TEXT,
     confirmations INTEGER NOT NULL DEFAULT 0,
     receipt TEXT, revert TEXT, last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     signed_at INTEGER, sent_at INTEGER, broadcast_at INTEGER, mined_at INTEGER, finished_at INTEGER,
     UNIQUE (account, chain_id, nonce)) STRICT;
   CREATE INDEX outbox_intents_by_status ON outbox_intents (account, status, nonce);
   CREATE TABLE outbox_txs (hash TEXT PRIMARY KEY, intent_id INTEGER NOT NULL REFERENCES outbox_intents (id),
     nonce INTEGER NOT NULL, raw_tx TEXT NOT NULL, fees TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('call', 'cancel')), created_at INTEGER NOT NULL) STRICT;
   CREATE INDEX outbox_txs_by_intent ON outbox_txs (intent_id, nonce);
   CREATE TABLE outbox_transitions (id INTEGER PRIMARY KEY AUTOINCREMENT,
     intent_id INTEGER NOT NULL REFERENCES outbox_intents (id), from_status TEXT, to_status TEXT NOT NULL,
     at INTEGER NOT NULL, note TEXT) STRICT;
   CREATE INDEX outbox_transitions_by_intent ON outbox_transitions (intent_id, id);`,
];

export type IntentStatus = "queued" | "signed" | "sent" | "mined" | "final" | "dead" | "done";
export const TERMINAL: readonly IntentStatus[] = ["final", "dead", "done"];

/** The receipt fields kept with a mined intent (integers as decimal strings). */
export interface StoredReceipt {
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  status: 0 | 1;
  gasUsed: string;
  logs: { address: string; logIndex: number; topics: string[]; data: string }[];
}

export interface NewIntent {
  key: string;
  label: string;
  account: string;
  chainId: bigint;
  to: string;
  data: string;
  value: bigint;
  gasLimit: bigint | null;
}

/** An intent as stored, with its progress through the state machine. */
export interface IntentRecord extends NewIntent {
  id: number;
  status: IntentStatus;
  nonce: number | null;
  txHash: string | null;
  rawTx: string | null;
  fees: Fees | null;
  /** The current signed transaction is a cancel (a 0-value self-transfer filling the nonce). */
  cancelling: boolean;
  /** Retries so far: rejected sends, rebroadcasts, fee replacements. */
  attempts: number;
  minedHash: string | null;
  blockNumber: number | null;
  blockHash: string | null;
  /** Blocks on top of (and including) the one holding the transaction, at the last poll. */
  confirmations: number;
  receipt: StoredReceipt | null;
  revert: DecodedRevert | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  signedAt: number | null;
  sentAt: number | null;
  broadcastAt: number | null;
  minedAt: number | null;
  finishedAt: number | null;
}

export interface Transition {
  from: IntentStatus | null;
  to: IntentStatus;
  at: number;
  note: string | null;
}

type Column =
  | "gas_limit" | "nonce" | "tx_hash" | "raw_tx" | "fees" | "cancelling" | "attempts" | "mined_hash"
  | "block_number" | "block_hash" | "confirmations" | "receipt" | "revert" | "last_error" | "signed_at" | "sent_at"
  | "broadcast_at" | "mined_at" | "finished_at";
export type Changes = Partial<Record<Column, Param>>;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

function toRecord(r: Row): IntentRecord {
  return {
    id: Number(r.id),
    key: String(r.key),
    label: String(r.label),
    account: String(r.account),
    chainId: BigInt(String(r.chain_id)),
    to: String(r.to_address),
    data: String(r.data),
    value: BigInt(String(r.value)),
    gasLimit: r.gas_limit === null ? null : BigInt(String(r.gas_limit)),
    status: String(r.status) as IntentStatus,
    nonce: num(r.nonce),
    txHash: str(r.tx_hash),
    rawTx: str(r.raw_tx),
    fees: r.fees === null ? null : feesFromJson(String(r.fees)),
    cancelling: Number(r.cancelling) === 1,
    attempts: Number(r.attempts),
    minedHash: str(r.mined_hash),
    blockNumber: num(r.block_number),
    blockHash: str(r.block_hash),
    confirmations: Number(r.confirmations),
    receipt: r.receipt === null ? null : (JSON.parse(String(r.receipt)) as StoredReceipt),
    revert: r.revert === null ? null : (JSON.parse(String(r.revert)) as DecodedRevert),
    lastError: str(r.last_error),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    signedAt: num(r.signed_at),
    sentAt: num(r.sent_at),
    broadcastAt: num(r.broadcast_at),
    minedAt: num(r.mined_at),
    finishedAt: num(r.finished_at),
  };
}

export function getIntent(db: BotDatabase, key: string): IntentRecord | undefined {
  const row = db.get("SELECT * FROM outbox_intents WHERE key = ?", key);
  return row ? toRecord(row) : undefined;
}

/** `row` as stored now, or undefined if it changed since it was read (another step acted on it). */
export function reload(db: BotDatabase, row: IntentRecord): IntentRecord | undefined {
  const current = getIntent(db, row.key);
  return current && current.status === row.status && current.updatedAt === row.updatedAt ? current : undefined;
}

/** Intents of `account` in `statuses`, in nonce order (then enqueue order). */
export function listIntents(db: BotDatabase, account: string, statuses: readonly IntentStatus[]): IntentRecord[] {
  const marks = statuses.map(() => "?").join(", ");
  return db
    .all(`SELECT * FROM outbox_intents WHERE account = ? AND status IN (${marks}) ORDER BY nonce, id`, account, ...statuses)
    .map(toRecord);
}

export function insertIntent(db: BotDatabase, intent: NewIntent, now: number): IntentRecord {
  const { lastInsertRowid } = db.run(
    `INSERT INTO outbox_intents (key, label, account, chain_id, to_address, data, value, gas_limit, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
    intent.key, intent.label, intent.account, intent.chainId.toString(), intent.to, intent.data,
    intent.value.toString(), intent.gasLimit === null ? null : intent.gasLimit.toString(), now, now,
  );
  db.run("INSERT INTO outbox_transitions (intent_id, from_status, to_status, at, note) VALUES (?, NULL, 'queued', ?, NULL)", lastInsertRowid, now);
  return toRecord(db.get("SELECT * FROM outbox_intents WHERE id = ?", lastInsertRowid)!);
}

/**
 * Moves `row` to `to` with `changes`, only if it is still in the status it was read in (two bots
 * on one file cannot both act on one row), and logs the transition.
 */
export function transition(db: BotDatabase, row: IntentRecord, to: IntentStatus, changes: Changes, note: string | null, now: number): void {
  const entries = Object.entries(changes) as [Column, Param][];
  const sets = ["status = ?", "updated_at = ?", ...entries.map(([c]) => `${c} = ?`)].join(", ");
  const { changes: n } = db.run(
    `UPDATE outbox_intents SET ${sets} WHERE id = ? AND status = ? AND updated_at = ?`,
    to, now, ...entries.map(([, v]) => v), row.id, row.status, row.updatedAt,
  );
  if (n !== 1) throw new ChainError("DB", "intent changed under this transition", { key: row.key, from: row.status, to });
  db.run("INSERT INTO outbox_transitions (intent_id, from_status, to_status, at, note) VALUES (?, ?, ?, ?, ?)", row.id, row.status, to, now, note);
}

export function transitionsOf(db: BotDatabase, id: number): Transition[] {
  return db.all("SELECT from_status, to_status, at, note FROM outbox_transitions WHERE intent_id = ? ORDER BY id", id).map((r) => ({
    from: r.from_status === null ? null : (String(r.from_status) as IntentStatus),
    to: String(r.to_status) as IntentStatus,
    at: Number(r.at),
    note: str(r.note),
  }));
}

export function recordSignedTx(db: BotDatabase, id: number, nonce: number, tx: { hash: string; raw: string }, feesJson: string, kind: "call" | "cancel", now: number): void {
  db.run("INSERT INTO outbox_txs (hash, intent_id, nonce, raw_tx, fees, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", tx.hash, id, nonce, tx.raw, feesJson, kind, now);
}

/** Every hash signed for `row`'s current nonce, the current one first. */
export function hashesOf(db: BotDatabase, row: IntentRecord): string[] {
  if (row.nonce === null) return [];
  const all = db.all("SELECT hash FROM outbox_txs WHERE intent_id = ? AND nonce = ? ORDER BY created_at DESC, rowid DESC", row.id, row.nonce).map((r) => String(r.hash));
  return row.txHash ? [row.txHash, ...all.filter((h) => h !== row.txHash)] : all;
}

export function kindOf(db: BotDatabase, hash: string): "call" | "cancel" | undefined {
  const r = db.get("SELECT kind FROM outbox_txs WHERE hash = ?", hash);
  return r ? (String(r.kind) as "call" | "cancel") : undefined;
}

export function nextNonce(db: BotDatabase, account: string): { nonce: number; chainId: bigint } | undefined {
  const r = db.get("SELECT next_nonce, chain_id FROM outbox_accounts WHERE account = ?", account);
  return r ? { nonce: Number(r.next_nonce), chainId: BigInt(String(r.chain_id)) } : undefined;
}

export function setNextNonce(db: BotDatabase, account: string, nonce: number): void {
  db.run("UPDATE outbox_accounts SET next_nonce = ? WHERE account = ?", nonce, account);
}

export function initAccount(db: BotDatabase, account: string, chainId: bigint, nonce: number, now: number): void {
  db.run("INSERT OR IGNORE INTO outbox_accounts (account, chain_id, next_nonce, initialised_at) VALUES (?, ?, ?, ?)", account, chainId.toString(), nonce, now);
}

/** Records the confirmations seen by a poll (no status change, so no transition). */
export function setConfirmations(db: BotDatabase, id: number, confirmations: number): void {
  db.run("UPDATE outbox_intents SET confirmations = ? WHERE id = ?", confirmations, id);
}

/** The chain ids the database holds accounts or intents for (one expected). */
export function accountChains(db: BotDatabase): bigint[] {
  return db
    .all("SELECT chain_id FROM outbox_accounts UNION SELECT chain_id FROM outbox_intents")
    .map((r) => BigInt(String(r.chain_id)));
}
