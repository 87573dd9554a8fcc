import { expect } from "chai";
import { encodeBytes32String, Wallet } from "ethers";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { periodEnd, periodOfEnd } from "../../src/settlement/cdrTree.js";
import { submitHandmadeClaim } from "./botHelpers/handmadeClaim.js";
import { createWorld, PERIOD_SECONDS, settle, WINDOW, type World } from "./botHelpers/world.js";

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
    await w.timeTo(Math.max(periodEnd(period, PERIOD_SECONDS) + 601, (await w.chainTime()) + WINDOW + 1));
    await settle(w, [home], async () => (await w.events("PeriodNetted")).length === 1);
    const transfers = await w.events("NetTransfer");
    expect(transfers).to.have.length(1);
    const owed = (13_000_000n - 9_000_000n) + (6_500_000n - 2_500_000n) + (6_000_000n - 2_000_000n);
    const t = transfers[0]!.args;
    expect([t.from, t.to, t.amount]).to.deep.equal([w.home.wallet.address, w.host.wallet.address, owed]);
    expect(await w.events("CdrDisputed")).to.have.length(3);
  });

  it("should neither accept nor dispute a claim whose package never came, and alert before its window closes", async () => {
    const cdrs = await three();
    const period = periodOfEnd(cdrs[0]!.body.end, PERIOD_SECONDS);
    const claim = await submitHandmadeClaim(w, w.host, w.home, { period, messages: cdrs, publish: false });
    const home = await w.openBot(w.home);
    await w.mine();
    const first = await home.tick();
    expect(first.unverifiable).to.deep.equal([{ claimId: claim.claimId.toString(), reason: "PACKAGE_MISSING", urgent: false }]);
    expect(first.alerts).to.deep.equal([]);

    const deadline = Number(await w.settlement.challengeDeadline(claim.claimId));
    await w.timeTo(deadline - 1800);
    const late = await home.tick();
    expect(late.unverifiable[0]).to.include({ urgent: true });
    expect(late.alerts.join("\n")).to.contain(`claim ${claim.claimId} from ${w.host.wallet.address} cannot be verified (PACKAGE_MISSING)`);

    // Past the window the claim is final; the bot still will not net a period it could not verify.
    await w.timeTo(deadline + 1);
    const after = await home.tick();
    expect(after.nettingsSent).to.deep.equal([]);
    expect(after.alerts.join("\n")).to.contain(`period ${period} is not netted by this bot`);
    for (let i = 0; i < 3; i++) {
      await w.mine();
      await home.tick();
    }
    expect(await w.events("CdrDisputed")).to.have.length(0);
    expect(await w.events("ClaimAccepted")).to.have.length(0);
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
