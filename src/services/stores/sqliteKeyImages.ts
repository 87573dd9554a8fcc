/**
 * The key-image store of a LAG on one machine: an embedded SQLite database (Node's built-in
 * `node:sqlite`) in WAL mode with full synchronous commits, shared by every process of one LAG
 * id that opens the same file. The primary key (scope, image) is the unique constraint: a claim
 * is one INSERT … ON CONFLICT DO NOTHING, committed before it returns, so a restarted process or
 * a second one refuses an image already claimed, whoever claimed it.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Scope } from "../../crypto/index.js";
import { ProtocolError, scopeKeyOf, type SyncKeyImageStore } from "../../protocol/index.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS key_images (
  scope BLOB NOT NULL,
  epoch INTEGER NOT NULL,
  image BLOB NOT NULL,
  PRIMARY KEY (scope, image)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS key_images_by_epoch ON key_images (epoch);
`;

/** Options of the SQLite store. */
export interface SqliteKeyImageOptions {
  /** How long a writer waits for another process's lock (ms). */
  readonly busyTimeoutMs?: number;
}

/** Key images in an SQLite file. */
export class SqliteKeyImageStore implements SyncKeyImageStore {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly prune: StatementSync;
  private closed = false;

  constructor(
    readonly path: string,
    options: SqliteKeyImageOptions = {},
  ) {
    try {
      this.db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5_000 });
      this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
      this.db.exec(SCHEMA);
      this.insert = this.db.prepare("INSERT INTO key_images (scope, epoch, image) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
      this.prune = this.db.prepare("DELETE FROM key_images WHERE epoch < ?");
    } catch (cause) {
      throw new ProtocolError("UNAVAILABLE", "the key-image database cannot be opened", { details: { path }, cause });
    }
  }

  claimNow(scope: Scope, image: Uint8Array): boolean {
    const result = this.run(() => this.insert.run(scopeKeyOf(scope), BigInt(scope.epoch), image));
    return Number(result.changes) === 1;
  }

  forgetBeforeNow(epoch: bigint): void {
    this.run(() => this.prune.run(epoch));
  }

  async claim(scope: Scope, image: Uint8Array): Promise<boolean> {
    return this.claimNow(scope, image);
  }

  async forgetBefore(epoch: bigint): Promise<void> {
    this.forgetBeforeNow(epoch);
  }

  /** Number of images held (for metrics and tests). */
  count(): number {
    const row = this.run(() => this.db.prepare("SELECT COUNT(*) AS n FROM key_images").get()) as { n: number | bigint };
    return Number(row.n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private run<T>(fn: () => T): T {
    if (this.closed) throw new ProtocolError("UNAVAILABLE", "the key-image store is closed");
    try {
      return fn();
    } catch (cause) {
      throw new ProtocolError("UNAVAILABLE", "the key-image database did not answer", { details: { path: this.path }, cause });
    }
  }
}
