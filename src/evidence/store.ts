/**
 * A party's durable evidence store on `node:sqlite`: signed messages, receipts, refusals, Merkle
 * batches (`store.batches`) and pseudonym certificates (`store.certificates`). A committed write
 * survives a crash (WAL, `synchronous=FULL`);
 * every multi-row write is one transaction, so a crash or an error never leaves half of it.
 * `batch(fn)` groups the writes of a whole round into one commit (whole or not at all).
 * Rows are write-once: inserting evidence whose digest, or whose (party, nonce), is already
 * stored returns a "duplicate" result and never overwrites.
 */
import type { TypedDataDomain } from "ethers";
import {
  decodeMessage,
  decodeReceipt,
  encodeMessage,
  encodeReceipt,
  normaliseMessage,
  normaliseReceipt,
  parseAddress,
  parseBytes32,
  parseUint,
} from "./codec.js";
import { EvidenceError } from "./errors.js";
import type { SignedMessage, SignedReceipt } from "./messages.js";
import { verifyMessageSignature, verifyReceiptSignature } from "./sign.js";
import { ANCHORED_AS_MESSAGE, BatchBook } from "./storeBatches.js";
import { CertificateBook } from "./storeCertificates.js";
import { SqlDatabase, type Row, type StoreDomain } from "./storeDb.js";
import { evidenceDomain, isMessageTypeName, type MessageTypeName } from "./types.js";

export type { AnchorInfo, StoredBatch } from "./storeBatches.js";
export type { StoreDomain } from "./storeDb.js";

export interface OpenStoreOptions {
  /** Domain of the evidence: required for a new file, checked against an existing one. */
  domain?: StoreDomain;
  /** Create the file if it does not exist (default true). */
  create?: boolean;
}

export type DuplicateReason = "digest" | "nonce" | "receipted" | "refused";
export type PutResult =
  | { status: "inserted"; digest: string }
  | { status: "duplicate"; digest: string; reason: DuplicateReason; existing: string };

/** A refusal of receipt: no receipt for `nroDigest` came by `deadline`; recorded by the origin. */
export interface RefusalRecord {
  nroDigest: string;
  sessionId: string;
  origin: string;
  deadline: number;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: number | null;
}

export interface SessionRecords {
  messages: SignedMessage[];
  receipts: SignedReceipt[];
  refusals: RefusalRecord[];
}

const dup = (digest: string, reason: DuplicateReason, existing: unknown): PutResult => ({
  status: "duplicate",
  digest,
  reason,
  existing: String(existing),
});
const optional = <T>(v: T | null, parse: (v: T) => T): T | null => (v === null ? null : parse(v));

export class EvidenceStore {
  readonly domain: TypedDataDomain;
  readonly chainId: bigint;
  readonly ledger: string;
  readonly batches: BatchBook;
  readonly certificates: CertificateBook;

  private constructor(
    private readonly sql: SqlDatabase,
    domain: StoreDomain,
  ) {
    this.chainId = domain.chainId;
    this.ledger = domain.verifyingContract;
    this.domain = evidenceDomain(this.chainId, this.ledger);
    this.batches = new BatchBook(sql, domain);
    this.certificates = new CertificateBook(sql);
  }

  /** Opens (creating and migrating if needed) the store at `path`; `":memory:"` is throw-away. */
  static open(path: string, options: OpenStoreOptions = {}): EvidenceStore {
    const sql = SqlDatabase.open(path, options.create ?? true);
    try {
      return new EvidenceStore(sql, sql.domain(options.domain));
    } catch (error) {
      sql.close();
      throw error;
    }
  }

  close(): void {
    this.sql.close();
  }

  /** How many signed messages and receipts the store holds. */
  counts(): { messages: number; receipts: number } {
    const n = (table: "messages" | "receipts") => Number((this.sql.get(`SELECT count(*) AS n FROM ${table}`) as { n: number | bigint }).n);
    return { messages: n("messages"), receipts: n("receipts") };
  }

