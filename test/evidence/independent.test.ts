/**
 * The documentation is enough to build a verifier: `independentVerifier.ts` (ethers and
 * @openzeppelin/merkle-tree only, type strings parsed from docs/evidence-bundle.md) must agree
 * with `verifyBundle` on every item of the demo session's bundle, of a hundred mutated copies
 * of it, and of the version 1 bundle kept as a fixture.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, isAddress } from "ethers";
import { bundleToJson, parseBundle } from "../../src/evidence/bundle.js";
import { SnapshotChainView } from "../../src/evidence/chainView.js";
import { EvidenceError } from "../../src/evidence/errors.js";
import { verifyBundle } from "../../src/evidence/verify.js";
import { runEvidenceSession } from "../../src/scenario/evidenceSession.js";
import { createNetwork } from "../helpers/network.js";
import { readDocSpec, verifyIndependently } from "./independentVerifier.js";
import { at, type Json } from "../helpers/json.js";

const spec = readDocSpec(join(import.meta.dirname, "..", "..", "docs", "evidence-bundle.md"));

/** Both verdicts of a bundle JSON, or null when the file is not a valid bundle at all. */
async function both(json: Json) {
  let bundle;
  try {
    bundle = parseBundle(json);
  } catch (e) {
    if (e instanceof EvidenceError && e.code === "BUNDLE_SCHEMA") return null;
    throw e;
  }
  const ours = await verifyBundle(bundle, new SnapshotChainView(bundle.chainState!));
  return {
    ok: ours.ok,
    ours: ours.items.map(({ kind, index, reasons }) => ({ kind, index, reasons: [...reasons].sort() })),
    theirs: verifyIndependently(spec, json),
  };
}

/** Every leaf of the parts of a bundle a mutation may touch, as a path. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [path];
}

function mutateLeaf(json: Json, path: (string | number)[], seed: number, addresses: string[]): void {
  const parent = at(json, path.slice(0, -1));
  const key = path[path.length - 1]!;
  const v = parent[key];
  if (typeof v === "number") parent[key] = v + 1 + (seed % 3);
  else if (typeof v === "string" && isAddress(v) && v.length === 42) parent[key] = addresses[seed % addresses.length] === v ? addresses[(seed + 1) % addresses.length] : addresses[seed % addresses.length];
  else if (typeof v === "string" && /^0x[0-9a-f]+$/.test(v)) {
    const i = 2 + (seed % (v.length - 2));
    parent[key] = v.slice(0, i) + ((parseInt(v[i]!, 16) + 1) % 16).toString(16) + v.slice(i + 1);
  } else if (typeof v === "string" && /^[0-9]+$/.test(v)) parent[key] = (BigInt(v) + 1n + BigInt(seed % 3)).toString();
  else if (Array.isArray(parent) && seed % 2 === 0) parent.splice(Number(key), 1);
}

describe("An independent verifier built from the documentation", function () {
  this.timeout(120_000);
  let base: Json;
  let addresses: string[];

  before(async () => {
    const conn = await createNetwork();
    const session = await runEvidenceSession(await conn.ethers.getSigners(), () => {}, async (s) => {
      await conn.networkHelpers.time.increase(s);
    });
    base = JSON.parse(JSON.stringify(bundleToJson(session.bundle)));
    addresses = [...new Set(leaves(base).map((p) => at(base, p)).filter((v) => typeof v === "string" && isAddress(v) && v.length === 42))].map((a) => getAddress(a as string));
  });

  it("should read every type of both versions and every message code from the docs", () => {
    expect(Object.keys(spec.types).sort()).to.deep.equal(["1", "2"]);
    expect(Object.keys(spec.codes)).to.have.length(7);
    for (const name of Object.keys(spec.codes)) expect(spec.types["2"]![`${name}Body`], name).to.be.an("array");
    expect(spec.types["2"]!.Header!.map((f) => f.name)).to.include.members(["receiver", "receiptDeadline"]);
  });

  it("should agree on the demo session's bundle: every item valid", async () => {
    const r = (await both(base))!;
    expect(r.ok).to.equal(true);
    expect(r.theirs).to.deep.equal(r.ours);
  });

  it("should agree item by item on mutated bundles (property)", async () => {
    const paths = leaves(base).filter((p) => ["messages", "receipts", "refusals", "batches", "chainState", "sessionId"].includes(String(p[0])));
    let compared = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: paths.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 3 }), async (at, seed, count) => {
        const json = structuredClone(base);
        for (let k = 0; k < count; k++) mutateLeaf(json, paths[(at + k * 17) % paths.length]!, seed + k, addresses);
        const r = await both(json);
        if (r === null) return;
        compared++;
        if (!r.ok) invalid++;
        expect(r.theirs, JSON.stringify(paths[at])).to.deep.equal(r.ours);
      }),
      { numRuns: 100 },
    );
    // The comparison is not vacuous: most mutated files load, and most of those are invalid.
    expect(compared).to.be.greaterThan(50);
    expect(invalid).to.be.greaterThan(30);
  });

  it("should agree on targeted tampering: submitter, receipts of absent messages, another domain", async () => {
    const cases: ((j: Json) => void)[] = [
      (j) => (j.batches[0].anchor.submitter = addresses.find((a) => a !== j.batches[0].anchor.submitter)),
      (j) => j.messages.splice(0, 1),
      (j) => (j.domain.chainId = "1"),
      (j) => (j.messages[0].header.receiver = addresses.find((a) => a !== j.messages[0].header.receiver)),
      (j) => j.receipts.push(structuredClone(j.receipts[0])),
      (j) => j.refusals.push(structuredClone(j.refusals[0])),
    ];
    for (const [i, tamper] of cases.entries()) {
      const json = structuredClone(base);
      tamper(json);
      const r = (await both(json))!;
      expect(r, `case ${i}`).to.not.equal(null);
      expect(r.ok, `case ${i}`).to.equal(false);
      expect(r.theirs, `case ${i}`).to.deep.equal(r.ours);
    }
  });

  it("should agree on the version 1 bundle", async () => {
    const v1 = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "bundle-v1.json"), "utf8")) as Json;
    const r = (await both(v1))!;
    expect(r.ok).to.equal(true);
    expect(r.theirs).to.deep.equal(r.ours);
    const changed = structuredClone(v1);
    changed.messages[1].body.amount = (BigInt(changed.messages[1].body.amount) + 1n).toString();
    const t = (await both(changed))!;
    expect(t.ok).to.equal(false);
    expect(t.theirs).to.deep.equal(t.ours);
  });
});
