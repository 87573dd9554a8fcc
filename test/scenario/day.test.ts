/**
 * The day of V2G roaming at a small scale (3 suppliers, 4 aggregators, 12 vehicles) on the
 * embedded network served over HTTP: it runs through, its report parses with `reportSchema`, its
 * figures are consistent (sessions by aggregator, load under the feeder limit, money conserved
 * between suppliers, no reverted transaction), the attacks tried during the day were refused with
 * their exact codes, and a second run with the same seed gives the same report except its
 * documented run-specific fields (`withoutRunSpecific`: the wall clock, the bots' claim ids and the
 * seconds of their transactions). Bad options are refused with a typed error and exit code 2.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { serveEmbeddedNetwork } from "../../src/chain/localNode.js";
import { readDeployments } from "../../src/chain/deployAll.js";
import { PaymentBook, PaymentFlow, payRef } from "../../src/charging/billing.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { exitCodeOf, ExitCode } from "../../src/errors.js";
import { chargingDayEnd, withoutRunSpecific } from "../../src/report/runSpecific.js";
import { reportSchema, type DayReport } from "../../src/report/schema.js";
import { dayChainOf } from "../../src/scenario/day/chain.js";
import { DayError } from "../../src/scenario/day/errors.js";
import { parseDayArgs } from "../../src/scenario/day/options.js";
import { createParties } from "../../src/scenario/day/parties.js";
import { SeededRandom } from "../../src/scenario/day/random.js";
import { runDay } from "../../src/scenario/day/runDay.js";
import { settleDay } from "../../src/scenario/day/settlementStep.js";
import { runSmallDay, SMALL } from "./smallDay.js";


/** Paths at which two JSON values differ, with both values (empty when equal). */
function differences(a: unknown, b: unknown, path = ""): string[] {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
}

