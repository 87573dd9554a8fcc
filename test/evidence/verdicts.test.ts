import { expect } from "chai";
import { anchorNextBatch } from "../../src/evidence/anchor.js";
import { buildBundle, type EvidenceBundle } from "../../src/evidence/bundle.js";
import { RpcChainView, SnapshotChainView, type ChainView } from "../../src/evidence/chainView.js";
import { buildBatch } from "../../src/evidence/merkle.js";
import { signReceipt } from "../../src/evidence/sign.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { verifyBundle, type ItemKind, type Reason } from "../../src/evidence/verify.js";
import { createNetwork } from "../helpers/network.js";
import { randomId } from "./offline.js";
import { freshBundle, sessionFixture, tools, type SessionFixture } from "./session.js";
import { indexOf, resign } from "./tamper.js";

const conn = await createNetwork();
async function baseSession() {
  return sessionFixture(conn);
}
const load = () => conn.networkHelpers.loadFixture(baseSession);

type Expected = { kind: ItemKind; index: number; reasons: Reason[] }[];

async function views(
  f: SessionFixture,
  b: EvidenceBundle,
  which: "both" | "snapshot" = "both",
): Promise<[string, ChainView][]> {
  const snapshot: [string, ChainView] = ["snapshot", new SnapshotChainView(b.chainState!)];
  if (which === "snapshot") return [snapshot];
  return [["rpc", await RpcChainView.connect(conn.ethers.provider, f.fx.ledgerAddress)], snapshot];
}

/** Asserts that exactly the `expected` items are invalid, each with exactly its reasons, under every view. */
async function expectOnly(
  f: SessionFixture,
  b: EvidenceBundle,
  expected: Expected,
  which: "both" | "snapshot" = "both",
) {
  for (const [name, view] of await views(f, b, which)) {
    const verdict = await verifyBundle(b, view);
    const invalid = verdict.items.filter((i) => !i.valid).map(({ kind, index, reasons }) => ({ kind, index, reasons }));
    expect(invalid, `${name} view`).to.deep.equal(expected);
    expect(verdict.ok, `${name} view`).to.equal(false);
    expect(verdict.items.length, `${name} view: every item gets a verdict`).to.equal(
      b.messages.length + b.receipts.length + b.refusals.length + b.batches.length,
    );
  }
}

/** A second session on the same chain with its own store, for cases that need other chain history. */
async function sideSession(f: SessionFixture) {
  const store = EvidenceStore.open(":memory:", {
    domain: { chainId: f.fx.chainId, verifyingContract: f.fx.ledgerAddress },
  });
  const t0 = BigInt(await conn.networkHelpers.time.latest());
  return { store, t: tools(conn, f.fx, store, ":memory:", f.dir, t0), sessionId: randomId() };
}

