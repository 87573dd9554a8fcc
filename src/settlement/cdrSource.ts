/** Where the host's bot finds its CDRs: the signed ChargeDetailRecord messages of the supplier's evidence store. */
import type { SignedMessage } from "../evidence/messages.js";
import type { EvidenceStore } from "../evidence/store.js";

export interface CdrBatch {
  messages: SignedMessage<"ChargeDetailRecord">[];
  /** Cursor after the last row read (pass it back next time). */
  cursor: number;
}

export interface CdrSource {
  /** Up to `limit` CDR messages stored after `cursor`. */
  after(cursor: number, limit: number): CdrBatch;
}

/** Reads CDRs from an open evidence store, in insertion order. */
export class StoreCdrSource implements CdrSource {
  constructor(private readonly store: EvidenceStore) {}

  after(cursor: number, limit: number): CdrBatch {
    return this.store.messagesOfType("ChargeDetailRecord", cursor, limit);
  }
}
