/**
 * One netter per pair: the bot that receives nets at once; the other bot nets only when the pair is
 * still not netted a delay after it first saw the pair ready, so a live netter is never raced even
 * when the chain clock jumps past every delay at once (as the day moves it), and a pair whose
 * netter is down still gets netted.
 */
import { expect } from "chai";
import { getAddress } from "ethers";
import { periodEnd, periodOfEnd } from "../../src/settlement/cdrTree.js";
import { settlementIface } from "../../src/settlement/contracts.js";
import type { SettlementBot } from "../../src/settlement/bot.js";
import { CONFIRMATIONS, createWorld, NETTING_DELAY, PERIOD_SECONDS, settle, nettableAt, type World } from "./botHelpers/world.js";

const NET_PAIR = settlementIface.getFunction("netPair")!.selector;

/** Every transaction the suppliers sent since the deployment, with its receipt's status. */
async function supplierTransactions(w: World): Promise<{ from: string; selector: string; ok: boolean }[]> {
  const from = new Set(w.suppliers.map((s) => s.wallet.address));
  const out = [];
  for (let n = w.startBlock; n <= (await w.ethers.provider.getBlockNumber()); n++) {
    const block = await w.ethers.provider.getBlock(n, true);
    for (const tx of block!.prefetchedTransactions) {
      if (!from.has(getAddress(tx.from))) continue;
      const receipt = await w.ethers.provider.getTransactionReceipt(tx.hash);
      out.push({ from: getAddress(tx.from), selector: tx.data.slice(0, 10), ok: receipt!.status === 1 });
    }
  }
  return out;
}

describe("settlement bot: one netter per pair", function () {
  this.timeout(120_000);
  let w: World;
  let host: SettlementBot;
  let home: SettlementBot;
  let period: number;
  beforeEach(async () => {
    w = await createWorld();
    const cdrs = [await w.signCdr(w.host, w.home, { amount: 4_000_000n }), await w.signCdr(w.host, w.home, { amount: 1_500_000n })];
    w.host.store.putMessages(cdrs);
    period = periodOfEnd(cdrs[0]!.body.end, PERIOD_SECONDS);
    host = await w.openBot(w.host);
    home = await w.openBot(w.home);
    await w.timeTo(periodEnd(period, PERIOD_SECONDS) + 61);
    await settle(w, [host, home], async () => (await w.events("ClaimAccepted")).length === 1);
  });
  afterEach(async () => w?.close());

  it("should have only the receiving bot net when the clock jumps past every delay and both bots send in the same block", async () => {
    // The day moves the clock past the period's close and the netting delay in one step; both bots
    // tick before the next block, as two bots polling one node do.
    await w.timeTo(nettableAt(period));
    await w.hh("evm_setAutomine", [false]);
    try {
      const ticks = await Promise.all([home.tick(), host.tick()]);
      expect(ticks.map((t) => t.errors)).to.deep.equal([[], []]);
      expect(ticks.map((t) => t.nettingsSent)).to.deep.equal([[], [period]]);
      await w.mine(1);
    } finally {
      await w.hh("evm_setAutomine", [true]);
    }
    await settle(w, [home, host], async () => (await w.events("PairNetted")).length === 1);
    // The fallback's delay runs out while both bots go on: it sees the pair netted and sends nothing.
    await w.timeTo((await w.chainTime()) + NETTING_DELAY + 1);
    for (let i = 0; i < 3; i++) {
      for (const bot of [home, host]) expect((await bot.tick()).nettingsSent).to.deep.equal([]);
      await w.mine();
    }
    const txs = await supplierTransactions(w);
    expect(txs.filter((t) => t.selector === NET_PAIR)).to.deep.equal([{ from: w.host.wallet.address, selector: NET_PAIR, ok: true }]);
    expect(txs.filter((t) => !t.ok)).to.deep.equal([]);
    expect(home.outbox.list().filter((i) => i.key.startsWith("net:"))).to.deep.equal([]);
    expect(await w.events("PairNetted")).to.have.length(1);
  });

  it("should have the other bot net the pair once its delay ran out after it saw the pair ready while the receiving bot is down", async () => {
    host.close();
    await w.timeTo(nettableAt(period));
    // The first sighting starts the delay: nothing yet, however far the clock already is.
    expect((await home.tick()).nettingsSent).to.deep.equal([]);
    await w.mine();
    expect((await home.tick()).nettingsSent).to.deep.equal([]);
    await w.timeTo((await w.chainTime()) + NETTING_DELAY + 1);
    await w.mine(CONFIRMATIONS);
    await settle(w, [home], async () => (await w.events("PairNetted")).length === 1);
    const [netted] = await w.events("PairNetted");
    expect([netted!.args.creditor, netted!.args.debtor, netted!.args.paid]).to.deep.equal([w.host.wallet.address, w.home.wallet.address, 5_500_000n]);
    const txs = await supplierTransactions(w);
    expect(txs.filter((t) => t.selector === NET_PAIR)).to.deep.equal([{ from: w.home.wallet.address, selector: NET_PAIR, ok: true }]);
    expect(txs.filter((t) => !t.ok)).to.deep.equal([]);
  });
});
