import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import {
  buildBundle,
  bundleToJson,
  parseBundle,
  querySession,
  readBundle,
  writeBundle,
  BUNDLE_SCHEMA_ID,
} from "../../src/evidence/bundle.js";
import { RpcChainView, SnapshotChainView } from "../../src/evidence/chainView.js";
import { EvidenceError } from "../../src/evidence/errors.js";
import { verifyInclusion } from "../../src/evidence/merkle.js";
import { verifyBundle } from "../../src/evidence/verify.js";
import { createNetwork } from "../helpers/network.js";
import { randomId } from "./offline.js";
import { sessionFixture } from "./session.js";
import type { Json } from "../helpers/json.js";

const conn = await createNetwork();
async function baseSession() {
  return sessionFixture(conn);
}
const load = () => conn.networkHelpers.loadFixture(baseSession);

async function rejects(p: Promise<unknown>, code: string): Promise<EvidenceError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(EvidenceError);
    expect((e as EvidenceError).code).to.equal(code);
    return e as EvidenceError;
  }
  return expect.fail(`expected EvidenceError ${code}`);
}

function schemaError(json: unknown): EvidenceError {
  try {
    parseBundle(json);
  } catch (e) {
    expect((e as EvidenceError).code).to.equal("BUNDLE_SCHEMA");
    return e as EvidenceError;
  }
  return expect.fail("expected BUNDLE_SCHEMA");
}

