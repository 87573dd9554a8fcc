/**
 * The key-image store of an aggregator that runs several LAG nodes: one PostgreSQL database
 * shared by every node of one LAG id. The primary key (scope, image) is the unique constraint;
 * a claim is one INSERT … ON CONFLICT DO NOTHING in its own transaction, committed before the
 * node sends `AuthConfirm`, so of two nodes racing one image exactly one wins.
 */
import pg from "pg";
import type { Scope } from "../../crypto/index.js";
import { ProtocolError, scopeKeyOf, type KeyImageStore } from "../../protocol/index.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS v2g_key_images (
  scope BYTEA NOT NULL,
  epoch BIGINT NOT NULL,
  image BYTEA NOT NULL,
  PRIMARY KEY (scope, image)
);
CREATE INDEX IF NOT EXISTS v2g_key_images_by_epoch ON v2g_key_images (epoch);
`;
/** Serialises schema creation between nodes starting together (an arbitrary fixed key). */
const SCHEMA_LOCK = 0x76_32_67_6b;

/** Options of the PostgreSQL store. */
export interface PostgresKeyImageOptions {
  /** Most connections of this node. */
  readonly maxConnections?: number;
  /** How long a claim may wait for a connection or the server (ms). */
  readonly timeoutMs?: number;
}

/** Key images in PostgreSQL. */
export class PostgresKeyImageStore implements KeyImageStore {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects, creates the table if missing, and returns the store. */
  static async open(connectionString: string, options: PostgresKeyImageOptions = {}): Promise<PostgresKeyImageStore> {
    const timeout = options.timeoutMs ?? 5_000;
    const pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 8,
      connectionTimeoutMillis: timeout,
      statement_timeout: timeout,
    });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    pool.on("error", () => undefined);
    try {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
        await client.query(SCHEMA);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } catch (cause) {
      await pool.end().catch(() => undefined);
      throw new ProtocolError("UNAVAILABLE", "the key-image database cannot be opened", { cause });
    }
    return new PostgresKeyImageStore(pool);
  }

  async claim(scope: Scope, image: Uint8Array): Promise<boolean> {
    const result = await this.query(
      "INSERT INTO v2g_key_images (scope, epoch, image) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      [Buffer.from(scopeKeyOf(scope)), BigInt(scope.epoch).toString(), Buffer.from(image)],
    );
    return result.rowCount === 1;
  }

  async forgetBefore(epoch: bigint): Promise<void> {
    await this.query("DELETE FROM v2g_key_images WHERE epoch < $1", [epoch.toString()]);
  }

  /** Number of images held (for metrics and tests). */
  async count(): Promise<number> {
    const result = await this.query("SELECT COUNT(*)::int AS n FROM v2g_key_images", []);
    return (result.rows[0] as { n: number }).n;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async query(text: string, values: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(text, values);
    } catch (cause) {
      throw new ProtocolError("UNAVAILABLE", "the key-image database did not answer", { cause });
    }
  }
}