describe("Evidence verdicts: one reason per tampering", function () {
  this.timeout(60_000);

  it("bad_signature: a changed body, a garbage signature, a changed receipt", async () => {
    const f = await load();
    const b = freshBundle(f);
    const i = indexOf(b, f.messages.csev2.digest);
    (b.messages[i]!.body as { command: number }).command += 1;
    const j = indexOf(b, f.messages.schedule.digest);
    b.messages[j]!.signature = "0x" + "00".repeat(65);
    b.receipts[3]!.receipt.receivedAt += 1n;
    await expectOnly(f, b, [
      ...[i, j]
        .sort((x, y) => x - y)
        .map((index) => ({ kind: "message" as const, index, reasons: ["bad_signature" as Reason] })),
      { kind: "receipt", index: 3, reasons: ["bad_signature"] },
    ]);
  });

  it("key_not_valid_at_signing_time: a message issued before its key became valid", async () => {
    const f = await load();
    const b = freshBundle(f);
    const i = await resign(f, b, f.messages.csev2.digest, { header: { issuedAt: f.t0 - 1000n } });
    await expectOnly(f, b, [{ kind: "message", index: i, reasons: ["key_not_valid_at_signing_time"] }]);
  });

  it("wrong_party: a message signed with a key registered to another participant", async () => {
    const f = await load();
    const b = freshBundle(f);
    const i = await resign(f, b, f.messages.csev2.digest, { key: "meter" });
    await expectOnly(f, b, [{ kind: "message", index: i, reasons: ["wrong_party"] }]);
  });

  it("wrong_party: a refusal attributed to someone other than the origin", async () => {
    const f = await load();
    const b = freshBundle(f);
    b.refusals[0]!.origin = f.fx.participants.aggregator.address;
    await expectOnly(f, b, [{ kind: "refusal", index: 0, reasons: ["wrong_party"] }]);
  });

  it("proof_mismatch: a Merkle proof that does not lead to its root", async () => {
    const f = await load();
    const b = freshBundle(f);
    const batch = b.batches.find((x) => x.proofs.some((p) => p.digest === f.messages.csev2.digest))!;
    batch.proofs.find((p) => p.digest === f.messages.csev2.digest)!.proof[0] = randomId();
    await expectOnly(f, b, [
      { kind: "message", index: indexOf(b, f.messages.csev2.digest), reasons: ["proof_mismatch"] },
    ]);
  });

  it("root_not_anchored: a root missing from the chain state", async () => {
    const f = await load();
    const b = freshBundle(f);
    const gone = b.chainState!.anchors.shift()!;
    const index = b.batches.findIndex((x) => x.root === gone.root);
    await expectOnly(f, b, [{ kind: "anchor", index, reasons: ["root_not_anchored"] }], "snapshot");
  });

  it("root_not_anchored: a store claiming an anchor the ledger never saw, and a refusal the ledger did not record", async () => {
    const f = await load();
    const { store, t, sessionId } = await sideSession(f);
    const m = await t.sign("aggregator", "Csev", sessionId, 0n);
    store.putMessage(m);
    store.putReceipt(await t.receipt("meter", m));
    const batch = store.batches.insert("Messages", buildBatch([m.digest]));
    store.batches.markAnchored(batch.root, {
      txHash: randomId(),
      blockNumber: 1,
      blockTime: Number(t.t0),
      chainId: f.fx.chainId,
      ledger: f.fx.ledgerAddress,
      submitter: f.fx.participants.aggregator.address,
    });
    const b = await buildBundle(store, sessionId, { provider: conn.ethers.provider });
    await expectOnly(f, b, [{ kind: "anchor", index: 0, reasons: ["root_not_anchored"] }]);
    const c = freshBundle(f);
    c.refusals[0]!.deadline += 1;
    await expectOnly(f, c, [{ kind: "refusal", index: 0, reasons: ["root_not_anchored"] }]);
  });

  it("sequence_gap: an origin's message missing from the sequence", async () => {
    const f = await load();
    const b = freshBundle(f);
    b.messages.splice(indexOf(b, f.messages.csev1.digest), 1);
    b.receipts = b.receipts.filter((r) => r.receipt.nroDigest !== f.messages.csev1.digest);
    await expectOnly(f, b, [
      { kind: "message", index: indexOf(b, f.messages.csev2.digest), reasons: ["sequence_gap"] },
    ]);
  });

  it("expired: a message issued after its expiry", async () => {
    const f = await load();
    const b = freshBundle(f);
    const i = await resign(f, b, f.messages.csev2.digest, { header: { expiresAt: f.t0 - 1n } });
    await expectOnly(f, b, [{ kind: "message", index: i, reasons: ["expired"] }]);
  });

  it("expired: a message anchored after its expiry", async () => {
    const f = await load();
    const { store, t, sessionId } = await sideSession(f);
    const now = BigInt(await conn.networkHelpers.time.latest());
    const m = await t.sign("aggregator", "Csev", sessionId, 0n, now, 60n);
    store.putMessage(m);
    store.putReceipt(await t.receipt("meter", m));
    await conn.networkHelpers.time.increase(3600);
    await anchorNextBatch(store, t.account("aggregator"), { kind: "Bundle" });
    const b = await buildBundle(store, sessionId, { provider: conn.ethers.provider });
    await expectOnly(f, b, [{ kind: "message", index: 0, reasons: ["expired"] }]);
  });

  it("replayed: the same message twice, and a party's nonce used twice", async () => {
    const f = await load();
    const b = freshBundle(f);
    b.messages.push(structuredClone(b.messages[indexOf(b, f.messages.reading.digest)]!));
    const schedule = b.messages[indexOf(b, f.messages.schedule.digest)]!;
    const i = await resign(f, b, f.messages.csev2.digest, { header: { nonce: schedule.header.nonce } });
    await expectOnly(f, b, [
      { kind: "message", index: i, reasons: ["replayed"] },
      { kind: "message", index: b.messages.length - 1, reasons: ["replayed"] },
    ]);
  });

  it("missing_receipt: a message with neither a receipt nor a refusal", async () => {
    const f = await load();
    const b = freshBundle(f);
    b.receipts = b.receipts.filter((r) => r.receipt.nroDigest !== f.messages.reading.digest);
    await expectOnly(f, b, [
      { kind: "message", index: indexOf(b, f.messages.reading.digest), reasons: ["missing_receipt"] },
    ]);
  });

  it("wrong_domain: a bundle of another chain than the view's, on every item", async () => {
    const f = await load();
    const b = freshBundle(f);
    b.domain.chainId = 1n;
    const all = (kind: ItemKind, n: number) =>
      Array.from({ length: n }, (_, index) => ({ kind, index, reasons: ["wrong_domain" as Reason] }));
    await expectOnly(f, b, [...all("message", 6), ...all("receipt", 5), ...all("refusal", 1), ...all("anchor", 2)]);
  });

  it("session_mismatch: a message of another session", async () => {
    const f = await load();
    const b = freshBundle(f);
    const i = await resign(f, b, f.messages.csev2.digest, { header: { sessionId: randomId() } });
    await expectOnly(f, b, [{ kind: "message", index: i, reasons: ["session_mismatch"] }]);
  });

  it("root_not_anchored: an anchor attributed to another submitter than the one who anchored it", async () => {
    const f = await load();
    const b = freshBundle(f);
    const other = f.fx.participants.supplierA.address;
    b.batches[0]!.anchor.submitter = other;
    await expectOnly(f, b, [{ kind: "anchor", index: 0, reasons: ["root_not_anchored"] }]);
    // The same lie told in the snapshot too: only the chain can refute it.
    const c = freshBundle(f);
    c.batches[0]!.anchor.submitter = other;
    c.chainState!.anchors.find((a) => a.root === c.batches[0]!.root)!.submitter = other;
    const rpc = await verifyBundle(c, await RpcChainView.connect(conn.ethers.provider, f.fx.ledgerAddress));
    expect(rpc.items.filter((i) => !i.valid).map(({ kind, index, reasons }) => ({ kind, index, reasons }))).to.deep.equal([
      { kind: "anchor", index: 0, reasons: ["root_not_anchored"] },
    ]);
  });

  it("proof_mismatch: a snapshot whose anchor names another submitter than the bundle", async () => {
    const f = await load();
    const b = freshBundle(f);
    const a = b.chainState!.anchors.find((x) => x.root === b.batches[0]!.root)!;
    // Keyed by (submitter, root), the snapshot's record must still be the one the bundle names.
    const view = new SnapshotChainView(b.chainState!);
    const original = view.anchorOf.bind(view);
    view.anchorOf = async (s, r) => {
      const found = await original(s, r);
      return found && found.root === a.root ? { ...found, submitter: f.fx.participants.supplierA.address } : found;
    };
    const verdict = await verifyBundle(b, view);
    expect(verdict.items.filter((i) => !i.valid).map(({ kind, index, reasons }) => ({ kind, index, reasons }))).to.deep.equal([
      { kind: "anchor", index: 0, reasons: ["proof_mismatch"] },
    ]);
  });

  it("message_not_in_bundle: a receipt whose message the bundle does not carry", async () => {
    const f = await load();
    const b = freshBundle(f);
    b.messages.splice(indexOf(b, f.messages.reading.digest), 1);
    const ri = b.receipts.findIndex((r) => r.receipt.nroDigest === f.messages.reading.digest);
    await expectOnly(f, b, [{ kind: "receipt", index: ri, reasons: ["message_not_in_bundle"] }]);
  });

  it("wrong_party: a receipt by another participant than the receiver the message names", async () => {
    const f = await load();
    const b = freshBundle(f);
    const ri = b.receipts.findIndex((r) => r.receipt.nroDigest === f.messages.reading.digest);
    const old = b.receipts[ri]!;
    const squatter = f.fx.participants.supplierA.address;
    b.receipts[ri] = await signReceipt(f.fx.keys.supplierA!, squatter, f.fx.domain, { ...old.receipt, nonce: randomId() });
    await expectOnly(f, b, [{ kind: "receipt", index: ri, reasons: ["wrong_party"] }]);
  });

  it("root_not_anchored: a refusal whose deadline is not the one its message signed", async () => {
    const f = await load();
    const b = freshBundle(f);
    // The refusal and the snapshot agree on a later deadline; the signed header does not.
    b.refusals[0]!.deadline += 600;
    b.chainState!.origins.find((o) => o.digest === b.refusals[0]!.nroDigest)!.receiptDeadline += 600;
    await expectOnly(f, b, [{ kind: "refusal", index: 0, reasons: ["root_not_anchored"] }], "snapshot");
  });
});
