/**
 * The SQLite database under an evidence store: durability pragmas, immediate transactions,
 * versioned schema migrations and the store's EIP-712 domain.
 */
import { existsSync } from "node:fs";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { parseAddress } from "./codec.js";
import { EvidenceError } from "./errors.js";

/** Schema migrations: entry `i` brings the schema from version `i` to `i + 1`. Append only. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
   CREATE TABLE messages (digest TEXT PRIMARY KEY, session_id TEXT NOT NULL, seq TEXT NOT NULL,
     type TEXT NOT NULL, party TEXT NOT NULL, nonce TEXT NOT NULL, json TEXT NOT NULL,
     UNIQUE (party, nonce)) STRICT;
   CREATE INDEX messages_by_session ON messages (session_id, party, seq);
   CREATE TABLE receipts (digest TEXT PRIMARY KEY,
     nro_digest TEXT NOT NULL UNIQUE REFERENCES messages (digest), session_id TEXT NOT NULL,
     receiver TEXT NOT NULL, nonce TEXT NOT NULL, json TEXT NOT NULL, UNIQUE (receiver, nonce)) STRICT;
   CREATE INDEX receipts_by_session ON receipts (session_id);
   CREATE TABLE refusals (nro_digest TEXT PRIMARY KEY REFERENCES messages (digest),
     session_id TEXT NOT NULL, origin TEXT NOT NULL, deadline INTEGER NOT NULL, tx_hash TEXT,
     block_number INTEGER, block_time INTEGER) STRICT;
   CREATE INDEX refusals_by_session ON refusals (session_id);
   CREATE TABLE batches (root TEXT PRIMARY KEY, kind INTEGER NOT NULL, count INTEGER NOT NULL,
     sent_tx_hash TEXT, tx_hash TEXT, block_number INTEGER, block_time INTEGER, chain_id TEXT,
     ledger TEXT, submitter TEXT) STRICT;
   CREATE TABLE batch_leaves (root TEXT NOT NULL REFERENCES batches (root),
     position INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (root, position),
     UNIQUE (root, digest)) STRICT;
   CREATE INDEX batch_leaves_by_digest ON batch_leaves (digest);`,
  `CREATE TABLE certificates (digest TEXT PRIMARY KEY, pseudonym TEXT NOT NULL, json TEXT NOT NULL) STRICT;
   CREATE INDEX certificates_by_pseudonym ON certificates (pseudonym);`,
  // Each message's expiry as a column, and whether an anchored batch of kind Messages holds it:
  // the messages still to anchor, by expiry, are then one partial index (filled from the stored
  // JSON and batches for existing stores).
  `ALTER TABLE messages ADD COLUMN expires_at INTEGER;
   ALTER TABLE messages ADD COLUMN anchored INTEGER NOT NULL DEFAULT 0;
   UPDATE messages SET expires_at = CAST(json_extract(json, '$.header.expiresAt') AS INTEGER);
   UPDATE messages SET anchored = 1 WHERE digest IN
     (SELECT l.digest FROM batch_leaves l JOIN batches b USING (root) WHERE b.kind = 0 AND b.tx_hash IS NOT NULL);
   CREATE INDEX messages_unanchored_by_expiry ON messages (expires_at, digest) WHERE anchored = 0;`,
];

/** The newest schema version this code writes. */
export const STORE_SCHEMA_VERSION = MIGRATIONS.length;

export type Row = Record<string, unknown>;
export type Param = string | number | null;

export interface StoreDomain {
  chainId: bigint;
  /** The EvidenceLedger whose EIP-712 domain every stored signature uses. */
  verifyingContract: string;
}

export class SqlDatabase {
  private readonly statements = new Map<string, StatementSync>();
  private batching = false;
  private depth = 0;

  private constructor(private readonly db: DatabaseSync) {}

