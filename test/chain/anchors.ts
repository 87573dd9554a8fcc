/** A reader of BatchAnchored logs deriving a table of anchored roots, shared by the event and reorg tests. */
import { hexlify, randomBytes } from "ethers";
import type { BotDatabase } from "../../src/chain/db.js";
import { EventReader, type ChainEvent, type EventReaderOptions } from "../../src/chain/events.js";
import { AnchorKind } from "../../src/evidence/types.js";
import { LEDGER_ABI, type Harness } from "./harness.js";

/** A handler deriving a table of anchored roots, with the undo hook a reorg needs. */
export const ANCHORS_SCHEMA = [
  "CREATE TABLE anchored (root TEXT PRIMARY KEY, submitter TEXT NOT NULL, block INTEGER NOT NULL, tx TEXT NOT NULL) STRICT",
];

export function anchorsHandlers(seen: ChainEvent[] = []): Pick<EventReaderOptions, "onEvent" | "onRollback"> {
  return {
    onEvent(event: ChainEvent, db: BotDatabase) {
      seen.push(event);
      db.run("INSERT INTO anchored (root, submitter, block, tx) VALUES (?, ?, ?, ?)",
        String(event.named.root), String(event.named.submitter), event.blockNumber, event.transactionHash);
    },
    onRollback(fromBlock: number, db: BotDatabase) {
      db.run("DELETE FROM anchored WHERE block >= ?", fromBlock);
    },
  };
}

export function anchoredState(db: BotDatabase): unknown[] {
  return db.all("SELECT root, submitter, block, tx FROM anchored ORDER BY block, root");
}

export async function openAnchorsReader(h: Harness, db: BotDatabase, options: Partial<EventReaderOptions> = {}): Promise<EventReader> {
  db.migrate("test-anchors", ANCHORS_SCHEMA);
  return EventReader.open({
    db,
    rpc: h.rpc,
    chainId: h.chainId,
    name: "anchors",
    address: h.f.ledgerAddress,
    abis: [LEDGER_ABI],
    events: ["BatchAnchored"],
    startBlock: h.f.startBlock,
    confirmations: 1,
    maxRange: 2,
    ...anchorsHandlers(),
    ...options,
  });
}

export async function anchor(h: Harness, root = hexlify(randomBytes(32))): Promise<string> {
  await (await h.f.ledger.connect(h.f.participants.aggregator).anchorBatch(root, 1, AnchorKind.Receipts)).wait();
  return root;
}
