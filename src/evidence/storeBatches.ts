/**
 * The Merkle batches of an evidence store: which digests form each batch (in tree order) and,
 * once anchored, the transaction, block, block time, chain and ledger that anchored its root.
 */
import { parseAddress, parseBytes32, parseUint } from "./codec.js";
import { EvidenceError } from "./errors.js";
import { buildBatch, proofFor, type Batch } from "./merkle.js";
import type { Row, SqlDatabase, StoreDomain } from "./storeDb.js";
import { AnchorKind, type AnchorKindName } from "./types.js";

export interface AnchorInfo {
  txHash: string;
  blockNumber: number;
  blockTime: number;
  chainId: bigint;
  ledger: string;
  /** Account that sent the anchoring transaction. */
  submitter: string;
}

export interface StoredBatch {
  root: string;
  kind: number;
  count: number;
  /** Leaf digests in tree order. */
  leaves: string[];
  /** Hash of the anchoring transaction once sent (it may not be mined yet). */
  sentTxHash: string | null;
  anchor: AnchorInfo | null;
}

const FRESH = "digest NOT IN (SELECT l.digest FROM batch_leaves l JOIN batches b USING (root) WHERE b.kind = ?)";
const SELECTORS: Partial<Record<AnchorKindName, string>> = {
  Messages: `SELECT digest FROM messages WHERE ${FRESH} ORDER BY rowid`,
  Receipts: `SELECT digest FROM receipts WHERE ${FRESH} ORDER BY rowid`,
  ChargeDetailRecords: `SELECT digest FROM messages WHERE type = 'ChargeDetailRecord' AND ${FRESH} ORDER BY rowid`,
  Bundle: `SELECT digest FROM (SELECT digest, 0 AS t, rowid AS r FROM messages
    UNION ALL SELECT digest, 1, rowid FROM receipts) WHERE ${FRESH} ORDER BY t, r`,
};

/**
 * SQL true when an anchored batch of kind Messages holds the digest bound to its `?`: a message's
 * `anchored` column when it is stored (a batch may be recorded before its leaves are).
 */
export const ANCHORED_AS_MESSAGE = `EXISTS (SELECT 1 FROM batch_leaves l JOIN batches b USING (root)
  WHERE l.digest = ? AND b.kind = ${AnchorKind.Messages} AND b.tx_hash IS NOT NULL)`;

export class BatchBook {
  private readonly trees = new Map<string, Batch>();

  constructor(
    private readonly sql: SqlDatabase,
    private readonly domain: StoreDomain,
  ) {}

  /** Stored digests of `kind` in no batch of that kind yet, oldest first. */
  unbatched(kind: AnchorKindName, limit = 10_000): string[] {
    const select = SELECTORS[kind];
    if (select === undefined) throw new EvidenceError("BAD_INPUT", `the store holds no digests of kind ${kind}`);
    return this.sql.all(`${select} LIMIT ?`, AnchorKind[kind], parseUint(limit, "limit")).map((r) => String(r.digest));
  }

  /** Records a new, not yet anchored batch and its leaves in tree order (one transaction). */
  insert(kind: AnchorKindName, batch: Batch): StoredBatch {
    const code = AnchorKind[kind];
    if (code === undefined) throw new EvidenceError("BAD_INPUT", `unknown anchor kind ${kind}`);
    const leaves = batch.leaves;
    return this.sql.transaction(() => {
      if (this.sql.get("SELECT 1 FROM batches WHERE root = ?", batch.root)) {
        throw new EvidenceError("STORE", "a batch with this root already exists", { root: batch.root });
      }
      this.sql.run("INSERT INTO batches (root, kind, count) VALUES (?, ?, ?)", batch.root, code, leaves.length);
      leaves.forEach((d, i) =>
        this.sql.run("INSERT INTO batch_leaves (root, position, digest) VALUES (?, ?, ?)", batch.root, i, d),
      );
      return this.get(batch.root)!;
    });
  }

  get(root: string): StoredBatch | null {
    const row = this.sql.get("SELECT * FROM batches WHERE root = ?", parseBytes32(root, "root"));
    return row ? this.fromRow(row) : null;
  }

  /** Batches recorded but not yet anchored, oldest first. */
  pending(): StoredBatch[] {
    return this.sql.all("SELECT * FROM batches WHERE tx_hash IS NULL ORDER BY rowid").map((r) => this.fromRow(r));
  }

