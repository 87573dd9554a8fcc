/**
 * The DCC data store (SQLite): sessions' metering data, CDRs and feeders, read only through
 * the role policy, every attempt appended to the hash-chained access log (a denial is logged
 * before it is refused). `anchorHead` puts the log's head on the evidence ledger.
 */
import { DatabaseSync } from "node:sqlite";
import { keccak256, toUtf8Bytes, ZeroHash } from "ethers";
import type { DynamicContract } from "../../chain/deploy.js";
import type { SignedMessage } from "../../evidence/messages.js";
import type { AccessLogEntry } from "../artefactTypes.js";
import { ChargingError } from "../errors.js";
import { ACCESS_LOG_ANCHOR_KIND, entryHash, headDigest } from "./accessLog.js";
import { DccKind, DccRole, mayRead, type Actor, type CdrFacts, type SessionFacts, type Subject } from "./policy.js";

export interface StoredReading {
  readAt: bigint;
  importWh: bigint;
  exportWh: bigint;
  ocmfHash: string;
}

export interface FeederAggregate {
  feeder: string;
  sessions: number;
  importWh: bigint;
  exportWh: bigint;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (session_id TEXT PRIMARY KEY, aggregator TEXT NOT NULL, supplier TEXT NOT NULL,
  user TEXT NOT NULL, feeder TEXT NOT NULL, readings TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS cdrs (digest TEXT PRIMARY KEY, host TEXT NOT NULL, home TEXT NOT NULL, user TEXT NOT NULL, json TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS feeders (feeder TEXT PRIMARY KEY, operator TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS access_log (seq INTEGER PRIMARY KEY, prev TEXT NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL,
  role INTEGER NOT NULL, kind INTEGER NOT NULL, target TEXT NOT NULL, allowed INTEGER NOT NULL, hash TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS log_anchors (count INTEGER PRIMARY KEY, digest TEXT NOT NULL, tx_hash TEXT NOT NULL) STRICT;`;

export const actorRef = (id: string): string => keccak256(toUtf8Bytes(id.toLowerCase()));
const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

export class DccStore {
  private constructor(private readonly db: DatabaseSync) {}

  static open(path: string): DccStore {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    db.exec(SCHEMA);
    return new DccStore(db);
  }

  close(): void {
    this.db.close();
  }

  putFeeder(feeder: string, operator: string): void {
    this.db.prepare("INSERT INTO feeders (feeder, operator) VALUES (?, ?)").run(feeder, operator);
  }

  putSession(sessionId: string, facts: SessionFacts, readings: readonly SignedMessage<"MeterReading">[]): void {
    if (!this.db.prepare("SELECT 1 FROM feeders WHERE feeder = ?").get(facts.feeder)) throw new ChargingError("BAD_INPUT", "unknown feeder", { feeder: facts.feeder });
    if (readings.some((r) => r.header.sessionId !== sessionId)) throw new ChargingError("BAD_INPUT", "reading of another session");
    const rows: StoredReading[] = readings.map((r) => ({ readAt: r.body.readAt, importWh: r.body.importWh, exportWh: r.body.exportWh, ocmfHash: r.body.ocmfHash }));
    this.db.prepare("INSERT INTO sessions (session_id, aggregator, supplier, user, feeder, readings) VALUES (?, ?, ?, ?, ?, ?)").run(sessionId, facts.aggregator, facts.supplier, facts.user, facts.feeder, json(rows));
  }

  putCdr(cdr: SignedMessage<"ChargeDetailRecord">, user: string): void {
    this.db.prepare("INSERT INTO cdrs (digest, host, home, user, json) VALUES (?, ?, ?, ?, ?)").run(cdr.digest, cdr.body.hostSupplier, cdr.body.homeSupplier, user, json(cdr.body));
  }

  /** A session's readings, if `actor` may see them (every attempt is logged). */
  readSession(actor: Actor, sessionId: string, at: bigint): StoredReading[] {
    const row = this.db.prepare("SELECT * FROM sessions WHERE session_id = ?").get(sessionId) as Record<string, string> | undefined;
    const subject: Subject | undefined = row && { kind: "Session", facts: { aggregator: row.aggregator!, supplier: row.supplier!, user: row.user!, feeder: row.feeder! } };
    this.decide(actor, "Session", sessionId, subject, at);
    return (JSON.parse(row!.readings!) as Record<string, string>[]).map((r) => ({ readAt: BigInt(r.readAt!), importWh: BigInt(r.importWh!), exportWh: BigInt(r.exportWh!), ocmfHash: r.ocmfHash! }));
  }

  /** A CDR body (as stored), if `actor` may see it. */
  readCdr(actor: Actor, digest: string, at: bigint): Record<string, string> {
    const row = this.db.prepare("SELECT * FROM cdrs WHERE digest = ?").get(digest) as Record<string, string> | undefined;
    const facts: CdrFacts | undefined = row && { hostSupplier: row.host!, homeSupplier: row.home!, user: row.user! };
    this.decide(actor, "Cdr", digest, facts && { kind: "Cdr", facts }, at);
    return JSON.parse(row!.json!) as Record<string, string>;
  }

  /** A feeder's aggregate (no session, no user), if `actor` may see it. */
  readFeeder(actor: Actor, feeder: string, at: bigint): FeederAggregate {
    const row = this.db.prepare("SELECT operator FROM feeders WHERE feeder = ?").get(feeder) as { operator: string } | undefined;
    this.decide(actor, "Feeder", keccak256(toUtf8Bytes(feeder)), row && { kind: "Feeder", feeder, operator: row.operator }, at);
    const agg: FeederAggregate = { feeder, sessions: 0, importWh: 0n, exportWh: 0n };
    for (const s of this.db.prepare("SELECT readings FROM sessions WHERE feeder = ?").all(feeder) as { readings: string }[]) {
      const rs = JSON.parse(s.readings) as Record<string, string>[];
      if (rs.length === 0) continue;
      agg.sessions++;
      agg.importWh += BigInt(rs[rs.length - 1]!.importWh!) - BigInt(rs[0]!.importWh!);
      agg.exportWh += BigInt(rs[rs.length - 1]!.exportWh!) - BigInt(rs[0]!.exportWh!);
    }
    return agg;
  }

  /** The access log, in order. */
  log(): AccessLogEntry[] {
    return (this.db.prepare("SELECT * FROM access_log ORDER BY seq").all() as Record<string, string | number>[]).map((r) => ({
      prev: String(r.prev),
      seq: BigInt(r.seq!),
      at: BigInt(r.at!),
      actor: String(r.actor),
      role: Number(r.role),
      kind: Number(r.kind),
      target: String(r.target),
      allowed: Number(r.allowed) === 1,
    }));
  }

  head(): { head: string; count: bigint } {
    const row = this.db.prepare("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1").get() as { seq: number; hash: string } | undefined;
    return row === undefined ? { head: ZeroHash, count: 0n } : { head: row.hash, count: BigInt(row.seq) };
  }

  /** Anchors the current head on the evidence ledger (the DCC must hold the submitter role). */
  async anchorHead(ledger: DynamicContract): Promise<{ digest: string; count: bigint; txHash: string }> {
    const { head, count } = this.head();
    if (count === 0n) throw new ChargingError("BAD_INPUT", "nothing to anchor");
    const digest = headDigest(head, count);
    const tx = await ledger.anchorDigest(digest, ACCESS_LOG_ANCHOR_KIND);
    const receipt = await tx.wait();
    this.db.prepare("INSERT INTO log_anchors (count, digest, tx_hash) VALUES (?, ?, ?)").run(Number(count), digest, String(receipt.hash));
    return { digest, count, txHash: String(receipt.hash) };
  }

  /** Decides, logs the attempt, and throws `ChargingError("REFUSED")` for a denial. */
  private decide(actor: Actor, kind: keyof typeof DccKind, target: string, subject: Subject | undefined, at: bigint): void {
    const allowed = subject !== undefined && mayRead(actor, subject);
    this.append({ at, actor: actorRef(actor.id), role: DccRole[actor.role], kind: DccKind[kind], target, allowed });
    if (!allowed) throw new ChargingError("REFUSED", `access denied: ${actor.role} may not read this ${kind.toLowerCase()}`, { role: actor.role, kind, target });
  }

  private append(e: Omit<AccessLogEntry, "prev" | "seq">): void {
    const { head, count } = this.head();
    const entry: AccessLogEntry = { ...e, prev: head, seq: count + 1n };
    this.db
      .prepare("INSERT INTO access_log (seq, prev, at, actor, role, kind, target, allowed, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(Number(entry.seq), entry.prev, Number(entry.at), entry.actor, entry.role, entry.kind, entry.target, entry.allowed ? 1 : 0, entryHash(entry));
  }
}
