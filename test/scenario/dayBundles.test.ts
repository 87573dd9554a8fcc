/**
 * Evidence nobody can deny, for every session of a day: after a small day, each session's bundle
 * is built from ALL the parties' evidence stores (suppliers, aggregators, metering sites, users)
 * with a snapshot of the chain, and verified offline from the file alone: every item is valid —
 * the pseudonym-signed requests, confirmations and receipts through their certificates, and the
 * short-lived CSEVs because the day anchored them before they expired. Against that: the same
 * evidence anchored once at the end of the day (the old cadence) comes out `expired`, and a bundle
 * without its certificates leaves the pseudonym's items `certificate_missing`. The independent
 * verifier (built from docs/evidence-bundle.md alone) agrees item by item on every bundle, and on
 * every single-field tampering of a session's certificate.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Contract } from "ethers";
import { ParticipantRegistryAbi } from "../../src/chain/abi/index.js";
import { readDeployments } from "../../src/chain/deployAll.js";
import { anchorNextBatch } from "../../src/evidence/anchor.js";
import { buildBundleFrom, type EvidenceBundle } from "../../src/evidence/bundle.js";
import { SnapshotChainView } from "../../src/evidence/chainView.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { verifyBundle, type Verdict } from "../../src/evidence/verify.js";
import type { DayReport } from "../../src/report/schema.js";
import { bothVerdicts, CERTIFICATE_TAMPERINGS, jsonOf, tamperCertificates } from "../evidence/compareVerifiers.js";
import { runSmallDay } from "./smallDay.js";

interface Checked {
  bundle: EvidenceBundle;
  verdict: Verdict;
}

const offline = (b: EvidenceBundle) => verifyBundle(b, new SnapshotChainView(b.chainState!));
const invalid = (v: Verdict) => v.items.filter((i) => !i.valid).map((i) => `${i.kind}#${i.index}: ${i.reasons.join(",")}`);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** Items signed by a party with its own, unregistered key: the session's pseudonym. */
const pseudonymous = (b: EvidenceBundle) => ({
  messages: b.messages.flatMap((m, i) => (same(m.party, m.signer) ? [i] : [])),
  receipts: b.receipts.flatMap((r, i) => (same(r.receiver, r.signer) ? [i] : [])),
});