  /** Remembers the hash of the transaction sent to anchor `root` (before waiting for it). */
  markSent(root: string, txHash: string): void {
    this.sql.run(
      "UPDATE batches SET sent_tx_hash = ? WHERE root = ? AND tx_hash IS NULL",
      parseBytes32(txHash, "txHash"),
      parseBytes32(root, "root"),
    );
  }

  /** Records the anchoring of `root` on the store's own chain and ledger (write-once). */
  markAnchored(root: string, a: AnchorInfo): void {
    const r = parseBytes32(root, "root");
    if (
      BigInt(a.chainId) !== this.domain.chainId ||
      parseAddress(a.ledger, "ledger") !== this.domain.verifyingContract
    ) {
      throw new EvidenceError("BAD_INPUT", "anchor is on another chain or ledger than the store's", { root: r });
    }
    const txHash = parseBytes32(a.txHash, "txHash");
    const block = parseUint(a.blockNumber, "blockNumber");
    const time = parseUint(a.blockTime, "blockTime");
    const submitter = parseAddress(a.submitter, "submitter");
    this.sql.transaction(() => {
      const b = this.get(r);
      if (!b) throw new EvidenceError("NOT_FOUND", "unknown batch", { root: r });
      if (b.anchor?.txHash === txHash) return;
      if (b.anchor) throw new EvidenceError("STORE", "batch already anchored by another transaction", { root: r });
      this.sql.run(
        `UPDATE batches SET tx_hash = ?, block_number = ?, block_time = ?, chain_id = ?, ledger = ?, submitter = ?
         WHERE root = ?`,
        txHash,
        block,
        time,
        this.domain.chainId.toString(),
        this.domain.verifyingContract,
        submitter,
        r,
      );
      if (b.kind === AnchorKind.Messages) {
        this.sql.run(
          "UPDATE messages SET anchored = 1 WHERE anchored = 0 AND digest IN (SELECT digest FROM batch_leaves WHERE root = ?)",
          r,
        );
      }
    });
  }

  /**
   * The stored messages that expire before `before` and that no anchored batch of kind Messages
   * holds yet, each with its `expiresAt`, soonest first: what the store must anchor by then for
   * none of them to be first anchored after it expired.
   */
  unanchoredExpiring(before: bigint): { digest: string; expiresAt: bigint }[] {
    // One range of the partial index `messages_unanchored_by_expiry`: only messages still to anchor.
    const rows = this.sql.all(
      "SELECT digest, expires_at AS e FROM messages WHERE anchored = 0 AND expires_at < ? ORDER BY expires_at, digest",
      Number(before),
    );
    return rows.map((r) => ({ digest: String(r.digest), expiresAt: BigInt(r.e as number | bigint) }));
  }

  /** Every batch holding `digest`, each with the digest's Merkle proof. */
  containing(digest: string): { batch: StoredBatch; proof: string[] }[] {
    const d = parseBytes32(digest, "digest");
    const rows = this.sql.all(
      "SELECT b.* FROM batches b JOIN batch_leaves l USING (root) WHERE l.digest = ? ORDER BY b.rowid",
      d,
    );
    return rows.map((row) => {
      const batch = this.fromRow(row);
      return { batch, proof: proofFor(this.tree(batch), d) };
    });
  }

  /** The Merkle tree of a stored batch, rebuilt from its leaves and checked against its root. */
  private tree(batch: StoredBatch): Batch {
    const cached = this.trees.get(batch.root);
    if (cached) return cached;
    const tree = buildBatch(batch.leaves);
    if (tree.root !== batch.root) {
      throw new EvidenceError("STORE", "stored leaves do not hash to the batch root", { root: batch.root });
    }
    // Batches are write-once, so a built tree stays right; keep the few most recent ones.
    if (this.trees.size >= 8) this.trees.delete(this.trees.keys().next().value!);
    this.trees.set(batch.root, tree);
    return tree;
  }

  private fromRow(row: Row): StoredBatch {
    const root = String(row.root);
    const leaves = this.sql.all("SELECT digest FROM batch_leaves WHERE root = ? ORDER BY position", root);
    return {
      root,
      kind: Number(row.kind),
      count: Number(row.count),
      leaves: leaves.map((r) => String(r.digest)),
      sentTxHash: row.sent_tx_hash === null ? null : String(row.sent_tx_hash),
      anchor:
        row.tx_hash === null
          ? null
          : {
              txHash: String(row.tx_hash),
              blockNumber: Number(row.block_number),
              blockTime: Number(row.block_time),
              chainId: BigInt(String(row.chain_id)),
              ledger: String(row.ledger),
              submitter: String(row.submitter),
            },
    };
  }
}
