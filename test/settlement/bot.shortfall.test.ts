import { expect } from "chai";
import { periodEnd, periodOfEnd } from "../../src/settlement/cdrTree.js";
import { createWorld, DEPOSIT, NOTICE, PERIOD_SECONDS, settle, nettableAt, type World } from "./botHelpers/world.js";

describe("settlement bot: a period netted short", function () {
  this.timeout(120_000);
  let w: World;
  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => w?.close());

  it("should recover what the home still owes once it has collateral again, and forget a shortfall paid", async () => {
    // The home took out all but 1 tEUR of its collateral before the claim came.
    const left = 1_000_000n;
    const home = w.settlement.connect(w.home.wallet);
    await (await home.requestWithdrawal(DEPOSIT - left)).wait();
    await w.timeTo((await w.chainTime()) + NOTICE + 1);
    await (await home.withdraw(DEPOSIT - left)).wait();

    const cdrs = [await w.signCdr(w.host, w.home, { amount: 3_000_000n }), await w.signCdr(w.host, w.home, { amount: 1_000_000n })];
    w.host.store.putMessages(cdrs);
    const period = periodOfEnd(cdrs[0]!.body.end, PERIOD_SECONDS);
    const hostBot = await w.openBot(w.host);
    const homeBot = await w.openBot(w.home);
    await w.timeTo(periodEnd(period, PERIOD_SECONDS) + 61);
    await settle(w, [hostBot, homeBot], async () => (await w.events("ClaimAccepted")).length === 1);
    await w.timeTo(nettableAt(period));
    await settle(w, [hostBot, homeBot], async () => (await w.events("PairNetted")).length === 1);
    const [netted] = await w.events("PairNetted");
    expect([netted!.args.owed, netted!.args.paid, netted!.args.shortfall]).to.deep.equal([4_000_000n, left, 3_000_000n]);
    homeBot.close();

    // Nothing to take yet: the host's bot sends nothing.
    for (let i = 0; i < 2; i++) {
      await w.mine();
      expect((await hostBot.tick()).recoveriesSent).to.deep.equal([]);
    }
    expect(await w.events("ShortfallRecovered")).to.have.length(0);

    // The home pays in 2 tEUR: the host's bot recovers them, then the rest once it pays in more.
    const topUp = async (amount: bigint) => {
      await (await w.token.mint(w.home.wallet.address, amount)).wait();
      await (await w.token.connect(w.home.wallet).approve(w.settlementAddress, amount)).wait();
      await (await home.deposit(amount)).wait();
    };
    await topUp(2_000_000n);
    await w.mine();
    expect((await hostBot.tick()).recoveriesSent).to.deep.equal([`${period}:${w.home.wallet.address}`]);
    await settle(w, [hostBot], async () => (await w.events("ShortfallRecovered")).length === 1);
    await topUp(5_000_000n);
    await settle(w, [hostBot], async () => (await w.events("ShortfallRecovered")).length === 2);
    const recovered = (await w.events("ShortfallRecovered")).map((e) => e.args.amount);
    expect(recovered).to.deep.equal([2_000_000n, 1_000_000n]);
    expect(await w.settlement.shortfallOf(period, w.home.wallet.address, w.host.wallet.address)).to.equal(0n);
    expect(await w.settlement.balanceOf(w.host.wallet.address) + (await w.token.balanceOf(w.host.wallet.address))).to.equal(DEPOSIT + 4_000_000n);
    expect(await w.settlement.balanceOf(w.home.wallet.address)).to.equal(4_000_000n);
    // Paid in full: the bot forgets it and sends nothing more.
    for (let i = 0; i < 2; i++) {
      await w.mine();
      expect((await hostBot.tick()).recoveriesSent).to.deep.equal([]);
    }
    expect(hostBot.outbox.list().filter((i) => i.key.startsWith("recover:")).map((i) => i.key)).to.deep.equal([
      `recover:${period}:${w.home.wallet.address}:3000000`, `recover:${period}:${w.home.wallet.address}:1000000`,
    ]);
  });
});
