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
import { STORE_SCHEMA_VERSION } from "../../src/evidence/storeDb.js";
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
});
