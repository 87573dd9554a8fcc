import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { expect } from "chai";
import { Signature } from "ethers";
import { EvidenceError } from "../../src/evidence/errors.js";
import { buildBatch, verifyInclusion } from "../../src/evidence/merkle.js";
import { signMessage, verifyMessageSignature, verifyReceiptSignature } from "../../src/evidence/sign.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { MIGRATIONS, STORE_SCHEMA_VERSION } from "../../src/evidence/storeDb.js";
import { encodeMessage } from "../../src/evidence/codec.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { CHAIN_ID, domain, LEDGER, party, randomId, receiptOf, signed, storeDomain } from "./offline.js";

function expectCode(fn: () => unknown, code: string): EvidenceError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(EvidenceError);
    expect((e as EvidenceError).code).to.equal(code);
    return e as EvidenceError;
  }
  return expect.fail(`expected EvidenceError ${code}`);
}

describe("Evidence store", () => {
  let dir: string;
  let path: string;
  let store: EvidenceStore;
  const a = party();
  const b = party();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "v2g-store-"));
    path = join(dir, "evidence.db");
    store = EvidenceStore.open(path, { domain: storeDomain });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should open in WAL mode with synchronous=FULL at the current schema version", () => {
    const db = new DatabaseSync(path);
    expect(db.prepare("PRAGMA journal_mode").get()).to.deep.equal({ journal_mode: "wal" });
    expect(db.prepare("SELECT max(version) AS v FROM schema_version").get()).to.deep.equal({ v: STORE_SCHEMA_VERSION });
    db.close();
    const sync = (store as unknown as { sql: { get(s: string): unknown } }).sql.get("PRAGMA synchronous");
    expect(sync).to.deep.equal({ synchronous: 2 });
  });

  it("should store a message and refuse a second copy as a duplicate without overwriting", async () => {
    const m = await signed(a, randomId(), 0n);
    expect(store.putMessage(m)).to.deep.equal({ status: "inserted", digest: m.digest });
    expect(store.putMessage(m)).to.deep.equal({
      status: "duplicate",
      digest: m.digest,
      reason: "digest",
      existing: m.digest,
    });
    expect(store.message(m.digest)?.signature).to.equal(m.signature);
  });

  it("should refuse a message reusing a nonce of the same party, even from a receipt", async () => {
    const sid = randomId();
    const first = await signed(a, sid, 0n);
    store.putMessage(first);
    const template = await signed(a, sid, 1n);
    const replay = await signMessage(a.key, a.address, store.domain, {
      type: template.type,
      header: { ...template.header, nonce: first.header.nonce },
      body: template.body,
    });
    expect(store.putMessage(replay)).to.deep.include({ status: "duplicate", reason: "nonce", existing: first.digest });
    expect(store.message(replay.digest)).to.equal(null);
    // A receipt of `a` may not reuse the nonce of `a`'s message either: one nonce space per party, as on-chain.
    const m = await signed(b, sid, 0n);
    store.putMessage(m);
    const r = await receiptOf(a, m, first.header.nonce);
    expect(store.putReceipt(r)).to.deep.include({ status: "duplicate", reason: "nonce", existing: first.digest });
    expect(store.receipt(r.digest)).to.equal(null);
  });

  it("should refuse a second receipt of the same message and a receipt of a refused one", async () => {
    const sid = randomId();
    const [m1, m2] = [await signed(a, sid, 0n), await signed(a, sid, 1n)];
    store.putMessages([m1, m2]);
    const r1 = await receiptOf(b, m1);
    expect(store.putReceipt(r1).status).to.equal("inserted");
    expect(store.putReceipt(await receiptOf(b, m1))).to.deep.include({ reason: "receipted", existing: r1.digest });
    const refusal = {
      nroDigest: m2.digest,
      origin: a.address,
      deadline: 5,
      txHash: null,
      blockNumber: null,
      blockTime: null,
    };
    expect(store.putRefusal(refusal).status).to.equal("inserted");
    expect(store.putRefusal(refusal).status).to.equal("duplicate");
    expect(store.putReceipt(await receiptOf(b, m2))).to.deep.include({ reason: "refused" });
    expect(store.receipt(m1.digest)?.digest).to.equal(r1.digest);
    expect(store.receipt(r1.digest)?.digest).to.equal(r1.digest);
  });

  it("should refuse a bad signature even after the same evidence verified in this process", async () => {
    const m = await signed(a, randomId(), 0n);
    const r = await receiptOf(b, m);
    // The receiver's own checks come first: every (signer, digest, signature) that passed is remembered.
    expect(verifyMessageSignature(domain, m)).to.equal(true);
    expect(verifyReceiptSignature(domain, r)).to.equal(true);
    const byOther = (digest: string) => b.key.signingKey.sign(digest).serialized;
    const N = secp256k1.Point.Fn.ORDER;
    const twin = (sig: string) => {
      const s = Signature.from(sig);
      return sig.slice(0, 66) + (N - BigInt(s.s)).toString(16).padStart(64, "0") + (sig.endsWith("1b") ? "1c" : "1b");
    };
    // The same digest signed by another key, the same signature under another signer, the malleable twin.
    expectCode(() => store.putMessage({ ...m, signature: byOther(m.digest) }), "BAD_SIGNATURE");
    expectCode(() => store.putMessage({ ...m, signer: b.key.address }), "BAD_SIGNATURE");
    expectCode(() => store.putMessage({ ...m, signature: twin(m.signature) }), "BAD_SIGNATURE");
    expectCode(() => store.putMessage({ ...m, header: { ...m.header, seq: 1n } }), "BAD_SIGNATURE");
    expect(store.counts().messages).to.equal(0);
    expect(store.putMessage(m).status).to.equal("inserted");
    expectCode(() => store.putReceipt({ ...r, signature: a.key.signingKey.sign(r.digest).serialized }), "BAD_SIGNATURE");
    expectCode(() => store.putReceipt({ ...r, signer: a.key.address }), "BAD_SIGNATURE");
    expectCode(() => store.putReceipt({ ...r, signature: twin(r.signature) }), "BAD_SIGNATURE");
    expect(store.counts().receipts).to.equal(0);
    expect(store.putReceipt(r).status).to.equal("inserted");
  });

  it("should reject invalid evidence with typed errors", async () => {
    const m = await signed(a, randomId(), 0n);
    expectCode(() => store.putMessage({ ...m, signature: m.signature.slice(0, -2) + "00" }), "BAD_SIGNATURE");
    expectCode(() => store.putMessage({ ...m, header: { ...m.header, seq: 9n } }), "BAD_SIGNATURE");
    expectCode(() => store.putMessage({ ...m, digest: "0x1234" }), "BAD_INPUT");
    expectCode(() => store.putReceipt(undefined as never), "BAD_INPUT");
    expectCode(() => store.session("0xabc"), "BAD_INPUT");
    const unknown = await receiptOf(b, await signed(a, randomId(), 0n));
    expectCode(() => store.putReceipt(unknown), "NOT_FOUND");
    expectCode(
      () =>
        store.putRefusal({
          nroDigest: m.digest,
          origin: "nope",
          deadline: 1,
          txHash: null,
          blockNumber: null,
          blockTime: null,
        }),
      "BAD_INPUT",
    );
  });

  it("should leave nothing behind when a transaction throws midway", async () => {
    const sid = randomId();
    const [m0, m1, m2] = [await signed(a, sid, 0n), await signed(a, sid, 1n), await signed(a, sid, 2n)];
    expect(() =>
      store.transaction(() => {
        store.putMessage(m0);
        store.batches.insert("Messages", buildBatch([m0.digest]));
        throw new Error("boom");
      }),
    ).to.throw("boom");
    const broken = { ...m1, party: "0x0" };
    expectCode(() => store.putMessages([m0, broken, m2]), "BAD_INPUT");
    expect(store.session(sid).messages).to.deep.equal([]);
    expect(store.batches.unbatched("Messages")).to.deep.equal([]);
    expect(store.batches.pending()).to.deep.equal([]);
  });

  it("should commit a batch of writes whole when it ends, and nothing of a failed batch", async () => {
    const sid = randomId();
    const [m0, m1, m2] = [await signed(a, sid, 0n), await signed(a, sid, 1n), await signed(a, sid, 2n)];
    const r0 = await receiptOf(b, m0);
    const other = EvidenceStore.open(path, { create: false });
    try {
      await store.batch(async () => {
        store.putMessage(m0);
        await new Promise((resolve) => setImmediate(resolve)); // the batch spans awaits
        store.putReceipt(r0);
        store.putMessage(m1);
        // Inside the batch the writer reads its own writes; another handle sees none before the commit.
        expect(store.session(sid).messages).to.have.length(2);
        expect(other.session(sid).messages).to.deep.equal([]);
      });
      expect(other.session(sid).messages.map((m) => m.header.seq)).to.deep.equal([0n, 1n]);
      expect(other.session(sid).receipts.map((r) => r.digest)).to.deep.equal([r0.digest]);

      const failed = store.batch(async () => {
        store.putMessage(m2);
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error("boom");
      });
      await failed.then(
        () => expect.fail("the batch resolved"),
        (e: unknown) => expect((e as Error).message).to.equal("boom"),
      );
      expect(store.session(sid).messages.map((m) => m.header.seq)).to.deep.equal([0n, 1n]);
      expect(other.session(sid).messages.map((m) => m.header.seq)).to.deep.equal([0n, 1n]);
    } finally {
      other.close();
    }
  });

  it("should keep a refused multi-row write out of a batch that goes on and commits", async () => {
    const sid = randomId();
    const [m0, m1, m2, m3] = [await signed(a, sid, 0n), await signed(a, sid, 1n), await signed(a, sid, 2n), await signed(a, sid, 3n)];
    const broken = { ...m2, party: "0x0" };
    await store.batch(async () => {
      store.putMessage(m0);
      // The caller catches the refusal and carries on: m1, written before the broken one, must not land.
      expectCode(() => store.putMessages([m1, broken]), "BAD_INPUT");
      expect(() =>
        store.transaction(() => {
          store.putMessage(m3);
          throw new Error("boom");
        }),
      ).to.throw("boom");
    });
    expect(store.session(sid).messages.map((m) => m.header.seq)).to.deep.equal([0n]);
  });

  it("should keep committed rows for a second handle while the first stays open", async () => {
    const sid = randomId();
    store.putMessages([await signed(a, sid, 0n), await signed(a, sid, 1n)]);
    const second = EvidenceStore.open(path, { create: false });
    expect(second.session(sid).messages.map((m) => m.header.seq)).to.deep.equal([0n, 1n]);
    second.close();
  });

  it("should keep every committed row and no partial batch after the writer is killed mid-transaction", function () {
    this.timeout(30_000);
    const sid = randomId();
    store.close();
    const tsx = createRequire(import.meta.url).resolve("tsx");
    const child = spawnSync(
      process.execPath,
      ["--import", tsx, fileURLToPath(new URL("./fixtures/crash-writer.ts", import.meta.url))],
      {
        env: { ...process.env, V2G_CRASH_DB: path, V2G_CRASH_COMMITS: "3", V2G_CRASH_SESSION: sid },
        encoding: "utf8",
      },
    );
    expect(child.signal, child.stderr).to.equal("SIGKILL");
    expect(child.stdout).to.contain("committed 3");
    store = EvidenceStore.open(path, { create: false });
    expect(store.session(sid).messages.map((m) => m.header.seq)).to.deep.equal([0n, 1n, 2n]);
    expect(store.batches.pending()).to.deep.equal([]);
    expect(store.batches.unbatched("Messages")).to.have.length(3);
  });

  it("should return a session's messages by party and sequence, with receipts and refusals", async () => {
    const sid = randomId();
    const ms = [
      await signed(a, sid, 2n),
      await signed(a, sid, 0n),
      await signed(a, sid, 10n),
      await signed(a, sid, 1n),
    ];
    store.putMessages(ms);
    store.putReceipt(await receiptOf(b, ms[1]!));
    const s = store.session(sid.toUpperCase().replace("0X", "0x"));
    expect(s.messages.map((m) => m.header.seq)).to.deep.equal([0n, 1n, 2n, 10n]);
    expect(s.receipts).to.have.length(1);
    expect(store.hasSession(sid)).to.equal(true);
    expect(store.hasSession(randomId())).to.equal(false);
  });

  it("should batch unbatched digests, give proofs, and record the anchor once", async () => {
    const sid = randomId();
    const ms = await Promise.all([0n, 1n, 2n].map((s) => signed(a, sid, s)));
    store.putMessages(ms);
    const batch = store.batches.insert("Messages", buildBatch(store.batches.unbatched("Messages")));
    expect(batch.count).to.equal(3);
    expect(store.batches.unbatched("Messages")).to.deep.equal([]);
    expect(store.batches.unbatched("Bundle")).to.have.length(3);
    const [hit] = store.batches.containing(ms[1]!.digest);
    expect(hit?.batch.root).to.equal(batch.root);
    expect(verifyInclusion(batch.root, ms[1]!.digest, hit!.proof)).to.equal(true);
    const anchor = {
      txHash: randomId(),
      blockNumber: 7,
      blockTime: 1_700_000_100,
      chainId: CHAIN_ID,
      ledger: LEDGER,
      submitter: a.address,
    };
    expectCode(() => store.batches.markAnchored(batch.root, { ...anchor, chainId: 1n }), "BAD_INPUT");
    store.batches.markAnchored(batch.root, anchor);
    store.batches.markAnchored(batch.root, anchor);
    expectCode(() => store.batches.markAnchored(batch.root, { ...anchor, txHash: randomId() }), "STORE");
    expect(store.batches.get(batch.root)?.anchor).to.deep.equal({ ...anchor, ledger: LEDGER });
    expect(store.batches.pending()).to.deep.equal([]);
  });

  it("should refuse a store of another domain, a new store without one, and a newer schema", () => {
    expectCode(() => EvidenceStore.open(path, { domain: { ...storeDomain, chainId: 1n } }), "STORE");
    expectCode(() => EvidenceStore.open(join(dir, "new.db")), "STORE");
    expectCode(() => EvidenceStore.open(join(dir, "absent.db"), { create: false }), "NOT_FOUND");
    const db = new DatabaseSync(path);
    db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(STORE_SCHEMA_VERSION + 1);
    db.close();
    expectCode(() => EvidenceStore.open(path), "STORE");
  });

  describe("messages still to anchor, by expiry", () => {
    /** The query of schema version 2 (the expiry read from each message's JSON): the reference. */
    const JSON_QUERY = `SELECT digest, e FROM (SELECT digest, CAST(json_extract(json, '$.header.expiresAt') AS INTEGER) AS e FROM messages)
      WHERE e < ? AND digest NOT IN
      (SELECT l.digest FROM batch_leaves l JOIN batches b USING (root) WHERE b.kind = 0 AND b.tx_hash IS NOT NULL)
      ORDER BY e, digest`;
    const sqlOf = (s: EvidenceStore) => (s as unknown as { sql: { all(q: string, ...p: unknown[]): Record<string, unknown>[] } }).sql;
    const byJson = (s: EvidenceStore, before: bigint) =>
      sqlOf(s).all(JSON_QUERY, Number(before)).map((r) => ({ digest: String(r.digest), expiresAt: BigInt(r.e as number) }));
    const anchorInfo = () => ({ txHash: randomId(), blockNumber: 7, blockTime: 1_700_000_100, chainId: CHAIN_ID, ledger: LEDGER, submitter: a.address });
    /** Issued at `t - 3600`: the message expires at `t`. */
    const expiringAt = (t: bigint, seq = 0n) => signed(a, randomId(), seq, "Csev", t - 3600n);

    it("should list a message expiring at T from T + 1 on, not at T, until an anchored Messages batch holds it", async () => {
      const t = 1_800_000_000n;
      const m = await expiringAt(t);
      store.putMessage(m);
      const due = (before: bigint) => store.batches.unanchoredExpiring(before).map((x) => x.digest);
      expect(due(t)).to.deep.equal([]);
      expect(store.batches.unanchoredExpiring(t + 1n)).to.deep.equal([{ digest: m.digest, expiresAt: t }]);
      // A batch recorded but not anchored, and anchored batches of other kinds, leave it to anchor.
      const messages = store.batches.insert("Messages", buildBatch([m.digest]));
      expect(due(t + 1n)).to.deep.equal([m.digest]);
      const bundle = store.batches.insert("Bundle", buildBatch([m.digest, randomId()]));
      store.batches.markAnchored(bundle.root, anchorInfo());
      expect(due(t + 1n)).to.deep.equal([m.digest]);
      store.batches.markAnchored(messages.root, anchorInfo());
      expect(due(t + 1n)).to.deep.equal([]);
      // A Messages batch anchored before its message was stored holds it as well.
      const late = await expiringAt(t);
      store.batches.markAnchored(store.batches.insert("Messages", buildBatch([late.digest])).root, anchorInfo());
      store.putMessage(late);
      expect(due(t + 1n)).to.deep.equal([]);
      expect(byJson(store, t + 1n)).to.deep.equal([]);
    });

    it("should answer as the JSON query did, soonest first, on random stores and batches (property)", async () => {
      let seed = 20_261_201;
      const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
      const t0 = 1_800_000_000n;
      const ms: SignedMessage[] = [];
      for (let i = 0; i < 40; i++) ms.push(await expiringAt(t0 + BigInt(next(20) * 60), BigInt(i)));
      for (const m of ms) {
        store.putMessage(m);
        if (next(3) === 0) {
          const kind = (["Messages", "Messages", "Receipts", "Bundle"] as const)[next(4)]!;
          const fresh = kind === "Receipts" ? [randomId()] : store.batches.unbatched(kind);
          if (fresh.length > 0) {
            const batch = store.batches.insert(kind, buildBatch(fresh));
            if (next(3) !== 0) store.batches.markAnchored(batch.root, anchorInfo());
          }
        }
        for (const before of [t0, t0 + 1n, t0 + BigInt(next(20) * 60), t0 + BigInt(next(20) * 60) + 1n, t0 + 3_600n]) {
          expect(store.batches.unanchoredExpiring(before)).to.deep.equal(byJson(store, before));
        }
      }
      expect(store.batches.unanchoredExpiring(t0 + 3_600n).length).to.be.within(1, 39);
    });

    it("should find them from the partial index by expiry, without reading every message", () => {
      const plan = sqlOf(store)
        .all("EXPLAIN QUERY PLAN SELECT digest, expires_at AS e FROM messages WHERE anchored = 0 AND expires_at < ? ORDER BY expires_at, digest", 1)
        .map((r) => String(r.detail));
      expect(plan.join("; ")).to.match(/USING COVERING INDEX messages_unanchored_by_expiry \(expires_at<\?\)/);
      expect(plan.join("; ")).not.to.match(/SCAN messages|TEMP B-TREE/);
    });

    it("should migrate a store written by schema version 2: expiries from the JSON, anchored from its batches", async () => {
      const old = join(dir, "v2.db");
      const db = new DatabaseSync(old);
      db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT");
      MIGRATIONS.slice(0, 2).forEach((m, i) => {
        db.exec(m);
        db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(i + 1);
      });
      db.prepare("INSERT INTO meta (key, value) VALUES ('chain_id', ?), ('ledger', ?)").run(CHAIN_ID.toString(), LEDGER);
      // What version 2's putMessage wrote.
      const putV2 = (m: SignedMessage) =>
        db.prepare("INSERT INTO messages (digest, session_id, seq, type, party, nonce, json) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
          m.digest, m.header.sessionId, m.header.seq.toString().padStart(20, "0"), m.type, m.party, m.header.nonce, JSON.stringify(encodeMessage(m)),
        );
      const t = 1_800_000_000n;
      const [anchored, pendingOne, loose, later] = [await expiringAt(t), await expiringAt(t), await expiringAt(t + 60n), await expiringAt(t + 86_400n)];
      for (const m of [anchored!, pendingOne!, loose!, later!]) putV2(m);
      const batch = (root: string, kind: number, txHash: string | null, leaves: string[]) => {
        db.prepare("INSERT INTO batches (root, kind, count, tx_hash) VALUES (?, ?, ?, ?)").run(root, kind, leaves.length, txHash);
        leaves.forEach((d, i) => db.prepare("INSERT INTO batch_leaves (root, position, digest) VALUES (?, ?, ?)").run(root, i, d));
      };
      batch(randomId(), 0, randomId(), [anchored!.digest]);
      batch(randomId(), 0, null, [pendingOne!.digest]);
      batch(randomId(), 3, randomId(), [loose!.digest]);
      db.close();

      const migrated = EvidenceStore.open(old);
      try {
        const version = sqlOf(migrated).all("SELECT max(version) AS v FROM schema_version")[0]!.v;
        expect(version).to.equal(STORE_SCHEMA_VERSION);
        const rows = sqlOf(migrated).all("SELECT digest, expires_at, anchored FROM messages ORDER BY rowid");
        expect(rows.map((r) => [r.digest, BigInt(r.expires_at as number), r.anchored])).to.deep.equal([
          [anchored!.digest, t, 1], [pendingOne!.digest, t, 0], [loose!.digest, t + 60n, 0], [later!.digest, t + 86_400n, 0],
        ]);
        const expected = [pendingOne!, loose!].map((m) => ({ digest: m.digest, expiresAt: m.header.expiresAt }));
        expect(migrated.batches.unanchoredExpiring(t + 61n)).to.deep.equal(expected);
        expect(migrated.batches.unanchoredExpiring(t + 61n)).to.deep.equal(byJson(migrated, t + 61n));
        expect(migrated.batches.unanchoredExpiring(t + 60n).map((m) => m.digest)).to.deep.equal([pendingOne!.digest]);
        // New messages and anchors keep the columns up to date after the migration.
        const fresh = await expiringAt(t);
        migrated.putMessage(fresh);
        const [pendingBatch] = migrated.batches.pending();
        migrated.batches.markAnchored(pendingBatch!.root, anchorInfo());
        expect(migrated.batches.unanchoredExpiring(t + 61n)).to.deep.equal(byJson(migrated, t + 61n));
        expect(migrated.batches.unanchoredExpiring(t + 61n).map((m) => m.digest)).to.have.members([fresh.digest, loose!.digest]);
      } finally {
        migrated.close();
      }
    });
  });
});
