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
import { dirname, join } from "node:path";
import { expect } from "chai";
import { serveEmbeddedNetwork } from "../../src/chain/localNode.js";
import { readDeployments } from "../../src/chain/deployAll.js";
import { amountAt, homeBill, PaymentBook, PaymentFlow, payRef } from "../../src/charging/billing.js";
import { ArtefactStore } from "../../src/charging/artefactStore.js";
import { checkContinuity } from "../../src/charging/ocmf/continuity.js";
import { verifyOcmf } from "../../src/charging/ocmf/verify.js";
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
import { summaryLines } from "../../src/scenario/day/summary.js";
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

  describe("the host user's home bill", function () {
    /** `run` on the stored evidence of `party` (read-only), closed after. */
    const withStore = <T>(party: string, run: (store: EvidenceStore) => T): T => {
      const store = EvidenceStore.open(report.evidence.stores.find((x) => x.party === party)!.path, { create: false });
      try {
        return run(store);
      } finally {
        store.close();
      }
    };
    const parties = () => createParties({ ...parseDayArgs([]), ...SMALL }, new SeededRandom(SMALL.seed));
    const supplierAddress = (id: string) => report.parties.suppliers.find((s) => s.id === id)!.address;
    /** The home bill's payment, its smart meter's readings and its CDRs, as the host's supplier stored them. */
    const stored = () =>
      withStore(report.homeBill.supplier, (store) => {
        const payment = store.message(report.homeBill.payment!) as SignedMessage<"Payment"> | null;
        expect(payment, "the home bill's payment is in its supplier's store").to.not.equal(null);
        const home = store.session(payment!.header.sessionId);
        const readings = home.messages.filter((m): m is SignedMessage<"MeterReading"> => m.type === "MeterReading").sort((a, b) => Number(a.header.seq - b.header.seq));
        const cdrs = report.homeBill.cdrs.map((d) => store.message(d) as SignedMessage<"ChargeDetailRecord">);
        const receipts = home.receipts;
        return { payment: payment!, readings, cdrs, receipts };
      });

    it("should bill the host's home its smart-meter total minus the guest's roaming energy, to the Wh, from the stored evidence", function () {
      const h = report.homeBill;
      const { payment, readings, cdrs, receipts } = stored();
      const totalWh = readings[readings.length - 1]!.body.importWh - readings[0]!.body.importWh;
      const roamingWh = cdrs.reduce((a, c) => a + c.body.energyWh, 0n);
      expect(cdrs).to.have.length(1);
      expect(roamingWh).to.be.greaterThan(0n);
      expect([totalWh, roamingWh, totalWh - roamingWh]).to.deep.equal([h.meterTotalWh, h.roamingWh, h.billedWh].map(BigInt));
      expect(payment.body.amount).to.equal(amountAt((totalWh - roamingWh) * 1000n, BigInt(h.pricePerKwh))).and.to.equal(BigInt(h.amount));
      expect(homeBill({ readings, roaming: cdrs, hostSupplier: supplierAddress(h.supplier), priceMicroPerKwh: BigInt(h.pricePerKwh) }).amount).to.equal(payment.body.amount);
      // The host user pays its supplier, and receipted the bill and every reading it is computed from.
      const owner = parties().vehicles.find((v) => v.id === h.host)!;
      expect(payment.body).to.include({ flow: PaymentFlow.UserToSupplier, payer: payRef(owner.user.address), payee: payRef(supplierAddress(h.supplier)) });
      for (const m of [payment, ...readings]) {
        expect(receipts.filter((r) => r.receipt.nroDigest === m.digest).map((r) => r.receiver.toLowerCase()), m.type).to.deep.equal([owner.user.address.toLowerCase()]);
      }
      expect(h.householdWh).to.be.greaterThan(5_000);
      expect(h.billedWh).to.equal(h.householdWh + h.ownVehicleWh);
    });

    it("should meter the home with OCMF records that verify under the meter's key and are continuous, and refuse them changed", function () {
      const { readings } = stored();
      const dir = dirname(report.evidence.stores.find((x) => x.party === report.homeBill.supplier)!.path);
      const artefacts = ArtefactStore.open(join(dir, `supplier-${report.homeBill.supplier}-ocmf.sqlite`));
      let raws: string[];
      try {
        raws = readings.map((r) => artefacts.get(r.body.ocmfHash)!.body);
      } finally {
        artefacts.close();
      }
      expect(raws).to.have.length(report.homeBill.meter.records).and.to.have.length(report.homeBill.meter.readings);
      const key = report.homeBill.meter.publicKey;
      const verdicts = raws.map((raw) => verifyOcmf(raw, key));
      for (const v of verdicts) expect(v.valid).to.equal(true);
      const valid = verdicts as Extract<(typeof verdicts)[number], { valid: true }>[];
      valid.forEach((v, i) => expect(v.recordHash).to.equal(readings[i]!.body.ocmfHash));
      const { issues, readings: summary } = checkContinuity(valid);
      expect(issues).to.deep.equal([]);
      expect(summary!.endWh - summary!.startWh).to.equal(report.homeBill.meterTotalWh);
      // A record with its value changed no longer verifies; one left out is a pagination gap.
      const middle = raws[5]!;
      const value = /"RV":(\d+)/.exec(middle)![1]!;
      const changed = verifyOcmf(middle.replace(`"RV":${value}`, `"RV":${Number(value) - 500}`), key);
      expect(changed.valid).to.equal(false);
      expect(checkContinuity([...valid.slice(0, 5), ...valid.slice(6)]).issues.map((i) => i.kind)).to.deep.equal(["pagination-gap"]);
    });

    it("should serve one vehicle at a time at the home charger: the guest leaves before the owner's vehicle comes home (seeds 1–40)", function () {
      for (let seed = 1; seed <= 40; seed++) {
        const p = createParties({ ...parseDayArgs([]), ...SMALL, seed }, new SeededRandom(seed));
        const owner = p.vehicles[p.homeHost.owner]!;
        const guest = p.vehicles[p.homeHost.guest]!;
        expect(guest.aggregator, `seed ${seed}`).to.equal(owner.aggregator);
        expect(guest.arrivalSlot, `seed ${seed}`).to.be.at.least(0).and.lessThan(guest.departureSlot);
        expect(guest.departureSlot, `seed ${seed}`).to.be.at.most(owner.arrivalSlot);
      }
    });

    it("should show the home bill in the summary: meter total, roaming energy excluded, billed energy", function () {
      const h = report.homeBill;
      const lines = summaryLines(report).filter((l) => l.includes("home bill of"));
      expect(lines).to.have.length(1);
      for (const wh of [h.meterTotalWh, h.roamingWh, h.billedWh]) expect(lines[0]).to.contain(`${(wh / 1000).toFixed(3)} kWh`);
      expect(lines[0]).to.contain(h.host).and.to.contain(h.guest);
    });

    it("should put the guest's energy on one bill only, the guest's at its own supplier, and claim it between the suppliers", function () {
      const h = report.homeBill;
      const { cdrs } = stored();
      const cdr = cdrs[0]!;
      expect(h.guestSupplier).to.not.equal(h.supplier);
      expect(cdr.body.hostSupplier).to.equal(supplierAddress(h.supplier));
      expect(cdr.body.homeSupplier).to.equal(supplierAddress(h.guestSupplier));
      const all = report.parties.suppliers.flatMap((s) => withStore(s.id, (store) => PaymentBook.paymentsIn(store).map((m) => ({ supplier: s.id, m }))));
      const forCdr = all.filter((x) => x.m.body.ref === cdr.digest);
      const guest = parties().vehicles.find((v) => v.id === h.guest)!;
      const owner = parties().vehicles.find((v) => v.id === h.host)!;
      expect(forCdr.map((x) => x.supplier)).to.deep.equal([h.guestSupplier]);
      expect(forCdr[0]!.m.body).to.include({ flow: PaymentFlow.UserToSupplier, payer: payRef(guest.user.address), amount: cdr.body.amount });
      // The host user pays its supplier once, for its home bill: not for the guest, not per session of its own vehicle at home.
      const ownerPays = all.filter((x) => x.m.body.flow === PaymentFlow.UserToSupplier && x.m.body.payer === payRef(owner.user.address));
      expect(ownerPays.map((x) => x.m.digest)).to.deep.equal([h.payment]);
      const ownerBill = report.payments.bills.find((b) => b.user === h.host)!;
      expect(ownerBill.supplier).to.equal(h.supplier);
      expect(ownerBill.energy).to.equal(h.amount);
      // The host's bot claims from the guest's supplier (the claims name suppliers by id or by name).
      const known = (id: string) => [id, report.parties.suppliers.find((x) => x.id === id)!.name];
      const claims = report.settlement.claims.filter((c) => known(h.supplier).includes(c.host) && known(h.guestSupplier).includes(c.home));
      expect(claims, JSON.stringify(report.settlement.claims)).to.have.length(1);
      expect(claims[0]!.cdrs).to.be.greaterThan(0);
    });
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
