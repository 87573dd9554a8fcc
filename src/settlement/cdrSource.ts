/**
 * Where the host's bot finds its CDRs: the signed ChargeDetailRecord messages of the supplier's
 * evidence store, read in insertion order after a cursor. It reads the store file through its own
 * read-only connection (the store has no listing by type) and refuses a store schema it does not
 * know, so a change of the store's layout cannot be misread silently.
 */
import { DatabaseSync } from "node:sqlite";
import { decodeMessage } from "../evidence/codec.js";
import type { SignedMessage } from "../evidence/messages.js";
import { STORE_SCHEMA_VERSION } from "../evidence/storeDb.js";
import { SettlementError } from "./errors.js";

export interface CdrBatch {
  messages: SignedMessage<"ChargeDetailRecord">[];
  /** Cursor after the last row read (pass it back next time). */
  cursor: number;
}

export interface CdrSource {
  /** Up to `limit` CDR messages stored after `cursor`. */
  after(cursor: number, limit: number): CdrBatch;
  close(): void;
}

/** Reads CDRs from an evidence store file (schema version `STORE_SCHEMA_VERSION`). */
export class StoreCdrSource implements CdrSource {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    try {
      this.db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
    } catch (cause) {
      throw new SettlementError("DEPLOYMENT", `cannot open the evidence store ${path}`, { path }, cause);
    }
    const version = Number((this.db.prepare("SELECT max(version) AS v FROM schema_version").get() as { v?: unknown } | undefined)?.v ?? 0);
    if (version !== STORE_SCHEMA_VERSION) {
      this.db.close();
      throw new SettlementError("DEPLOYMENT", `evidence store schema ${version} is not the one this bot reads (${STORE_SCHEMA_VERSION})`, { path, version });
    }
  }

  after(cursor: number, limit: number): CdrBatch {
    const rows = this.db
      .prepare("SELECT rowid AS r, json FROM messages WHERE type = 'ChargeDetailRecord' AND rowid > ? ORDER BY rowid LIMIT ?")
      .all(cursor, limit) as { r: number | bigint; json: string }[];
    const messages = rows.map((row) => decodeMessage(JSON.parse(row.json)) as SignedMessage<"ChargeDetailRecord">);
    return { messages, cursor: rows.length ? Number(rows[rows.length - 1]!.r) : cursor };
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
