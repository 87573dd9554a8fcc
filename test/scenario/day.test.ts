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
