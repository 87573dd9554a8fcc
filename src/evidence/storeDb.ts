/**
 * The SQLite database under an evidence store: durability pragmas, immediate transactions,
 * versioned schema migrations and the store's EIP-712 domain.
 */
import { existsSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { parseAddress } from "./codec.js";
import { EvidenceError } from "./errors.js";

/** Schema migrations: entry `i` brings the schema from version `i` to `i + 1`. Append only. */
const MIGRATIONS: readonly string[] = [
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

  /** Runs `fn` in one `BEGIN IMMEDIATE … COMMIT`, or ROLLBACK if it throws; joins an open one. */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
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

  get(sql: string, ...params: Param[]): Row | undefined {
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  all(sql: string, ...params: Param[]): Row[] {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  run(sql: string, ...params: Param[]): void {
    this.db.prepare(sql).run(...params);
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
