import { expect } from "chai";
import { readFileSync } from "node:fs";
import { keccak256 } from "ethers";
import { DirectoryExchange } from "../../src/settlement/exchange.js";
import { cdrLeafHash, periodEnd, periodOfEnd } from "../../src/settlement/cdrTree.js";
import { createWorld, DEPOSIT, PERIOD_SECONDS, settle, nettableAt, type World } from "./botHelpers/world.js";

describe("settlement bot: claim, verify, accept, net, withdraw", function () {
  this.timeout(60_000);
  let w: World;
  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => w?.close());

  it("should compute the CDR leaf as the contract does", async () => {
    const cdr = await w.signCdr(w.host, w.home, { amount: 123_456n });
    expect(cdrLeafHash(cdr.digest, 123_456n)).to.equal(await w.settlement.cdrLeaf(cdr.digest, 123_456n));
  });

  it("should claim the host's CDRs of a closed period, have the home verify and accept them, then net and withdraw", async () => {
    const cdrs = [
      await w.signCdr(w.host, w.home, { amount: 4_000_000n }),
      await w.signCdr(w.host, w.home, { amount: 2_500_000n }),
      await w.signCdr(w.host, w.home, { amount: 1_250_001n }),
    ];
    const unregistered = await w.signCdr(w.host, w.home, { key: (await import("ethers")).Wallet.createRandom() });
    w.host.store.putMessages([...cdrs, unregistered]);
    const period = periodOfEnd(cdrs[0]!.body.end, PERIOD_SECONDS);
    const total = cdrs.reduce((s, c) => s + c.body.amount, 0n);
    const host = await w.openBot(w.host);
    const home = await w.openBot(w.home);

    // Nothing is claimed while the period runs.
    const early = await host.tick();
    expect(early.claimsBuilt).to.deep.equal([]);
    expect(early.cdrsRejected).to.deep.equal([{ digest: unregistered.digest, reason: "KEY_NOT_VALID" }]);

    await w.timeTo(periodEnd(period, PERIOD_SECONDS) + 61);
    await settle(w, [host, home], async () => (await w.events("ClaimAccepted")).length > 0);

    const [submitted] = await w.events("ClaimSubmitted");
    const claimId = submitted!.args.claimId as bigint;
    const claim = await w.settlement.claimOf(claimId);
    expect(claim.status).to.equal(2n); // Accepted
    expect(claim.amount).to.equal(total);
    expect(claim.cdrCount).to.equal(3n);
    expect(claim.period).to.equal(BigInt(period));
    expect(claim.creditor).to.equal(w.host.wallet.address);
    const batch = w.host.store.batches.get(submitted!.args.evidenceRoot as string);
    expect(batch?.anchor?.submitter).to.equal(w.host.wallet.address);
    const ref = { creditor: w.host.wallet.address, debtor: w.home.wallet.address, cdrRoot: claim.cdrRoot };
    // The claim commits to the package as written: keccak256 of the file's bytes.
    expect(keccak256(readFileSync(new DirectoryExchange(w.exchangeDir).pathOf(ref)))).to.equal(submitted!.args.packageHash);
    expect(home.status().incoming).to.have.length(1);
    expect(home.status().incoming[0]).to.include({
      claimId: claimId.toString(), creditor: w.host.wallet.address, period, amount: total.toString(), verdict: "accept",
    });
    expect(host.status().cdrs).to.deep.equal({ open: 0, claimed: 3, rejected: 1 });

    // Netting waits for the period to close, then the host asks to withdraw its gain and, after the
    // notice, withdraws it.
    await w.timeTo(nettableAt(period));
    await settle(w, [host, home], async () => (await w.events("WithdrawalRequested")).length === 1);
    const [, readyAt] = await w.settlement.withdrawalOf(w.host.wallet.address);
    expect(await w.token.balanceOf(w.host.wallet.address)).to.equal(0n);
    await w.timeTo(Number(readyAt));
    const hostTokens = async () => (await w.token.balanceOf(w.host.wallet.address)) as bigint;
    await settle(w, [host, home], async () => (await hostTokens()) === total);
    expect(await w.events("PairNetted")).to.have.length(1);
    expect(await w.events("Withdrawn")).to.have.length(1);
    expect(await w.settlement.balanceOf(w.host.wallet.address)).to.equal(DEPOSIT);
    expect(await w.settlement.balanceOf(w.home.wallet.address)).to.equal(DEPOSIT - total);
    // One netter per pair: the host, which receives, netted; the home sent nothing.
    expect(host.outbox.list().filter((i) => i.key.startsWith("net:"))).to.have.length(1);
    expect(home.outbox.list().filter((i) => i.key.startsWith("net:"))).to.have.length(0);
    expect(home.status().withdrawals).to.deep.equal([]);
    expect(host.status().withdrawals).to.deep.equal([{ seq: 1, key: "withdraw:1", amount: total.toString() }]);
    await w.mine();
    for (const bot of [host, home]) await bot.tick();
    expect(home.status().incoming[0]!.accepted).to.equal(true);
    expect(home.status().nettedPeriods).to.deep.equal([period]);
    expect(host.status().outgoing).to.deep.equal([{
      cdrRoot: claim.cdrRoot.toLowerCase(), debtor: w.home.wallet.address, period, amount: total.toString(), cdrCount: 3,
      stage: "submitted", claimId: claimId.toString(), note: null,
    }]);

    // A CDR of the netted period that shows up now can no longer be claimed.
    w.host.store.putMessages([await w.signCdr(w.host, w.home, { end: cdrs[0]!.body.end })]);
    const late = await host.tick();
    expect(late.alerts).to.deep.equal([`period ${period} closed before CDRs against ${w.home.wallet.address} were claimed`]);
    expect(host.status().cdrs).to.deep.equal({ open: 0, claimed: 3, rejected: 2 });
    expect(await w.events("ClaimSubmitted")).to.have.length(1);
  });
});
