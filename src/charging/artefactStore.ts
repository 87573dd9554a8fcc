/**
 * Evidence the ledger's message store does not hold: OCMF records byte for byte, and the
 * charging artefacts (certificates, tariffs, price signals, authorisations), content-addressed
 * in SQLite. Write-once: the same digest with other bytes is refused.
 */
import { DatabaseSync } from "node:sqlite";
import { ChargingError } from "./errors.js";

export type ArtefactKind = "ocmf" | "PseudonymCert" | "Tariff" | "PriceSignal" | "EvseAuthorisation";

export class ArtefactStore {
  private constructor(private readonly db: DatabaseSync) {}

  static open(path: string): ArtefactStore {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    db.exec("CREATE TABLE IF NOT EXISTS artefacts (digest TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL) STRICT");
    return new ArtefactStore(db);
  }

  /** Stores `body` under `digest`; returns false if the same bytes were already there. */
  put(kind: ArtefactKind, digest: string, body: string): boolean {
    const key = digest.toLowerCase();
    const existing = this.db.prepare("SELECT kind, body FROM artefacts WHERE digest = ?").get(key) as { kind: string; body: string } | undefined;
    if (existing !== undefined) {
      if (existing.kind !== kind || existing.body !== body) throw new ChargingError("REFUSED", "another artefact is stored under this digest", { digest: key });
      return false;
    }
    this.db.prepare("INSERT INTO artefacts (digest, kind, body) VALUES (?, ?, ?)").run(key, kind, body);
    return true;
  }

  /** Stores several artefacts in one transaction (one commit): all of them, or none if one is refused. */
  putAll(items: readonly { kind: ArtefactKind; digest: string; body: string }[]): boolean[] {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const stored = items.map((i) => this.put(i.kind, i.digest, i.body));
      this.db.exec("COMMIT");
      return stored;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  get(digest: string): { kind: ArtefactKind; body: string } | undefined {
    const row = this.db.prepare("SELECT kind, body FROM artefacts WHERE digest = ?").get(digest.toLowerCase()) as { kind: ArtefactKind; body: string } | undefined;
    return row === undefined ? undefined : { kind: row.kind, body: row.body };
  }

  close(): void {
    this.db.close();
  }
}
