/**
 * The key-image store of a LAG on one machine: an embedded SQLite database (Node's built-in
 * `node:sqlite`) in WAL mode with full synchronous commits, shared by every process of one LAG
 * id that opens the same file. The primary key (scope, image) is the unique constraint: a claim
 * is one INSERT … ON CONFLICT DO NOTHING, committed before it returns, so a restarted process or
 * a second one refuses an image already claimed, whoever claimed it.
 *
 * A service's claims (`claim`) are committed in groups: the claims made in one turn of the event
 * loop are written in one transaction, committed (one fsync) before any of them resolves. The
 * durability of each claim is unchanged; a loaded LAG pays one fsync per turn instead of one per
 * authentication, and its event loop is blocked once instead of once per claim.
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

interface QueuedClaim {
  readonly scope: Uint8Array;
  readonly epoch: bigint;
  readonly image: Uint8Array;
  readonly resolve: (claimed: boolean) => void;
  readonly reject: (error: Error) => void;
}

/** Key images in an SQLite file. */
export class SqliteKeyImageStore implements SyncKeyImageStore {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly prune: StatementSync;
  private closed = false;
  /** Claims of this turn of the event loop, committed together at its end. */
  private queued: QueuedClaim[] = [];
  private commits = 0;

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

  /** Queues the claim for this turn's transaction; resolves once that transaction is committed. */
  claim(scope: Scope, image: Uint8Array): Promise<boolean> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<boolean>((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.commitQueued());
      this.queued.push({ scope: scopeKeyOf(scope), epoch: BigInt(scope.epoch), image: image.slice(), resolve, reject });
    });
  }

  /** Transactions committed for queued claims (one per turn that had any). */
  get groupCommits(): number {
    return this.commits;
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
    this.commitQueued();
    this.closed = true;
    this.db.close();
  }

  /**
   * Writes the queued claims in one transaction; each learns whether it inserted its row only
   * after COMMIT returned. If the transaction fails, nothing of it is kept and every claim in it
   * is refused with `UNAVAILABLE` (the LAG then sends no confirmation).
   */
  private commitQueued(): void {
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    let claimed: boolean[];
    try {
      claimed = this.run(() => {
        this.db.exec("BEGIN IMMEDIATE");
        try {
          const out = batch.map((c) => Number(this.insert.run(c.scope, c.epoch, c.image).changes) === 1);
          this.db.exec("COMMIT");
          return out;
        } catch (error) {
          if (this.db.isTransaction) this.db.exec("ROLLBACK");
          throw error;
        }
      });
    } catch (error) {
      for (const c of batch) c.reject(error as Error);
      return;
    }
    this.commits++;
    batch.forEach((c, i) => c.resolve(claimed[i] as boolean));
  }

  private run<T>(fn: () => T): T {
    if (this.closed) throw closedError();
    try {
      return fn();
    } catch (cause) {
      throw new ProtocolError("UNAVAILABLE", "the key-image database did not answer", { details: { path: this.path }, cause });
    }
  }
}

const closedError = (): ProtocolError => new ProtocolError("UNAVAILABLE", "the key-image store is closed");