describe("Scenario: a day of V2G roaming", function () {
  this.timeout(900_000);
  let dir: string;
  let report: DayReport;

  /** One day on a fresh embedded network served on 127.0.0.1 (stopped after the day). */
  const day = (outDir: string) => runSmallDay(outDir);

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "v2g-day-"));
    report = await day(join(dir, "out"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("should run through and return a report that matches its schema", function () {
    expect(() => reportSchema.parse(report)).to.not.throw();
    expect(report.run.scale).to.deep.equal({ suppliers: 3, aggregators: 4, vehicles: 12 });
    expect(report.parties.aggregators.map((a) => a.kind)).to.deep.equal(["home", "work", "public", "visiting"]);
  });

  it("should count the sessions by aggregator, and roaming between every ordered pair of suppliers", function () {
    const s = report.sessions;
    expect(Object.values(s.byAggregator).reduce((a, b) => a + b, 0)).to.equal(s.total);
    expect(s.total).to.be.greaterThan(0);
    expect(s.roaming).to.be.at.most(s.total);
    const pairs = new Set(report.settlement.claims.map((c) => `${c.host}→${c.home}`));
    expect(pairs.size).to.equal(3 * 2);
  });

  it("should never schedule import above the feeder limit", function () {
    const { feederLimitKw, importKw, exportKw } = report.load;
    expect(importKw).to.have.length(96);
    importKw.forEach((k, t) => expect(k, `slot ${t}`).to.be.at.most(feederLimitKw[t]! + 1e-6));
    expect(exportKw.every((k) => k >= 0)).to.equal(true);
  });

  it("should conserve money across the suppliers, and pay the disputed CDR nothing", function () {
    const net = report.settlement.net;
    expect(net.reduce((a, n) => a + BigInt(n.net), 0n)).to.equal(0n);
    expect(net.reduce((a, n) => a + BigInt(n.received), 0n)).to.equal(net.reduce((a, n) => a + BigInt(n.paid), 0n));
    for (const n of net) expect(BigInt(n.net)).to.equal(BigInt(n.received) - BigInt(n.paid));
    expect(report.dispute.outcome).to.equal("upheld");
    expect(report.dispute.amountPaid).to.equal("0");
    // One netter per pair: no transaction of the day reverted.
    expect(report.gas.filter((g) => g.operation.endsWith("(reverted)"))).to.deep.equal([]);
  });

  it("should have refused the replayed response and the second authentication in one scope", function () {
    expect(report.authentication.refused).to.deep.equal({ REPLAYED: 1, DOUBLE_AUTHENTICATION: 1 });
    expect(report.authentication.accepted).to.equal(12);
    expect(report.authentication.attempts).to.equal(14);
    expect(report.authentication.lagLearned.every((a) => a.startsWith("customers of "))).to.equal(true);
    expect(report.timeline.some((e) => e.text.includes("refused until the owner signed an authorisation"))).to.equal(true);
  });

  it("should open the disputed session's escrow only after two arbiters approved", function () {
    expect(report.escrowOpening).to.include({ threshold: 2, approvals: 2, opened: true });
    expect(report.escrowOpening.revealed).to.match(/^the enrolled key of vehicle V\d{3} .*to the arbiters only/);
  });

  it("should leave the deployments file and every party's evidence store, anchored", function () {
    const deployments = readDeployments(report.outputs.deployments);
    expect(deployments.chainId).to.equal(report.run.network.chainId);
    expect(report.evidence.anchoredRoots).to.be.greaterThan(0);
    for (const s of report.evidence.stores) {
      expect(existsSync(s.path), s.path).to.equal(true);
      const store = EvidenceStore.open(s.path, { create: false });
      const c = store.counts();
      store.close();
      expect(c.messages + c.receipts, s.party).to.equal(s.items);
    }
  });

  it("should record every payment signed, receipted by the session's pseudonym and kept by its origin", function () {
    const p = report.payments;
    const stored = (party: string) => {
      const s = report.evidence.stores.find((x) => x.party === party)!;
      const store = EvidenceStore.open(s.path, { create: false });
      try {
        return PaymentBook.paymentsIn(store).map((m) => ({ m, receipts: store.session(m.header.sessionId).receipts.filter((r) => r.receipt.nroDigest === m.digest) }));
      } finally {
        store.close();
      }
    };
    const suppliers = report.parties.suppliers.flatMap((s) => stored(s.id));
    const aggregators = report.parties.aggregators.flatMap((a) => stored(a.id));
    // Flows 0 and 1 are the suppliers' own; flow 2 is the aggregators', each also handed to the pseudonym's supplier.
    const own = [...suppliers.filter((x) => x.m.body.flow !== PaymentFlow.AggregatorToUser), ...aggregators];
    expect(own.length).to.equal(p.receipted).and.to.equal(p.flows.reduce((a, f) => a + f.count, 0));
    for (const { m, receipts } of [...suppliers, ...aggregators]) {
      expect(receipts, m.digest).to.have.length(1);
      expect(receipts[0]!.receiver).to.equal(m.header.receiver);
    }
    const total = (list: { m: SignedMessage<"Payment"> }[], flow: number) => list.filter((x) => x.m.body.flow === flow).reduce((a, x) => a + x.m.body.amount, 0n);
    expect(p.flows.map((f) => f.flow)).to.deep.equal(["energy", "discharge", "ancillary"]);
    expect(p.flows.map((f) => BigInt(f.total))).to.deep.equal([total(suppliers, 0), total(suppliers, 1), total(aggregators, 2)]);
    expect(total(suppliers, 2)).to.equal(total(aggregators, 2));
    expect(p.flows[0]!.count).to.be.greaterThan(0);
    expect(p.flows[2]!.count).to.equal(report.ancillary.pseudonyms);
    expect(p.refused).to.deep.equal({ replayed: 1, "unknown pseudonym": 1 });
    // A roaming session's energy payment is the amount of its host's CDR, which its home supplier holds.
    const cdrs = new Map<string, bigint>();
    for (const s of report.parties.suppliers) {
      const store = EvidenceStore.open(report.evidence.stores.find((x) => x.party === s.id)!.path, { create: false });
      for (const c of store.messagesOfType("ChargeDetailRecord", 0, 10_000).messages) cdrs.set(c.digest, c.body.amount);
      store.close();
    }
    const roaming = suppliers.filter((x) => x.m.body.flow === PaymentFlow.UserToSupplier && cdrs.has(x.m.body.ref));
    expect(roaming.length).to.equal(report.sessions.roaming);
    for (const { m } of roaming) expect(m.body.amount).to.equal(cdrs.get(m.body.ref));
  });

  it("should bill every user from the stored payments, adding up per flow and per supplier", function () {
    const p = report.payments;
    expect(p.bills).to.have.length(report.parties.vehicles);
    const sum = (list: typeof p.bills, k: "energy" | "dischargeCredit" | "ancillaryCredit" | "net") => list.reduce((a, b) => a + BigInt(b[k]), 0n);
    expect([sum(p.bills, "energy"), sum(p.bills, "dischargeCredit"), sum(p.bills, "ancillaryCredit")]).to.deep.equal(p.flows.map((f) => BigInt(f.total)));
    for (const b of p.bills) expect(BigInt(b.net)).to.equal(BigInt(b.energy) - BigInt(b.dischargeCredit) - BigInt(b.ancillaryCredit));
    for (const s of p.suppliers) {
      const mine = p.bills.filter((b) => b.supplier === s.supplier);
      expect(s.customers).to.equal(mine.length);
      expect([s.energy, s.dischargeCredit, s.ancillaryCredit, s.net]).to.deep.equal([sum(mine, "energy"), sum(mine, "dischargeCredit"), sum(mine, "ancillaryCredit"), sum(mine, "net")].map(String));
    }
    expect(sum(p.bills, "ancillaryCredit")).to.equal(BigInt(report.ancillary.incentive));
    expect(p.bills.filter((b) => b.ancillaryCredit !== "0")).to.have.length(report.ancillary.pseudonyms);
  });

  it("should have the aggregators pay the ancillary incentive to pseudonyms only, never naming a user", function () {
    const users = createParties({ ...parseDayArgs([]), ...SMALL }, new SeededRandom(SMALL.seed)).vehicles.map((v) => v.user.address.toLowerCase());
    const named = new Set(users.flatMap((u) => [u, payRef(u)]));
    let incentives = 0;
    for (const a of report.parties.aggregators) {
      const store = EvidenceStore.open(report.evidence.stores.find((x) => x.party === a.id)!.path, { create: false });
      try {
        for (const m of PaymentBook.paymentsIn(store)) {
          expect(m.body.flow).to.equal(PaymentFlow.AggregatorToUser);
          expect(m.body.payee).to.equal(payRef(m.header.receiver!));
          expect(named.has(m.header.receiver!.toLowerCase()) || named.has(m.body.payee)).to.equal(false);
          incentives++;
        }
        // Nothing the aggregator holds names a user's account.
        const all = JSON.stringify([...new Set(PaymentBook.paymentsIn(store).map((m) => m.header.sessionId))].map((id) => store.session(id)), (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)).toLowerCase();
        for (const u of users) expect(all).not.to.contain(u.slice(2));
      } finally {
        store.close();
      }
    }
    expect(incentives).to.equal(report.payments.flows[2]!.count).and.to.be.greaterThan(0);
  });

  it("should give the same report with the same seed, except its run-specific fields", async function () {
    const again = await day(join(dir, "again"));
    const paths = (r: DayReport) => JSON.parse(JSON.stringify(withoutRunSpecific(r)).replaceAll(join(dir, "again"), join(dir, "out")));
    expect(differences(paths(again), withoutRunSpecific(report))).to.deep.equal([]);
    // The bots' part of the timeline is there, only its times and claim ids are blanked.
    const bots = (r: DayReport) => r.timeline.filter((e) => e.phase === "settlement" && e.at > chargingDayEnd(r)).length;
    expect(bots(again)).to.equal(bots(report)).and.to.be.greaterThan(report.settlement.claims.length);
  });

  it("should refuse to run a day on a chain whose clock is past it, before any transaction", async function () {
    const node = await serveEmbeddedNetwork();
    const chain = dayChainOf(node, "embedded");
    try {
      await chain.provider.send("evm_increaseTime", [10 * 365 * 86_400]);
      await chain.provider.send("evm_mine", []);
      const before = await chain.provider.getBlockNumber();
      let error: unknown;
      await runDay({ ...SMALL, outDir: join(dir, "late") }, chain, settleDay).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(DayError);
      expect((error as DayError).code).to.equal("BAD_OPTION");
      expect((error as DayError).message).to.contain("past the simulated day");
      expect(await chain.provider.getBlockNumber()).to.equal(before);
    } finally {
      chain.close?.();
      await node.stop();
    }
  });

  it("should refuse bad options with a typed error and the usage exit code", function () {
    for (const argv of [["--vehicles", "3"], ["--seed", "-1"], ["--frobnicate"], ["--suppliers"], ["--aggregators", "2"], ["--out"]]) {
      let error: unknown;
      try {
        parseDayArgs(argv);
      } catch (e) {
        error = e;
      }
      expect(error, argv.join(" ")).to.be.instanceOf(DayError);
      expect((error as DayError).code).to.equal("BAD_OPTION");
      expect(exitCodeOf(error)).to.equal(ExitCode.Usage);
    }
    expect(parseDayArgs(["--vehicles", "60", "--seed", "3"])).to.include({ vehicles: 60, seed: 3, suppliers: 3 });
  });

  it("should draw the same parties from the same seed, and others from another", function () {
    const o = parseDayArgs([]);
    const a = createParties(o, new SeededRandom(1));
    const b = createParties(o, new SeededRandom(1));
    const c = createParties(o, new SeededRandom(2));
    const ids = (p: typeof a) => p.vehicles.map((v) => `${v.user.address}/${v.aggregator}/${v.home}`);
    expect(ids(a)).to.deep.equal(ids(b));
    expect(ids(a)).to.not.deep.equal(ids(c));
  });
});