  /** Opens `path` in WAL mode with `synchronous=FULL` and applies pending migrations. */
  static open(path: string, create: boolean): SqlDatabase {
    if (!create && path !== ":memory:" && !existsSync(path)) {
      throw new EvidenceError("NOT_FOUND", "evidence store file does not exist", { path });
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 });
    } catch (cause) {
      throw new EvidenceError("STORE", "cannot open evidence store", { path }, cause);
    }
    const sql = new SqlDatabase(db);
    try {
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
      sql.transaction(() => migrate(sql));
      return sql;
    } catch (error) {
      db.close();
      if (error instanceof EvidenceError) throw error;
      throw new EvidenceError("STORE", "cannot open evidence store", { path }, error);
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Runs `fn` in one `BEGIN IMMEDIATE … COMMIT`, or ROLLBACK if it throws. Inside an open
   * transaction (a batch's, or an outer one) it is a savepoint: if `fn` throws, its writes are
   * undone and the outer transaction goes on without them.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) {
      const name = `w${++this.depth}`;
      this.db.exec(`SAVEPOINT ${name}`);
      try {
        const result = fn();
        this.db.exec(`RELEASE ${name}`);
        return result;
      } catch (error) {
        this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
        throw error;
      } finally {
        this.depth--;
      }
    }
    if (this.batching) {
      // The batch's transaction begins at its first write and commits when the batch ends.
      this.db.exec("BEGIN IMMEDIATE");
      return this.transaction(fn);
    }
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Runs `fn`, reads followed by at most one writing statement, all or nothing. Inside an open
   * transaction it needs no savepoint of its own: the reads change nothing, and a statement that
   * fails is undone by SQLite itself, leaving the transaction as it was. Outside one it is a
   * `transaction` (the reads and the write under one write lock).
   */
  singleWrite<T>(fn: () => T): T {
    return this.db.isTransaction ? fn() : this.transaction(fn);
  }

  /**
   * Runs `fn` (which may await) with every write to this database until it settles in one
   * transaction: committed when `fn` resolves, rolled back when it rejects, so the batch lands
   * whole or not at all (a crash before the commit loses the whole batch, never part of it).
   * Nested batches join the outer one. Reads inside see the batch's own writes.
   */
  async batch<T>(fn: () => Promise<T>): Promise<T> {
    if (this.batching) return fn();
    this.batching = true;
    try {
      const result = await fn();
      if (this.db.isTransaction) this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    } finally {
      this.batching = false;
    }
  }

  private statement(sql: string): StatementSync {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  get(sql: string, ...params: Param[]): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }

  all(sql: string, ...params: Param[]): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  run(sql: string, ...params: Param[]): void {
    this.statement(sql).run(...params);
  }

  /** The store's domain: written on first open, checked against `wanted` afterwards. */
  domain(wanted: StoreDomain | undefined): StoreDomain {
    return this.transaction(() => {
      const meta = new Map(this.all("SELECT key, value FROM meta").map((r) => [String(r.key), String(r.value)]));
      const chainId = meta.get("chain_id");
      const ledger = meta.get("ledger");
      if (chainId === undefined || ledger === undefined) {
        if (!wanted) throw new EvidenceError("STORE", "a new evidence store needs its domain (chain id and ledger)");
        const domain = {
          chainId: BigInt(wanted.chainId),
          verifyingContract: parseAddress(wanted.verifyingContract, "ledger"),
        };
        this.run(
          "INSERT INTO meta (key, value) VALUES ('chain_id', ?), ('ledger', ?)",
          domain.chainId.toString(),
          domain.verifyingContract,
        );
        return domain;
      }
      const stored = { chainId: BigInt(chainId), verifyingContract: ledger };
      if (
        wanted &&
        (BigInt(wanted.chainId) !== stored.chainId || parseAddress(wanted.verifyingContract, "ledger") !== ledger)
      ) {
        throw new EvidenceError("STORE", "evidence store belongs to another chain or ledger", { chainId, ledger });
      }
      return stored;
    });
  }
}

/** Applies pending migrations inside the caller's transaction; refuses a newer schema. */
function migrate(sql: SqlDatabase): void {
  sql.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT");
  const current = Number(sql.get("SELECT max(version) AS v FROM schema_version")?.v ?? 0);
  if (current > MIGRATIONS.length) {
    throw new EvidenceError("STORE", "evidence store has a newer schema than this software", { version: current });
  }
  for (let v = current + 1; v <= MIGRATIONS.length; v++) {
    const statements = MIGRATIONS[v - 1]!.split(";").map((s) => s.trim());
    for (const stmt of statements.filter(Boolean)) sql.run(stmt);
    sql.run("INSERT INTO schema_version (version) VALUES (?)", v);
  }
}