describe("Evidence bundles", function () {
  this.timeout(60_000);

  it("should build, write, reload and verify a real session as valid with both chain views", async () => {
    const f = await load();
    const path = join(f.dir, "bundle.json");
    writeBundle(path, f.bundle);
    const loaded = readBundle(path);
    expect(loaded).to.deep.equal(f.bundle);
    expect(loaded.schema).to.equal(BUNDLE_SCHEMA_ID);
    const views = [
      await RpcChainView.connect(conn.ethers.provider, f.fx.ledgerAddress),
      new SnapshotChainView(loaded.chainState!),
    ];
    for (const view of views) {
      const verdict = await verifyBundle(loaded, view);
      expect(verdict.items.filter((i) => !i.valid)).to.deep.equal([]);
      expect(verdict.ok).to.equal(true);
      expect(verdict.summary.byKind).to.deep.equal({
        message: { valid: 6, invalid: 0 },
        receipt: { valid: 5, invalid: 0 },
        refusal: { valid: 1, invalid: 0 },
        anchor: { valid: 2, invalid: 0 },
      });
    }
  });

  it("should carry a proof of every digest to an anchored root, and the chain's records", async () => {
    const { bundle } = await load();
    const digests = [...bundle.messages, ...bundle.receipts].map((x) => x.digest);
    const proven = bundle.batches.flatMap((b) =>
      b.proofs.filter((p) => verifyInclusion(b.root, p.digest, p.proof)).map((p) => p.digest),
    );
    expect(proven).to.have.members(digests);
    const state = bundle.chainState!;
    expect(state.anchors.map((a) => a.root)).to.have.members(bundle.batches.map((b) => b.root));
    expect(state.keys.map((k) => k.key)).to.have.members([
      ...new Set([...bundle.messages, ...bundle.receipts].map((x) => x.signer)),
    ]);
    expect(state.origins.map((o) => o.status)).to.have.members([2, 3]);
    expect(state.receipts).to.have.length(1);
    expect(bundle.refusals[0]?.txHash).to.match(/^0x[0-9a-f]{64}$/);
    for (const b of bundle.batches)
      expect(b.anchor.blockTime).to.equal(state.anchors.find((a) => a.root === b.root)?.anchoredAt);
  });

  it("should answer an unknown session with an explicit not-found", async () => {
    const { store } = await load();
    const id = randomId();
    expect(querySession(store, id)).to.deep.equal({ found: false, sessionId: id });
    await rejects(buildBundle(store, id), "NOT_FOUND");
  });

  it("should build a bundle without chain access that verifies against a node", async () => {
    const f = await load();
    const bundle = await buildBundle(f.store, f.sessionId);
    expect(bundle.chainState).to.equal(null);
    const verdict = await verifyBundle(bundle, await RpcChainView.connect(conn.ethers.provider, f.fx.ledgerAddress));
    expect(verdict.ok).to.equal(true);
  });

  it("should reject schema-invalid bundles with BUNDLE_SCHEMA and the zod issues", async () => {
    const f = await load();
    const json = () => JSON.parse(f.bundleJson) as Json;
    const cases: [string, (j: Json) => void][] = [
      ["schema", (j) => (j.schema = "v2g-evidence-bundle/4")],
      ["domain.version", (j) => (j.domain.version = "1")],
      ["messages.0.header", (j) => delete j.messages[0].header.receiver],
      ["messages.0.header", (j) => delete j.messages[0].header.receiptDeadline],
      // A file means one thing to every reader: no list of the chain's answers repeats an entry.
      ["chainState.anchors.2", (j) => j.chainState.anchors.push({ ...j.chainState.anchors[0], count: 99 })],
      ["chainState.keys.4", (j) => j.chainState.keys.push({ ...j.chainState.keys[0], validUntil: 1 })],
      ["chainState.origins.2", (j) => j.chainState.origins.push({ ...j.chainState.origins[0], status: 1 })],
      ["chainState.receipts.1", (j) => j.chainState.receipts.push({ ...j.chainState.receipts[0], receiver: j.chainState.keys[0].participant })],
      ["messages", (j) => delete j.messages],
      ["(root)", (j) => (j.extra = true)],
      ["messages.0.digest", (j) => (j.messages[0].digest = "0x1234")],
      ["domain.chainId", (j) => (j.domain.chainId = 31337)],
      ["batches.0.proofs.0.proof.0", (j) => (j.batches[0].proofs[0].proof[0] = "nope")],
      [
        "chainState.keys.0.participant",
        (j) => (j.chainState.keys[0].participant = j.chainState.keys[0].participant.toLowerCase()),
      ],
    ];
    for (const [path, tamper] of cases) {
      const j = json();
      tamper(j);
      const e = schemaError(j);
      const paths = (e.details.issues as { path: (string | number)[] }[]).map((i) => i.path.join(".") || "(root)");
      expect(paths, path).to.include(path);
    }
    const file = join(f.dir, "not-json.json");
    writeFileSync(file, "{ this is not json");
    expect(() => readBundle(file))
      .to.throw(EvidenceError)
      .with.property("code", "BUNDLE_SCHEMA");
    expect(parseBundle(JSON.parse(JSON.stringify(bundleToJson(f.bundle))))).to.deep.equal(f.bundle);
  });

  it("should still verify a version 1 bundle (signed before the type table's version 2) offline", () => {
    const v1 = readBundle(join(import.meta.dirname, "fixtures", "bundle-v1.json"));
    expect(v1.schema).to.equal("v2g-evidence-bundle/1");
    expect(v1.domain.version).to.equal("1");
    expect(v1.messages.every((m) => m.header.receiver === undefined)).to.equal(true);
    return verifyBundle(v1, new SnapshotChainView(v1.chainState!)).then((verdict) => {
      expect(verdict.items.filter((i) => !i.valid)).to.deep.equal([]);
      expect(verdict.summary.items).to.equal(13);
      expect(verdict.ok).to.equal(true);
    });
  });

  it("should refuse a version 1 bundle whose message was changed", async () => {
    const v1 = readBundle(join(import.meta.dirname, "fixtures", "bundle-v1.json"));
    v1.messages[0]!.header.seq += 1n;
    const verdict = await verifyBundle(v1, new SnapshotChainView(v1.chainState!));
    expect(verdict.items[0]!.reasons).to.include("bad_signature");
    expect(verdict.ok).to.equal(false);
  });
});