  /** Runs `fn` in one `BEGIN IMMEDIATE … COMMIT`: every write inside lands, or none does. */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn);
  }

  /**
   * Runs `fn` (which may await, e.g. a round of message exchanges) with every write to this store
   * until it settles in one transaction: the batch commits whole when `fn` resolves and not at
   * all when it rejects or the process dies first. Each write inside keeps its own all-or-nothing
   * (a refused write leaves nothing in the batch). One commit per batch instead of one per write.
   */
  batch<T>(fn: () => Promise<T>): Promise<T> {
    return this.sql.batch(fn);
  }

  /** Stores a signed message after checking its types, its digest under the store's domain and its signature. */
  putMessage(input: SignedMessage): PutResult {
    const m = normaliseMessage(input);
    if (!verifyMessageSignature(this.domain, m)) {
      throw new EvidenceError("BAD_SIGNATURE", "message digest or signature does not match", { digest: m.digest });
    }
    return this.sql.singleWrite(() => {
      if (this.sql.get("SELECT 1 FROM messages WHERE digest = ?", m.digest)) return dup(m.digest, "digest", m.digest);
      const used = this.nonceOwner(m.party, m.header.nonce);
      if (used) return dup(m.digest, "nonce", used);
      this.sql.run(
        `INSERT INTO messages (digest, session_id, seq, type, party, nonce, json, expires_at, anchored)
         VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS INTEGER), ${ANCHORED_AS_MESSAGE})`,
        m.digest,
        m.header.sessionId,
        m.header.seq.toString().padStart(20, "0"),
        m.type,
        m.party,
        m.header.nonce,
        JSON.stringify(encodeMessage(m)),
        m.header.expiresAt.toString(),
        m.digest,
      );
      return { status: "inserted", digest: m.digest };
    });
  }

  /** Stores several messages in one transaction: all of them or, if one is invalid, none. */
  putMessages(messages: readonly SignedMessage[]): PutResult[] {
    return this.transaction(() => messages.map((m) => this.putMessage(m)));
  }

  /** Stores a signed receipt of a stored message that has neither a receipt nor a refusal. */
  putReceipt(input: SignedReceipt): PutResult {
    const r = normaliseReceipt(input);
    const { digest, receipt } = r;
    if (!verifyReceiptSignature(this.domain, r)) {
      throw new EvidenceError("BAD_SIGNATURE", "receipt digest or signature does not match", { digest });
    }
    return this.sql.singleWrite(() => {
      if (this.sql.get("SELECT 1 FROM receipts WHERE digest = ?", digest)) return dup(digest, "digest", digest);
      const msg = this.sql.get("SELECT session_id FROM messages WHERE digest = ?", receipt.nroDigest);
      if (!msg) throw new EvidenceError("NOT_FOUND", "receipt of a message not in the store", { digest });
      if (msg.session_id !== receipt.sessionId) {
        throw new EvidenceError("BAD_INPUT", "receipt and message are of different sessions", { digest });
      }
      const prior = this.sql.get("SELECT digest FROM receipts WHERE nro_digest = ?", receipt.nroDigest);
      if (prior) return dup(digest, "receipted", prior.digest);
      const refused = this.sql.get("SELECT 1 FROM refusals WHERE nro_digest = ?", receipt.nroDigest);
      if (refused) return dup(digest, "refused", receipt.nroDigest);
      const used = this.nonceOwner(r.receiver, receipt.nonce);
      if (used) return dup(digest, "nonce", used);
      this.sql.run(
        "INSERT INTO receipts (digest, nro_digest, session_id, receiver, nonce, json) VALUES (?, ?, ?, ?, ?, ?)",
        digest,
        receipt.nroDigest,
        receipt.sessionId,
        r.receiver,
        receipt.nonce,
        JSON.stringify(encodeReceipt(r)),
      );
      return { status: "inserted", digest };
    });
  }

  putReceipts(receipts: readonly SignedReceipt[]): PutResult[] {
    return this.transaction(() => receipts.map((r) => this.putReceipt(r)));
  }

  /** Stores a refusal of receipt for a stored message of `origin` that has no receipt. */
  putRefusal(input: Omit<RefusalRecord, "sessionId">): PutResult {
    const nro = parseBytes32(input.nroDigest, "nroDigest");
    const origin = parseAddress(input.origin, "origin");
    const deadline = parseUint(input.deadline, "deadline");
    const txHash = optional(input.txHash, (v) => parseBytes32(v, "txHash"));
    const blockNumber = optional(input.blockNumber, (v) => parseUint(v, "blockNumber"));
    const blockTime = optional(input.blockTime, (v) => parseUint(v, "blockTime"));
    return this.sql.singleWrite(() => {
      const msg = this.sql.get("SELECT session_id, party FROM messages WHERE digest = ?", nro);
      if (!msg) throw new EvidenceError("NOT_FOUND", "refusal of a message not in the store", { nroDigest: nro });
      if (msg.party !== origin) throw new EvidenceError("BAD_INPUT", "only the message's party refuses", { origin });
      if (this.sql.get("SELECT 1 FROM refusals WHERE nro_digest = ?", nro)) return dup(nro, "refused", nro);
      const receipted = this.sql.get("SELECT digest FROM receipts WHERE nro_digest = ?", nro);
      if (receipted) return dup(nro, "receipted", receipted.digest);
      this.sql.run(
        `INSERT INTO refusals (nro_digest, session_id, origin, deadline, tx_hash, block_number, block_time)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        nro,
        String(msg.session_id),
        origin,
        deadline,
        txHash,
        blockNumber,
        blockTime,
      );
      return { status: "inserted", digest: nro };
    });
  }

  /** The message with NRO digest `digest`, or null. */
  message(digest: string): SignedMessage | null {
    const row = this.sql.get("SELECT json FROM messages WHERE digest = ?", parseBytes32(digest, "digest"));
    return row ? decodeMessage(JSON.parse(String(row.json))) : null;
  }

  /**
   * Up to `limit` messages of `type` stored after `cursor`, in insertion order, and the cursor to
   * pass back next time (a follower's view of the store, e.g. a settlement bot reading CDRs).
   */
  messagesOfType<T extends MessageTypeName>(
    type: T,
    cursor: number,
    limit: number,
  ): { messages: SignedMessage<T>[]; cursor: number } {
    if (!isMessageTypeName(type)) throw new EvidenceError("BAD_INPUT", "unknown message type", { type });
    const rows = this.sql.all(
      "SELECT rowid AS r, json FROM messages WHERE type = ? AND rowid > ? ORDER BY rowid LIMIT ?",
      type,
      cursor,
      limit,
    );
    const messages = rows.map((row) => decodeMessage(JSON.parse(String(row.json))) as SignedMessage<T>);
    return { messages, cursor: rows.length ? Number(rows[rows.length - 1]!.r) : cursor };
  }

  /** The receipt whose own digest is `digest` or, failing that, the receipt of message `digest`. */
  receipt(digest: string): SignedReceipt | null {
    const d = parseBytes32(digest, "digest");
    const row =
      this.sql.get("SELECT json FROM receipts WHERE digest = ?", d) ??
      this.sql.get("SELECT json FROM receipts WHERE nro_digest = ?", d);
    return row ? decodeReceipt(JSON.parse(String(row.json))) : null;
  }

  /** True if any message of `sessionId` is stored. */
  hasSession(sessionId: string): boolean {
    return (
      this.sql.get("SELECT 1 FROM messages WHERE session_id = ?", parseBytes32(sessionId, "sessionId")) !== undefined
    );
  }

  /** Everything stored for `sessionId`: messages by party and sequence, receipts, refusals. */
  session(sessionId: string): SessionRecords {
    const id = parseBytes32(sessionId, "sessionId");
    const json = (r: Row): unknown => JSON.parse(String(r.json));
    const messages = this.sql.all("SELECT json FROM messages WHERE session_id = ? ORDER BY party, seq, rowid", id);
    const receipts = this.sql.all("SELECT json FROM receipts WHERE session_id = ? ORDER BY rowid", id);
    const refusals = this.sql.all("SELECT * FROM refusals WHERE session_id = ? ORDER BY rowid", id);
    return {
      messages: messages.map((r) => decodeMessage(json(r))),
      receipts: receipts.map((r) => decodeReceipt(json(r))),
      refusals: refusals.map(refusalFromRow),
    };
  }

  /** The digest (message or receipt) that already used `nonce` of `party`, if any. */
  private nonceOwner(party: string, nonce: string): string | null {
    const row =
      this.sql.get("SELECT digest FROM messages WHERE party = ? AND nonce = ?", party, nonce) ??
      this.sql.get("SELECT digest FROM receipts WHERE receiver = ? AND nonce = ?", party, nonce);
    return row ? String(row.digest) : null;
  }
}

function refusalFromRow(row: Row): RefusalRecord {
  const num = (v: unknown): number | null => (v === null ? null : Number(v));
  return {
    nroDigest: String(row.nro_digest),
    sessionId: String(row.session_id),
    origin: String(row.origin),
    deadline: Number(row.deadline),
    txHash: row.tx_hash === null ? null : String(row.tx_hash),
    blockNumber: num(row.block_number),
    blockTime: num(row.block_time),
  };
}
