import { expect } from "chai";
import { encodeBytes32String, Wallet } from "ethers";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { periodOfEnd } from "../../src/settlement/cdrTree.js";
import { submitHandmadeClaim } from "./botHelpers/handmadeClaim.js";
import { createWorld, DEPOSIT, PERIOD_SECONDS, settle, WINDOW, nettableAt, type World } from "./botHelpers/world.js";

type Cdr = SignedMessage<"ChargeDetailRecord">;

describe("settlement bot: verification and disputes", function () {
  this.timeout(60_000);
  let w: World;
  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => w?.close());

  const three = async (middle?: Partial<Parameters<World["signCdr"]>[2]>): Promise<Cdr[]> => [
    await w.signCdr(w.host, w.home, { amount: 1_000_000n }),
    await w.signCdr(w.host, w.home, { amount: 2_000_000n, ...middle }),
    await w.signCdr(w.host, w.home, { amount: 3_000_000n }),
  ];

  it("should dispute exactly the forged CDR of each claim by Merkle proof, and never accept those claims", async () => {
    // (a) the amount of a CDR changed after signing; (b) a leaf claims more than the signed amount;
    // (c) a CDR signed by a key the registry does not know for the host.
    const a = await three();
    const period = periodOfEnd(a[0]!.body.end, PERIOD_SECONDS);
    const tampered: Cdr = { ...a[1]!, body: { ...a[1]!.body, amount: 9_000_000n } };
    const claimA = await submitHandmadeClaim(w, w.host, w.home, {
      period, messages: [a[0]!, tampered, a[2]!], leaves: [a[0]!, tampered, a[2]!].map((m) => ({ digest: m.digest, amount: m.body.amount })),
    });
    const b = await three();
    const claimB = await submitHandmadeClaim(w, w.host, w.home, {
      period, messages: b, leaves: b.map((m, i) => ({ digest: m.digest, amount: i === 1 ? 2_500_000n : m.body.amount })),
    });
    const c = await three({ key: Wallet.createRandom() });
    const claimC = await submitHandmadeClaim(w, w.host, w.home, { period, messages: c });

    const home = await w.openBot(w.home);
    await settle(w, [home], async () => (await w.events("CdrDisputed")).length === 3);

    const expected = [
      { claim: claimA, digest: a[1]!.digest, amount: 9_000_000n, reason: "DIGEST_MISMATCH" },
      { claim: claimB, digest: b[1]!.digest, amount: 2_500_000n, reason: "AMOUNT_MISMATCH" },
      { claim: claimC, digest: c[1]!.digest, amount: 2_000_000n, reason: "KEY_NOT_VALID" },
    ];
    const disputes = await w.events("CdrDisputed");
    for (const [i, e] of expected.entries()) {
      const d = disputes.find((x) => x.args.claimId === e.claim.claimId)!;
      expect(d.args.cdrDigest, e.reason).to.equal(e.digest);
      expect(d.args.amount).to.equal(e.amount);
      expect(d.args.reason).to.equal(encodeBytes32String(e.reason));
      expect((await w.settlement.claimOf(e.claim.claimId)).status).to.equal(1n); // still Pending
      expect(home.status().incoming[i]).to.include({ verdict: "dispute", reason: e.reason, cdrDigest: e.digest });
    }
    expect(await w.events("ClaimAccepted")).to.have.length(0);

    // The arbiter upholds the disputes; once the windows close the home's bot nets the period
    // with each claim reduced by its disputed CDR.
    for (const d of disputes) await (await w.settlement.connect(w.arbiter).resolveDispute(d.args.disputeId, true, encodeBytes32String("bundle"))).wait();
    await w.timeTo(Math.max(nettableAt(period), (await w.chainTime()) + WINDOW + 1));
    await settle(w, [home], async () => (await w.events("PairNetted")).length === 1, { withoutNetter: true });
    const owed = (13_000_000n - 9_000_000n) + (6_500_000n - 2_500_000n) + (6_000_000n - 2_000_000n);
    const t = (await w.events("PairNetted"))[0]!.args;
    expect([t.debtor, t.creditor, t.paid, t.shortfall]).to.deep.equal([w.home.wallet.address, w.host.wallet.address, owed, 0n]);
    expect(await w.events("CdrDisputed")).to.have.length(3);
  });

  it("should dispute every failing CDR of a claim in one transaction, and cut an inflated claim to its CDR sum with no arbiter", async () => {
    const forged = await three();
    const period = periodOfEnd(forged[0]!.body.end, PERIOD_SECONDS);
    // Two leaves claim more than was signed, for different reasons in the package.
    const twoBad = await submitHandmadeClaim(w, w.host, w.home, {
      period, messages: forged, leaves: forged.map((m, i) => ({ digest: m.digest, amount: i === 1 ? m.body.amount : m.body.amount + 7n })),
    });
    // Every leaf is right, but the claim asks for 900 tEUR over 6 tEUR of CDRs.
    const honest = await three();
    const inflated = await submitHandmadeClaim(w, w.host, w.home, { period, messages: honest, amount: 900_000_000n });
    const home = await w.openBot(w.home);
    await settle(w, [home], async () => (await w.events("CdrDisputed")).length === 2 && (await w.events("ClaimSumProven")).length === 1);

    const disputes = await w.events("CdrDisputed");
    expect(new Set(disputes.map((d) => d.transactionHash)).size).to.equal(1); // one transaction
    expect(disputes.map((d) => d.args.claimId)).to.deep.equal([twoBad.claimId, twoBad.claimId]);
    expect(disputes.map((d) => d.args.cdrDigest).sort()).to.deep.equal([forged[0]!.digest, forged[2]!.digest].sort());
    expect(disputes.map((d) => d.args.reason)).to.deep.equal([encodeBytes32String("AMOUNT_MISMATCH"), encodeBytes32String("AMOUNT_MISMATCH")]);
    const [proven] = await w.events("ClaimSumProven");
    expect([proven!.args.claimId, proven!.args.claimed, proven!.args.sum]).to.deep.equal([inflated.claimId, 900_000_000n, 6_000_000n]);
    expect((await w.settlement.claimOf(inflated.claimId)).amount).to.equal(6_000_000n);
    expect(home.outbox.get(`prove-sum:${inflated.claimId}`)).to.include({ label: `prove the CDR sum of claim ${inflated.claimId}` });
    expect(await w.events("ClaimDisputed")).to.have.length(0);
  });

  it("should dispute a claim whose package never came as a whole before its window closes; upheld, it is left out of netting", async () => {
    const honestCdrs = await three();
    const period = periodOfEnd(honestCdrs[0]!.body.end, PERIOD_SECONDS);
    const honest = await submitHandmadeClaim(w, w.host, w.home, { period, messages: honestCdrs });
    const missing = await submitHandmadeClaim(w, w.host, w.home, { period, messages: await three(), publish: false });
    const id = missing.claimId.toString();
    const home = await w.openBot(w.home);
    const host = await w.openBot(w.host);
    await w.mine();
    // The package may still come: the home accepts the honest claim and keeps checking the other.
    const first = await home.tick();
    expect(first.accepted).to.deep.equal([honest.claimId.toString()]);
    expect(first.unverifiable).to.deep.equal([{ claimId: id, reason: "PACKAGE_MISSING", urgent: false }]);
    expect(first.claimDisputes).to.deep.equal([]);
    expect(first.alerts).to.deep.equal([]);

    // Once the window closes within the margin, the home disputes the whole claim.
    const deadline = Number(await w.settlement.challengeDeadline(missing.claimId));
    await w.timeTo(deadline - 1800);
    const due = await home.tick();
    expect(due.claimDisputes).to.deep.equal([{ claimId: id, reason: "PACKAGE_MISSING" }]);
    expect(due.unverifiable).to.deep.equal([]);
    await settle(w, [home], async () => (await w.events("ClaimDisputed")).length === 1);
    const [filed] = await w.events("ClaimDisputed");
    expect([filed!.args.claimId, filed!.args.debtor, filed!.args.reason]).to.deep.equal([
      missing.claimId, w.home.wallet.address, encodeBytes32String("PACKAGE_MISSING"),
    ]);
    expect(home.outbox.get(`claim-dispute:${id}`)).to.include({ label: `dispute claim ${id} as a whole (PACKAGE_MISSING)` });
    expect(home.status().incoming.find((c) => c.claimId === id)).to.include({ verdict: "claim-dispute", reason: "PACKAGE_MISSING" });

    // The host's bot tells its operator, once, to show the arbiter the package.
    await w.mine();
    const told = (await host.tick()).alerts.filter((a) => a.includes("disputed as a whole"));
    expect(told).to.deep.equal([
      `claim ${id} against ${w.home.wallet.address} was disputed as a whole (PACKAGE_MISSING): show the arbiter its package ` +
        `(root ${missing.tree.root.toLowerCase()}, hash ${missing.packageHash.toLowerCase()}) or it is rejected`,
    ]);
    expect((await host.tick()).alerts.filter((a) => a.includes("disputed as a whole"))).to.deep.equal([]);

    // On hold past its window: not final, so neither bot nets the period.
    await w.timeTo(Math.max(deadline + 1, nettableAt(period)));
    for (let i = 0; i < 3; i++) {
      for (const bot of [home, host]) expect((await bot.tick()).errors).to.deep.equal([]);
      await w.mine();
    }
    expect(await w.settlement.isFinal(missing.claimId)).to.equal(false);
    expect(await w.events("PairNetted")).to.have.length(0);

    // The host could not show the package: the arbiter upholds, and the period nets without the claim.
    const ruling = await w.settlement.connect(w.arbiter).resolveClaimDispute(filed!.args.disputeId, true, encodeBytes32String("no package shown"));
    await ruling.wait();
    await settle(w, [home, host], async () => (await w.events("PairNetted")).length === 1);
    const nettings = await w.events("PairNetted");
    expect(nettings.map((t) => [t.args.debtor, t.args.creditor, t.args.paid])).to.deep.equal([
      [w.home.wallet.address, w.host.wallet.address, 6_000_000n], // the honest claim only
    ]);
    const rejected = await w.settlement.claimOf(missing.claimId);
    expect([rejected.status, rejected.amount]).to.deep.equal([4n, 0n]); // Rejected, counts as zero
    expect(await w.settlement.balanceOf(w.home.wallet.address)).to.equal(DEPOSIT - 6_000_000n);
    expect(await w.settlement.lockedOf(w.home.wallet.address)).to.equal(0n);
    await w.mine();
    await home.tick();
    expect(home.status().claimDisputes).to.deep.equal([{ disputeId: filed!.args.disputeId!.toString(), claimId: id, reason: "PACKAGE_MISSING", upheld: true }]);
    expect(await w.events("ClaimDisputed")).to.have.length(1);
    expect(home.outbox.list().filter((i) => i.key.startsWith("claim-dispute:"))).to.have.length(1);
  });

  it("should dispute a whole claim whose package does not hash to its commitment; not upheld, it nets in full after a fresh window, the bond going to the host", async () => {
    const FEE = 1_000_000n;
    await (await w.settlement.setDisputeFee(FEE)).wait();
    const cdrs = await three();
    const period = periodOfEnd(cdrs[0]!.body.end, PERIOD_SECONDS);
    // The host committed to its CDRs in another order than the package it published.
    const claim = await submitHandmadeClaim(w, w.host, w.home, {
      period, messages: cdrs, committed: (pkg) => ({ ...pkg, cdrs: [...pkg.cdrs].reverse() }),
    });
    const home = await w.openBot(w.home);
    await w.mine();
    expect((await home.tick()).unverifiable).to.deep.equal([{ claimId: claim.claimId.toString(), reason: "PACKAGE_MISMATCH", urgent: false }]);
    await w.timeTo(Number(await w.settlement.challengeDeadline(claim.claimId)) - 60);
    await settle(w, [home], async () => (await w.events("ClaimDisputed")).length === 1);
    const [filed] = await w.events("ClaimDisputed");
    expect(filed!.args.reason).to.equal(encodeBytes32String("PACKAGE_MISMATCH"));

    // The host shows the arbiter the package it committed to: not upheld, the claim is pending again
    // with a fresh window, in which the home may still dispute its CDRs.
    await (await w.settlement.connect(w.arbiter).resolveClaimDispute(filed!.args.disputeId, false, claim.packageHash)).wait();
    expect((await w.settlement.claimOf(claim.claimId)).status).to.equal(1n); // Pending
    await w.timeTo(Math.max(nettableAt(period), Number(await w.settlement.challengeDeadline(claim.claimId)) + 1));
    await settle(w, [home], async () => (await w.events("PairNetted")).length === 1, { withoutNetter: true });
    const [fee] = await w.events("DisputeFeeCharged");
    expect([fee!.args.payer, fee!.args.payee, fee!.args.charged]).to.deep.equal([w.home.wallet.address, w.host.wallet.address, FEE]);
    const [t] = await w.events("PairNetted");
    expect(t!.args.paid).to.equal(6_000_000n);
    expect(await w.settlement.balanceOf(w.home.wallet.address)).to.equal(DEPOSIT - 6_000_000n - FEE);
  });

  it("should record a forged claim found only after its window closed as expired, and alert", async () => {
    const cdrs = await three({ key: Wallet.createRandom() });
    const period = periodOfEnd(cdrs[0]!.body.end, PERIOD_SECONDS);
    const claim = await submitHandmadeClaim(w, w.host, w.home, { period, messages: cdrs });
    await w.timeTo(Number(await w.settlement.challengeDeadline(claim.claimId)) + 1);
    await w.mine();
    const home = await w.openBot(w.home);
    const report = await home.tick();
    expect(report.alerts).to.deep.equal([
      `claim ${claim.claimId}: CDR ${cdrs[1]!.digest} fails (KEY_NOT_VALID) but the challenge window closed at ${await w.settlement.challengeDeadline(claim.claimId)}`,
    ]);
    expect(home.status().incoming[0]).to.include({ verdict: "expired", reason: "KEY_NOT_VALID" });
    await w.mine();
    expect((await home.tick()).alerts).to.deep.equal([]);
    expect(await w.events("CdrDisputed")).to.have.length(0);
  });
});
