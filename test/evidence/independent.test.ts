/**
 * The documentation is enough to build a verifier: `independentVerifier.ts` (ethers and
 * @openzeppelin/merkle-tree only, type strings parsed from docs/evidence-bundle.md) must agree
 * with `verifyBundle` on every item of the demo session's bundle, of a hundred mutated copies
 * of it, and of the version 1 bundle kept as a fixture; and, for pseudonym certificates, on a
 * pseudonymous session's bundle, on each single-field tampering of its certificate (the same
 * reason from both) and on mutated copies of it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, isAddress } from "ethers";
import { bundleToJson } from "../../src/evidence/bundle.js";
import { runEvidenceSession } from "../../src/scenario/evidenceSession.js";
import { createNetwork } from "../helpers/network.js";
import { bothVerdicts as both, CERTIFICATE_TAMPERINGS, docSpec as spec, jsonOf, tamperCertificates } from "./compareVerifiers.js";
import { at, type Json } from "../helpers/json.js";
import { pseudonymSession } from "./pseudonymSession.js";
import { sessionTools } from "./session.js";

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

/** Addresses of a bundle, to swap one for another. */
const addressesOf = (json: Json) =>
  [...new Set(leaves(json).map((p) => at(json, p)).filter((v) => typeof v === "string" && isAddress(v) && v.length === 42))].map((a) => getAddress(a as string));

/**
 * Mutates 1 to 3 leaves of `base` among `paths`, `runs` times: both verifiers agree item by item on
 * every copy that loads. Not vacuous: at least `least.compared` copies load, `least.invalid` of them invalid.
 */
async function agreeOnMutations(base: Json, paths: (string | number)[][], addresses: string[], least: { runs: number; compared: number; invalid: number }) {
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
    { numRuns: least.runs },
  );
  expect(compared).to.be.greaterThan(least.compared);
  expect(invalid).to.be.greaterThan(least.invalid);
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
    addresses = addressesOf(base);
  });

  it("should read every type of both versions, every message code and the certificate from the docs", () => {
    expect(Object.keys(spec.types).sort()).to.deep.equal(["1", "2"]);
    expect(spec.certificate.fields.map((f) => f.name)).to.deep.equal(["pseudonym", "supplier", "group", "validFrom", "validUntil", "nonce"]);
    expect([spec.certificate.name, spec.certificate.version]).to.deep.equal(["V2G Smart Charging", "1"]);
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
    await agreeOnMutations(base, paths, addresses, { runs: 100, compared: 50, invalid: 30 });
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

describe("An independent verifier built from the documentation: pseudonym certificates", function () {
  this.timeout(180_000);
  let base: Json;
  let other: Json;
  let pseudonym: string;

  before(async () => {
    const t = await sessionTools(await createNetwork());
    const s = await pseudonymSession(t);
    base = jsonOf(s.bundle);
    pseudonym = s.key.address;
    // Another session, another pseudonym, the same supplier: its certificate is genuine, but not this session's.
    other = jsonOf((await pseudonymSession(t)).bundle);
  });

  /** The verdicts of the pseudonym's items (its two messages and its receipt), as `kind#index: reasons`. */
  const ofPseudonym = (json: Json, items: { kind: string; index: number; reasons: string[] }[]) => {
    const mine = (a: string) => a.toLowerCase() === pseudonym.toLowerCase();
    const indices = new Set([
      ...(json.messages as Json[]).flatMap((m, i) => (mine(m.party) ? [`message#${i}`] : [])),
      ...(json.receipts as Json[]).flatMap((r, i) => (mine(r.receiver) ? [`receipt#${i}`] : [])),
    ]);
    return items.filter((i) => indices.has(`${i.kind}#${i.index}`)).map((i) => `${i.kind}#${i.index}: ${i.reasons.join(",")}`);
  };

  it("should agree on a pseudonymous session's bundle: its certificate vouches for every pseudonym-signed item", async () => {
    expect(base.schema).to.equal("v2g-evidence-bundle/3");
    expect(base.certificates).to.have.length(1);
    const r = (await both(base))!;
    expect(r.ok).to.equal(true);
    expect(r.theirs).to.deep.equal(r.ours);
    expect(ofPseudonym(base, r.theirs)).to.have.length(3);
  });

  it("should agree, with the same reason, on every single-field tampering of the certificate", async () => {
    const tampered = await tamperCertificates(base, other);
    expect(tampered).to.have.length(CERTIFICATE_TAMPERINGS.length);
    for (const { name, reason, json, verdicts } of tampered) {
      // Every item of the pseudonym relies on its certificate, and only those do.
      const mine = ofPseudonym(json, verdicts.ours);
      expect(mine, name).to.have.length(3);
      expect(mine.some((i) => i.includes(reason)), `${name}: ${mine.join("; ")}`).to.equal(true);
      const others = verdicts.ours.filter((i) => i.reasons.length > 0 && !mine.some((m) => m.startsWith(`${i.kind}#${i.index}:`)));
      expect(others, name).to.deep.equal([]);
    }
  });

  it("should agree item by item on mutated certificate-bearing bundles (property)", async () => {
    const paths = leaves(base).filter((p) => ["certificates", "messages", "receipts", "chainState"].includes(String(p[0])));
    const certificatePaths = paths.filter((p) => p[0] === "certificates" || (p[0] === "chainState" && ["suppliers", "keys", "registry"].includes(String(p[1]))));
    expect(certificatePaths.length).to.be.greaterThan(8);
    await agreeOnMutations(base, certificatePaths, addressesOf(base).concat(addressesOf(other)), { runs: 100, compared: 50, invalid: 30 });
    await agreeOnMutations(base, paths, addressesOf(base), { runs: 60, compared: 30, invalid: 15 });
  });
});
