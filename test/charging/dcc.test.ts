import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { expect } from "chai";
import { hexlify, randomBytes, Wallet } from "ethers";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { ACCESS_LOG_ANCHOR_KIND, entryHash, replayLog, verifyAnchoredLog } from "../../src/charging/dcc/accessLog.js";
import { actorRef, DccStore } from "../../src/charging/dcc/dccStore.js";
import type { Actor, DccRoleName } from "../../src/charging/dcc/policy.js";
import { ChargingError } from "../../src/charging/errors.js";
import { flowHeader, signFlowMessage } from "../../src/charging/flowEvidence.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork } from "../helpers/network.js";
import { evidenceDomain } from "../../src/evidence/types.js";

const domain = evidenceDomain(31337n, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
const T = 1_800_000_000n;

async function readings(sessionId: string, wh: bigint[]): Promise<SignedMessage<"MeterReading">[]> {
  const meter = { address: Wallet.createRandom().address, key: Wallet.createRandom() };
  return Promise.all(
    wh.map((w, i) =>
      signFlowMessage(meter, domain, "MeterReading", flowHeader(sessionId, BigInt(i + 1), T, T + 60n, Wallet.createRandom().address), { meterId: hexlify(randomBytes(32)), readAt: T + BigInt(i) * 900n, importWh: w, exportWh: 0n, ocmfHash: hexlify(randomBytes(32)) }),
    ),
  );
}

async function populated(path = ":memory:") {
  const aggA = Wallet.createRandom().address;
  const aggB = Wallet.createRandom().address;
  const supA = Wallet.createRandom().address;
  const supB = Wallet.createRandom().address;
  const dno = Wallet.createRandom().address;
  const otherDno = Wallet.createRandom().address;
  const store = DccStore.open(path);
  store.putFeeder("F-1", dno);
  const s1 = hexlify(randomBytes(32));
  store.putSession(s1, { aggregator: aggA, supplier: supA, user: "alice", feeder: "F-1" }, await readings(s1, [1000n, 4000n, 9000n]));
  const s2 = hexlify(randomBytes(32));
  store.putSession(s2, { aggregator: aggB, supplier: supB, user: "bob", feeder: "F-1" }, await readings(s2, [500n, 2500n]));
  const host = { address: supB, key: Wallet.createRandom() };
  const cdr = await signFlowMessage(host, domain, "ChargeDetailRecord", flowHeader(s1, 9n, T, T + 60n, supA), {
    cdrId: hexlify(randomBytes(32)), hostSupplier: supB, homeSupplier: supA, start: T, end: T + 1800n, energyWh: 8000n, amount: 1n, readingsRoot: hexlify(randomBytes(32)),
  });
  store.putCdr(cdr, "alice");
  return { store, aggA, aggB, supA, supB, dno, otherDno, s1, s2, cdr };
}

describe("charging: the DCC data store", function () {
  this.timeout(120_000);

  it("should allow and deny every role × every data kind by least privilege, logging each attempt", async () => {
    const w = await populated();
    const actors: Record<string, Actor> = {
      ownAggregator: { role: "Aggregator", id: w.aggA },
      otherAggregator: { role: "Aggregator", id: w.aggB },
      customersSupplier: { role: "Supplier", id: w.supA },
      hostSupplier: { role: "Supplier", id: w.supB },
      dno: { role: "Dno", id: w.dno },
      otherDno: { role: "Dno", id: w.otherDno },
      user: { role: "User", id: "alice" },
      otherUser: { role: "User", id: "bob" },
    };
    const attempts: [string, "session" | "cdr" | "feeder", boolean][] = [
      ["ownAggregator", "session", true], ["otherAggregator", "session", false], ["customersSupplier", "session", true], ["hostSupplier", "session", false],
      ["dno", "session", false], ["user", "session", true], ["otherUser", "session", false],
      ["ownAggregator", "cdr", false], ["customersSupplier", "cdr", true], ["hostSupplier", "cdr", true], ["dno", "cdr", false], ["user", "cdr", true], ["otherUser", "cdr", false],
      ["ownAggregator", "feeder", false], ["customersSupplier", "feeder", false], ["dno", "feeder", true], ["otherDno", "feeder", false], ["user", "feeder", false],
    ];
    const roles = new Set<DccRoleName>();
    for (const [name, kind, allowed] of attempts) {
      const actor = actors[name]!;
      roles.add(actor.role);
      const read = (): unknown => (kind === "session" ? w.store.readSession(actor, w.s1, T) : kind === "cdr" ? w.store.readCdr(actor, w.cdr.digest, T) : w.store.readFeeder(actor, "F-1", T));
      if (allowed) expect(read, `${name} ${kind}`).to.not.throw();
      else expect(read, `${name} ${kind}`).to.throw(ChargingError, "access denied");
    }
    expect([...roles].sort()).to.deep.equal(["Aggregator", "Dno", "Supplier", "User"]);
    const log = w.store.log();
    expect(log).to.have.length(attempts.length);
    log.forEach((e, i) => {
      const [name, , allowed] = attempts[i]!;
      expect(e.allowed, `${i} ${name}`).to.equal(allowed);
      expect(e.actor).to.equal(actorRef(actors[name]!.id));
    });
    expect(log.filter((e) => !e.allowed)).to.have.length(attempts.filter((a) => !a[2]).length);
    // The DNO learns totals only: two sessions, 8000 + 2000 Wh, and no ids.
    const agg = w.store.readFeeder(actors.dno!, "F-1", T);
    expect(agg).to.deep.equal({ feeder: "F-1", sessions: 2, importWh: 10_000n, exportWh: 0n });
    expect(() => w.store.readSession(actors.user!, hexlify(randomBytes(32)), T)).to.throw(ChargingError, "access denied");
    expect(w.store.log().at(-1)!.allowed).to.equal(false);
    expect(replayLog(w.store.log()).problems).to.deep.equal([]);
    w.store.close();
  });

  it("should detect a rewritten access log against the head anchored on the chain", async () => {
    const connection = await createNetwork();
    const f = await evidenceFixture(connection);
    const dir = mkdtempSync(join(tmpdir(), "dcc-"));
    const path = join(dir, "dcc.sqlite");
    const w = await populated(path);
    w.store.readSession({ role: "User", id: "alice" }, w.s1, T);
    expect(() => w.store.readSession({ role: "Aggregator", id: w.aggB }, w.s1, T + 1n)).to.throw(ChargingError);
    w.store.readFeeder({ role: "Dno", id: w.dno }, "F-1", T + 2n);
    const ledger = f.ledger.connect(f.participants.dcc);
    const anchored = await w.store.anchorHead(ledger);
    expect(anchored.count).to.equal(3n);
    const dcc = f.participants.dcc.address;
    const a = await f.ledger.anchorOf(dcc, anchored.digest);
    expect(Number(a.kind)).to.equal(ACCESS_LOG_ANCHOR_KIND);
    const isAnchored = async (digest: string): Promise<boolean> => {
      try {
        return Number((await f.ledger.anchorOf(dcc, digest)).kind) === ACCESS_LOG_ANCHOR_KIND;
      } catch {
        return false;
      }
    };
    expect(await verifyAnchoredLog(w.store.log(), anchored.count, isAnchored)).to.deep.equal({ ok: true, problems: [] });
    // Later reads extend the log without touching what was anchored.
    w.store.readCdr({ role: "User", id: "alice" }, w.cdr.digest, T + 3n);
    expect((await verifyAnchoredLog(w.store.log(), anchored.count, isAnchored)).ok).to.equal(true);
    // The DCC rewrites history: the aggregator's denied read becomes an allowed one.
    w.store.close();
    const db = new DatabaseSync(path);
    db.prepare("UPDATE access_log SET allowed = 1 WHERE seq = 2").run();
    db.close();
    const tampered = DccStore.open(path);
    const result = await verifyAnchoredLog(tampered.log(), anchored.count, isAnchored);
    expect(result.ok).to.equal(false);
    expect(result.problems.map((p) => p.kind)).to.include.members(["broken-chain", "not-anchored"]);
    tampered.close();
    // A consistent rewrite (every hash recomputed, one entry dropped) still fails the anchor.
    const reopened = DccStore.open(path);
    const entries = reopened.log();
    reopened.close();
    const dropped = entries.filter((e) => e.seq !== 2n);
    let prev = "0x" + "00".repeat(32);
    const rechained = dropped.map((e, i) => {
      const n = { ...e, prev, seq: BigInt(i + 1) };
      prev = entryHash(n);
      return n;
    });
    expect(replayLog(rechained).problems).to.deep.equal([]);
    expect((await verifyAnchoredLog(rechained, 2n, isAnchored)).problems.map((p) => p.kind)).to.deep.equal(["not-anchored"]);
    expect((await verifyAnchoredLog(rechained, 3n, isAnchored)).problems.map((p) => p.kind)).to.deep.equal(["not-anchored"]);
    rmSync(dir, { recursive: true, force: true });
  });
});