describe("Scenario: every session's bundle from all the day's stores verifies offline", function () {
  this.timeout(900_000);
  let dir: string;
  let report: DayReport;
  const sessions = new Map<string, Checked>();
  /** A CSEV-steered session's evidence anchored once, after the day, as the old cadence did. */
  let late: Checked & { source: Checked };
  let withoutCertificates: Checked & { source: Checked };

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "v2g-day-bundles-"));
    report = await runSmallDay(join(dir, "out"), async (r, chain) => {
      const stores = r.evidence.stores.map((s) => EvidenceStore.open(s.path, { create: false }));
      try {
        const provider = chain.provider;
        // Every session of the day: each one starts with the vehicle's request.
        const ids = new Set(stores.flatMap((s) => s.messagesOfType("ReqEv", 0, 10_000).messages.map((m) => m.header.sessionId.toLowerCase())));
        for (const id of ids) {
          const bundle = await buildBundleFrom(stores, id, { provider });
          sessions.set(id, { bundle, verdict: await offline(bundle) });
        }

        const steered = [...sessions.values()].find((c) => c.bundle.messages.some((m) => m.type === "Csev"))!;
        const copy = EvidenceStore.open(join(dir, "late.sqlite"), { domain: { chainId: steered.bundle.domain.chainId, verifyingContract: steered.bundle.domain.verifyingContract } });
        try {
          copy.putMessages(steered.bundle.messages);
          copy.putReceipts(steered.bundle.receipts);
          for (const c of steered.bundle.certificates) copy.certificates.put(c);
          const registry = new Contract(readDeployments(r.outputs.deployments).contracts.ParticipantRegistry.address, ParticipantRegistryAbi, chain.operator);
          await (await registry.grantRole!(await registry.SUBMITTER_ROLE!(), await chain.operator.getAddress())).wait();
          await anchorNextBatch(copy, chain.operator, { kind: "Messages" });
          await anchorNextBatch(copy, chain.operator, { kind: "Receipts" });
          const bundle = await buildBundleFrom([copy], steered.bundle.sessionId, { provider });
          late = { bundle, verdict: await offline(bundle), source: steered };
        } finally {
          copy.close();
        }

        const certified = [...sessions.values()].find((c) => c.bundle.certificates.length > 0)!;
        const bare = { ...certified.bundle, certificates: [] };
        withoutCertificates = { bundle: bare, verdict: await offline(bare), source: certified };
      } finally {
        stores.forEach((s) => s.close());
      }
    });
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("should find every session of the day, the roaming ones and the disputed one among them", function () {
    const vehicles = report.run.scale.vehicles;
    expect(sessions.size).to.equal(vehicles);
    const roaming = [...sessions.values()].filter((c) => c.bundle.messages.some((m) => m.type === "ChargeDetailRecord"));
    expect(roaming.length).to.be.greaterThan(0);
    expect(sessions.has(report.dispute.sessionId.toLowerCase())).to.equal(true);
  });

  it("should verify every item of every session's bundle offline, pseudonym-signed and short-lived ones included", function () {
    let pseudonymItems = 0;
    let csevs = 0;
    for (const [id, { bundle, verdict }] of sessions) {
      expect(invalid(verdict), id).to.deep.equal([]);
      expect(verdict.ok, id).to.equal(true);
      const p = pseudonymous(bundle);
      pseudonymItems += p.messages.length + p.receipts.length;
      if (p.messages.length > 0) expect(bundle.certificates, id).to.have.length(1);
      csevs += bundle.messages.filter((m) => m.type === "Csev").length;
    }
    // Not vacuous: the day's bundles hold pseudonym-signed evidence and CSEVs that live 300 s.
    expect(pseudonymItems).to.be.greaterThan(3 * sessions.size);
    expect(csevs).to.be.greaterThan(sessions.size);
  });

  it("should anchor the disputed session's bundle whole, rebilled CDR included", function () {
    const disputed = sessions.get(report.dispute.sessionId.toLowerCase())!;
    expect(disputed.bundle.messages.some((m) => same(m.digest, report.dispute.cdrDigest))).to.equal(true);
    const anchored = new Set(disputed.bundle.batches.flatMap((b) => b.proofs.map((p) => p.digest.toLowerCase())));
    for (const m of disputed.bundle.messages) expect(anchored.has(m.digest.toLowerCase()), `${m.type} ${m.digest}`).to.equal(true);
  });

  it("should find the same evidence anchored once after the day, as the old cadence did, expired", function () {
    const anchoredAt = late.bundle.batches.find((b) => b.kind === 0)!.anchor.blockTime;
    const expected = late.bundle.messages.flatMap((m, i) => (m.header.expiresAt < BigInt(anchoredAt) ? [`message#${i}: expired`] : []));
    expect(late.bundle.messages.filter((m) => m.type === "Csev").every((m) => m.header.expiresAt < BigInt(anchoredAt))).to.equal(true);
    expect(expected.length).to.be.greaterThan(0);
    expect(invalid(late.verdict)).to.deep.equal(expected);
    expect(invalid(late.source.verdict)).to.deep.equal([]);
  });

  it("should leave a pseudonym's items certificate_missing in a bundle without its certificate, and nothing else", function () {
    const { bundle, verdict, source } = withoutCertificates;
    const p = pseudonymous(bundle);
    const expected = [...p.messages.map((i) => `message#${i}: certificate_missing`), ...p.receipts.map((i) => `receipt#${i}: certificate_missing`)];
    expect(expected.length).to.be.greaterThan(2);
    expect(invalid(verdict)).to.deep.equal(expected);
    expect(invalid(source.verdict)).to.deep.equal([]);
  });

  it("should get the same verdicts from the independent verifier on every bundle, and on each tampering of a certificate", async function () {
    for (const [id, { bundle }] of sessions) {
      const r = (await bothVerdicts(jsonOf(bundle)))!;
      expect(r.ok, id).to.equal(true);
      expect(r.theirs, id).to.deep.equal(r.ours);
    }
    const [certified, other] = [...sessions.values()].filter((c) => c.bundle.certificates.length > 0);
    const base = jsonOf(certified!.bundle);
    const otherJson = jsonOf(other!.bundle);
    expect(await tamperCertificates(base, otherJson)).to.have.length(CERTIFICATE_TAMPERINGS.length);
  });
});
