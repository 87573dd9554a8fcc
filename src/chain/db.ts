/**
 * The SQLite database of a bot (Node's built-in `node:sqlite`): write-ahead log, `synchronous=FULL`
 * (a COMMIT that returned is on disk), a busy timeout for a second process on the same file,
 * versioned migrations per component, and `BEGIN IMMEDIATE` transactions.
 */
import { existsSync } from "node:fs";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { ChainError } from "./errors.js";

export type Param = SQLInputValue;
export type Row = Record<string, unknown>;

export interface OpenOptions {
  /** How long a statement waits for another connection's lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** Refuse to create the file when it does not exist (default false). */
  mustExist?: boolean;
}

/** A connection to a bot's database. Every method is synchronous; no `await` runs inside a transaction. */
export class BotDatabase {
  private depth = 0;

  private constructor(
    private readonly db: DatabaseSync,
    readonly path: string,
  ) {}

  /** Opens (or creates) `path` and applies the durability settings. */
  static open(path: string, options: OpenOptions = {}): BotDatabase {
    if (options.mustExist && path !== ":memory:" && !existsSync(path)) {
      throw new ChainError("NOT_FOUND", "bot database does not exist", { path });
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: busyTimeoutMs });
    } catch (cause) {
      throw new ChainError("DB", "cannot open bot database", { path }, cause);
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      const bot = new BotDatabase(db, path);
      bot.transaction(() =>
        bot.run(`CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL,
          applied_at INTEGER NOT NULL, PRIMARY KEY (component, version)) STRICT`),
      );
      return bot;
    } catch (cause) {
      db.close();
      throw new ChainError("DB", "cannot initialise bot database", { path }, cause);
    }
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT` (the write lock is taken up front, so two bots on
   * one file serialise instead of failing at COMMIT). ROLLBACK if `fn` throws. A nested call runs
   * in a SAVEPOINT, so an inner failure caught by the caller undoes only the inner writes.
   */
  transaction<T>(fn: () => T): T {
    const level = this.depth;
    const savepoint = `sp_${level}`;
    this.db.exec(level > 0 ? `SAVEPOINT ${savepoint}` : "BEGIN IMMEDIATE");
    this.depth = level + 1;
    let result: T;
    try {
      result = fn();
      if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
        throw new ChainError("DB", "a database transaction cannot span an await: pass a synchronous function");
      }
    } catch (error) {
      this.depth = level;
      if (level > 0) {
        this.db.exec(`ROLLBACK TO ${savepoint}`);
        this.db.exec(`RELEASE ${savepoint}`);
      } else if (this.db.isTransaction) {
        this.db.exec("ROLLBACK");
      }
      throw error;
    }
    this.depth = level;
    try {
      this.db.exec(level > 0 ? `RELEASE ${savepoint}` : "COMMIT");
    } catch (error) {
      if (level === 0 && this.db.isTransaction) this.db.exec("ROLLBACK");
      throw new ChainError("DB", "commit failed", { path: this.path }, error);
    }
    return result;
  }

  /** True while a transaction of this connection is open. */
  get inTransaction(): boolean {
    return this.db.isTransaction;
  }

  get(sql: string, ...params: Param[]): Row | undefined {
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  all(sql: string, ...params: Param[]): Row[] {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  run(sql: string, ...params: Param[]): { changes: number; lastInsertRowid: number } {
    const r = this.db.prepare(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** Runs several `;`-separated statements (schema scripts). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** The schema version of `component` (0 when it has no table yet). */
  schemaVersion(component: string): number {
    const row = this.get("SELECT max(version) AS v FROM schema_migrations WHERE component = ?", component);
    return Number(row?.v ?? 0);
  }

  /**
   * Brings `component` to `migrations.length`: entry `i` takes the schema from version `i` to
   * `i + 1` (append only, never edit a released entry). All pending steps run in one transaction.
   * Refuses a database written by newer software.
   */
  migrate(component: string, migrations: readonly string[], now = Date.now()): number {
    return this.transaction(() => {
      const current = this.schemaVersion(component);
      if (current > migrations.length) {
        throw new ChainError("DB", `database has a newer ${component} schema than this software`, {
          component,
          version: current,
          supported: migrations.length,
        });
      }
      for (let v = current + 1; v <= migrations.length; v++) {
        this.exec(migrations[v - 1]!);
        this.run("INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)", component, v, now);
      }
      return migrations.length;
    });
  }

  /** `PRAGMA integrity_check`: "ok" for a sound file. */
  integrityCheck(): string {
    return this.all("PRAGMA integrity_check").map((r) => String(Object.values(r)[0])).join("\n");
  }

  /** The effective durability settings, for operators and tests. */
  settings(): { journalMode: string; synchronous: number; busyTimeoutMs: number } {
    return {
      journalMode: String(Object.values(this.get("PRAGMA journal_mode") ?? {})[0]),
      synchronous: Number(Object.values(this.get("PRAGMA synchronous") ?? {})[0]),
      busyTimeoutMs: Number(Object.values(this.get("PRAGMA busy_timeout") ?? {})[0]),
    };
  }
}
