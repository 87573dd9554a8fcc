/**
 * An event reader that processes each log once, from a stored cursor (first set to the
 * deployment's start block), only up to `latest − confirmations`, in bounded block ranges.
 * Handlers run in the database transaction that records the processed logs and advances the
 * cursor. Before reading on, the reader checks the stored block hashes: after a reorg it rolls
 * the cursor back to the fork point, and the `onRollback` hook undoes what handlers derived there.
 */
import { getAddress, type Interface, type InterfaceAbi } from "ethers";
import type { BotDatabase } from "./db.js";
import { combineAbis, decodeLog, type DecodedEvent } from "./decode.js";
import { ChainError, isChainError } from "./errors.js";
import type { ChainLog, ChainRpc } from "./rpc.js";

export const EVENT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE event_cursors (name TEXT PRIMARY KEY, chain_id TEXT NOT NULL, addresses TEXT NOT NULL,
     start_block INTEGER NOT NULL, next_block INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
   CREATE TABLE event_blocks (name TEXT NOT NULL, number INTEGER NOT NULL, hash TEXT NOT NULL,
     PRIMARY KEY (name, number)) STRICT;
   CREATE TABLE event_logs (name TEXT NOT NULL, tx_hash TEXT NOT NULL, log_index INTEGER NOT NULL,
     block_number INTEGER NOT NULL, block_hash TEXT NOT NULL, event TEXT,
     PRIMARY KEY (name, tx_hash, log_index)) STRICT;
   CREATE INDEX event_logs_by_block ON event_logs (name, block_number);`,
];

/** A decoded log with where it was found. */
export interface ChainEvent extends DecodedEvent {
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
}

export interface EventReaderOptions {
  db: BotDatabase;
  rpc: ChainRpc;
  chainId: bigint;
  /** The cursor's name (one per reader). */
  name: string;
  address: string | readonly string[];
  abis: readonly (InterfaceAbi | Interface)[];
  /** Only these event names (all events of the ABIs when absent). */
  events?: readonly string[];
  /** Block of the deployment: where reading starts. */
  startBlock: number;
  /** Blocks kept back from the head: the reader reads up to `latest − confirmations`. */
  confirmations: number;
  /** Most blocks per `eth_getLogs` (default 2000; halved while the node refuses). */
  maxRange?: number;
  /** Processed blocks whose hashes are kept to find a fork point (default 256). */
  reorgWindow?: number;
  /** Called once per log, inside the transaction that records it. Synchronous. */
  onEvent(event: ChainEvent, db: BotDatabase): void;
  /** Undo everything derived from blocks ≥ `fromBlock` (inside the rollback's transaction). */
  onRollback(fromBlock: number, db: BotDatabase): void;
  now?: () => number;
}

export interface SyncResult {
  /** Block where the cursor was rolled back to after a reorg, or null. */
  rolledBackTo: number | null;
  /** Blocks read, inclusive; `toBlock < fromBlock` when nothing was safe to read. */
  fromBlock: number;
  toBlock: number;
  events: number;
  ranges: number;
}

export class EventReader {
  private readonly iface: Interface;
  private readonly addresses: string[];
  private readonly topics: string[] | undefined;

  private constructor(private readonly o: EventReaderOptions) {
    this.iface = combineAbis(o.abis);
    this.addresses = (typeof o.address === "string" ? [o.address] : [...o.address]).map((a) => getAddress(a)).sort();
    this.topics = o.events?.map((name) => {
      const event = this.iface.getEvent(name);
      if (!event) throw new ChainError("CONFIG", `no event ${name} in the reader's ABIs`);
      return event.topicHash;
    });
  }

  /** Checks the chain id, migrates, and creates the cursor at `startBlock` (or checks the stored one). */
  static async open(options: EventReaderOptions): Promise<EventReader> {
    await options.rpc.assertChainId(options.chainId);
    options.db.migrate("events", EVENT_MIGRATIONS);
    const reader = new EventReader(options);
    const { db, name } = options;
    const addresses = JSON.stringify(reader.addresses);
    db.transaction(() => {
      const row = db.get("SELECT chain_id, addresses, start_block FROM event_cursors WHERE name = ?", name);
      if (!row) {
        db.run("INSERT INTO event_cursors (name, chain_id, addresses, start_block, next_block, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
          name, options.chainId.toString(), addresses, options.startBlock, options.startBlock, reader.now());
        return;
      }
      if (BigInt(String(row.chain_id)) !== options.chainId) {
        throw new ChainError("WRONG_CHAIN", "event cursor belongs to another chain", { name, stored: String(row.chain_id) });
      }
      if (row.addresses !== addresses || Number(row.start_block) !== options.startBlock) {
        throw new ChainError("CONFIG", "event cursor was recorded for other contracts or another start block", { name });
      }
    });
    return reader;
  }

  /** The next block to read. */
  nextBlock(): number {
    return Number(this.o.db.get("SELECT next_block FROM event_cursors WHERE name = ?", this.o.name)!.next_block);
  }

  /** Rolls back after a reorg if needed, then reads every safe block in ranges (at most `maxRanges`). */
  async sync(options: { maxRanges?: number } = {}): Promise<SyncResult> {
    const rolledBackTo = await this.rollBackIfReorged();
    const safe = (await this.o.rpc.blockNumber()) - this.o.confirmations;
    const fromBlock = this.nextBlock();
    let from = fromBlock;
    let range = Math.max(1, this.o.maxRange ?? 2000);
    let events = 0;
    let ranges = 0;
    let unstable = 0;
    while (from <= safe && ranges < (options.maxRanges ?? Infinity)) {
      const to = Math.min(from + range - 1, safe);
      const before = await this.o.rpc.getBlock(to);
      let logs: ChainLog[];
      try {
        logs = await this.o.rpc.getLogs({ fromBlock: from, toBlock: to, address: this.addresses, ...(this.topics ? { topics: [this.topics] } : {}) });
      } catch (error) {
        if (isChainError(error, "RPC_ERROR") && range > 1) {
          range = Math.ceil(range / 2);
          continue;
        }
        throw error;
      }
      const after = await this.o.rpc.getBlock(to);
      if (!before || !after || before.hash !== after.hash || !consistent(logs, to, after.hash)) {
        if (++unstable > 3) throw new ChainError("BAD_RESPONSE", "chain kept changing while reading logs", { from, to });
        continue;
      }
      events += this.apply(from, to, after.hash, logs);
      ranges++;
      from = to + 1;
    }
    return { rolledBackTo, fromBlock, toBlock: from - 1, events, ranges };
  }

  /** Records one range: handlers, processed keys, block hashes and the cursor, in one transaction. */
  private apply(from: number, to: number, tipHash: string, logs: ChainLog[]): number {
    const { db, name } = this.o;
    return db.transaction(() => {
      if (this.nextBlock() !== from) throw new ChainError("DB", "event cursor moved under this reader", { name, from });
      let processed = 0;
      const blocks = new Map<number, string>([[to, tipHash]]);
      for (const log of [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex)) {
        blocks.set(log.blockNumber, log.blockHash);
        const event: ChainEvent = {
          ...decodeLog(log, this.iface),
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
          transactionHash: log.transactionHash,
          transactionIndex: log.transactionIndex,
        };
        const { changes } = db.run(
          "INSERT OR IGNORE INTO event_logs (name, tx_hash, log_index, block_number, block_hash, event) VALUES (?, ?, ?, ?, ?, ?)",
          name, log.transactionHash, log.logIndex, log.blockNumber, log.blockHash, event.name,
        );
        if (changes === 0) continue;
        this.o.onEvent(event, db);
        processed++;
      }
      for (const [number, hash] of blocks) {
        db.run("INSERT OR REPLACE INTO event_blocks (name, number, hash) VALUES (?, ?, ?)", name, number, hash);
      }
      db.run("DELETE FROM event_blocks WHERE name = ? AND number < ?", name, to - (this.o.reorgWindow ?? 256));
      db.run("UPDATE event_cursors SET next_block = ?, updated_at = ? WHERE name = ?", to + 1, this.now(), name);
      return processed;
    });
  }

  /**
   * Compares the stored block hashes with the chain. If the newest still matches, nothing below it
   * changed (each hash commits to its ancestors). Otherwise finds the newest stored block that
   * still matches (binary search: matching is monotone) and rolls back everything above it; with
   * none left, everything from the start block is re-derived.
   */
  private async rollBackIfReorged(): Promise<number | null> {
    const { db, name } = this.o;
    const stored = db.all("SELECT number, hash FROM event_blocks WHERE name = ? ORDER BY number DESC", name)
      .map((r) => ({ number: Number(r.number), hash: String(r.hash) }));
    const canonical = async (i: number) => (await this.o.rpc.getBlock(stored[i]!.number))?.hash === stored[i]!.hash;
    if (stored.length === 0 || (await canonical(0))) return null;
    let lo = 1;
    let hi = stored.length; // first canonical index in [lo, hi]; hi = none
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (await canonical(mid)) hi = mid;
      else lo = mid + 1;
    }
    const resumeAt = hi < stored.length ? stored[hi]!.number + 1 : this.o.startBlock;
    db.transaction(() => {
      this.o.onRollback(resumeAt, db);
      db.run("DELETE FROM event_logs WHERE name = ? AND block_number >= ?", name, resumeAt);
      db.run("DELETE FROM event_blocks WHERE name = ? AND number >= ?", name, resumeAt);
      db.run("UPDATE event_cursors SET next_block = ?, updated_at = ? WHERE name = ?", resumeAt, this.now(), name);
    });
    return resumeAt;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}

/** Logs of one block agree on its hash, the tip's logs carry the tip's hash, none is marked removed. */
function consistent(logs: readonly ChainLog[], to: number, tipHash: string): boolean {
  const seen = new Map<number, string>();
  for (const log of logs) {
    if (log.removed) return false;
    if ((seen.get(log.blockNumber) ?? log.blockHash) !== log.blockHash) return false;
    seen.set(log.blockNumber, log.blockHash);
    if (log.blockNumber === to && log.blockHash !== tipHash) return false;
  }
  return true;
}
