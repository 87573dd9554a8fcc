/**
 * End to end on real nodes: three suppliers' settlement bots run as separate processes (the real
 * CLI entry) against a separate `hardhat node` and against Anvil; one bot is killed with SIGKILL
 * after its first claim reached the chain and before the period is accepted and netted, then
 * restarted. Checked from the chain alone (events, balances, receipts; never the bots' databases):
 * every claim submitted once and accepted once, every pair netted once, no reverted transaction,
 * and money conserved to the unit.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { startAnvil, startHardhatNode, type LocalNode } from "../../src/chain/localNode.js";
import { combineAbis, decodeRevert, formatRevert, revertDataOf } from "../../src/chain/decode.js";
import { rpcFailure } from "../../src/chain/rpc.js";
import { periodEnd, periodOfEnd } from "../../src/settlement/cdrTree.js";
import { ALL_ABIS, settlementIface } from "../../src/settlement/contracts.js";
import type { TestConnection } from "../helpers/network.js";
import { createWorld, DEPOSIT, NETTING_DELAY, nettableAt, PERIOD_SECONDS, type Supplier, type World } from "../settlement/botHelpers/world.js";
import { killAllBots, startBotProcess, type BotProcess } from "./botProcess.js";

const NODES = [
  { name: "a separate hardhat node", start: () => startHardhatNode() },
  { name: "Anvil", start: () => startAnvil() },
] as const;

type Event = { args: Record<string, unknown> & unknown[]; transactionHash: string };
const errors = combineAbis(ALL_ABIS);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Consecutive failed blocks after which the miner gives up on the node. */
const MINE_ATTEMPTS = 5;
const lower = (a: unknown) => String(a).toLowerCase();

/** "function(args) from → CustomError(args)" of a reverted transaction, replayed on its block's parent. */
async function describeRevert(w: World, tx: { hash: string; from: string; to: string; input: string; gas: string }, block: number): Promise<string> {
  const call = settlementIface.parseTransaction({ data: tx.input });
  const what = `${call ? `${call.name}(${call.args.join(", ")})` : tx.input.slice(0, 10)} from ${tx.from} in block ${block}, gas ${BigInt(tx.gas)}`;
  try {
    await w.hh("eth_call", [{ from: tx.from, to: tx.to, data: tx.input }, `0x${(block - 1).toString(16)}`]);
    return `${what}: reverted in its block, not when replayed on the parent`;
  } catch (error) {
    return `${what}: ${formatRevert(decodeRevert(revertDataOf(rpcFailure("eth_call", error)), errors))}`;
  }
}

/** Polls `probe` until it holds; fails after `timeoutMs` with `what` and the bots' output. */
async function until(what: string, probe: () => Promise<boolean>, bots: () => BotProcess[], timeoutMs = 120_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await probe()); await sleep(100)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms\n${bots().map((b) => `--- ${b.name}\n${b.output().slice(-3000)}`).join("\n")}`);
  }
}

describe("end to end: settlement bots as processes on real nodes, one killed mid-period", function () {
  this.timeout(600_000);
  afterEach(killAllBots);

  for (const n of NODES) {
    it(`should settle the period exactly once with money conserved on ${n.name}`, async () => {
      let node: LocalNode | undefined;
      let connection: TestConnection | undefined;
      let w: World | undefined;
      let mining = false;
      let miner: Promise<void> = Promise.resolve();
      const bots: BotProcess[] = [];
      try {
        node = await n.start();
        connection = (await network.create({ network: "remote", override: { url: node.url } as never })) as unknown as TestConnection;
        w = await createWorld({ connection, rpcUrl: node.url, more: ["third"] });
        const world = w;
        const [host, home, third] = world.suppliers as [Supplier, Supplier, Supplier];

        // One period of roaming: who hosted whose customers, for how much (token units).
        const plan: [Supplier, Supplier, bigint][] = [
          [host, home, 4_000_000n], [host, home, 7_000_000n], [host, third, 3_000_000n],
          [home, third, 5_000_000n], [home, host, 1_000_000n], [third, host, 2_500_000n],
        ];
        const end = BigInt((await world.chainTime()) - 10);
        const signed = [];
        for (const [by, to, amount] of plan) signed.push({ by, cdr: await world.signCdr(by, to, { amount, end }) });
        for (const s of world.suppliers) s.store.putMessages(signed.filter((x) => x.by === s).map((x) => x.cdr));
        const period = periodOfEnd(end, PERIOD_SECONDS);
        const owed = new Map<string, bigint>(); // "creditor>debtor" → amount claimed
        for (const [by, to, amount] of plan) {
          const k = `${lower(by.wallet.address)}>${lower(to.wallet.address)}`;
          owed.set(k, (owed.get(k) ?? 0n) + amount);
        }
        const net = (s: Supplier) =>
          plan.reduce((sum, [by, to, amount]) => sum + (by === s ? amount : 0n) - (to === s ? amount : 0n), 0n);
        await world.timeTo(periodEnd(period, PERIOD_SECONDS) + 61);

        // The bots run as they would in production; a block every 300 ms gives them confirmations.
        // A request that meets a keep-alive connection the node has just closed is sent again; a node
        // that stays unreachable stops the miner, and the test fails with that error (never unhandled).
        mining = true;
        miner = (async () => {
          for (let failures = 0; mining; await sleep(300)) {
            try {
              await world.mine(1);
              failures = 0;
            } catch (error) {
              if (++failures >= MINE_ATTEMPTS) throw error;
            }
          }
        })();
        miner.catch(() => undefined); // awaited below: only keeps a failure from being unhandled meanwhile
        for (const s of world.suppliers) bots.push(startBotProcess(s.name, s.configPath, world.env()));
        const events = (name: string) => world.events(name) as Promise<Event[]>;
        const ofPeriod = async (name: string) => (await events(name)).filter((e) => Number(e.args.period) === period);

        // Kill the host's bot as soon as its first claim is on chain.
        await until("the host's first claim", async () => (await ofPeriod("ClaimSubmitted")).some((e) => lower(e.args.creditor) === lower(host.wallet.address)), () => bots);
        const killed = await bots[0]!.stop("SIGKILL");
        expect(killed.signal).to.equal("SIGKILL");
        const hostClaimIds = new Set((await ofPeriod("ClaimSubmitted")).filter((e) => lower(e.args.creditor) === lower(host.wallet.address)).map((e) => String(e.args.claimId)));
        const acceptedAtKill = (await events("ClaimAccepted")).filter((e) => hostClaimIds.has(String(e.args.claimId))).length;
        expect(acceptedAtKill, "the kill came after the host's claims were accepted").to.be.lessThan(2);
        expect(await ofPeriod("PairNetted")).to.have.length(0);
        bots[0] = startBotProcess(`${host.name} (restarted)`, host.configPath, world.env());

        await until("every claim accepted", async () => (await events("ClaimAccepted")).length >= owed.size, () => bots);
        // Time runs on as it would: first past the period's close, where the bot owed money nets each
        // pair, then past the further delay after which the other bot of a pair would net it.
        const [, closesAt] = (await world.settlement.periodOf(period)) as [bigint, bigint];
        await world.timeTo(Number(closesAt) + 1);
        await until("every pair netted", async () => (await ofPeriod("PairNetted")).length >= 3, () => bots);
        await world.timeTo(Math.max(nettableAt(period), Number(closesAt) + NETTING_DELAY + 1));
        await sleep(3_000); // room for a second netting or a duplicate to show up
        for (const b of bots) expect((await b.stop("SIGTERM")).code, `${b.name} stops cleanly on SIGTERM`).to.equal(0);
        mining = false;
        await miner;

        // Each claim once, for exactly the CDRs of its direction, each accepted once, none disputed.
        const claims = await ofPeriod("ClaimSubmitted");
        expect(claims.map((e) => `${lower(e.args.creditor)}>${lower(e.args.debtor)}`).sort()).to.deep.equal([...owed.keys()].sort());
        for (const e of claims) expect(e.args.amount).to.equal(owed.get(`${lower(e.args.creditor)}>${lower(e.args.debtor)}`));
        const accepted = (await events("ClaimAccepted")).map((e) => String(e.args.claimId));
        expect(accepted.sort()).to.deep.equal(claims.map((e) => String(e.args.claimId)).sort());
        expect(await events("CdrDisputed")).to.have.length(0);
        expect(await events("ClaimDisputed")).to.have.length(0);

        // Each pair netted once, in full, in the direction of the net debt.
        const netted = await ofPeriod("PairNetted");
        const pairs = netted.map((e) => [lower(e.args.creditor), lower(e.args.debtor)].sort().join("|"));
        expect(new Set(pairs).size, "a pair was netted twice").to.equal(netted.length);
        expect(netted).to.have.length(3);
        for (const e of netted) {
          const [c, d] = [lower(e.args.creditor), lower(e.args.debtor)];
          expect(e.args.owed, `${c} owed by ${d}`).to.equal((owed.get(`${c}>${d}`) ?? 0n) - (owed.get(`${d}>${c}`) ?? 0n));
          expect(e.args.paid).to.equal(e.args.owed);
          expect(e.args.shortfall).to.equal(0n);
        }

        // Money conserved to the unit: what each supplier holds (inside and outside the contract)
        // is its deposit plus its net position, and the contract holds exactly the internal balances.
        let inside = 0n;
        for (const s of world.suppliers) {
          const balance = (await world.settlement.balanceOf(s.wallet.address)) as bigint;
          const wallet = (await world.token.balanceOf(s.wallet.address)) as bigint;
          expect(balance + wallet, s.name).to.equal(DEPOSIT + net(s));
          inside += balance;
        }
        expect(await world.token.balanceOf(world.settlementAddress)).to.equal(inside);
        expect(world.suppliers.reduce((sum, s) => sum + net(s), 0n)).to.equal(0n);

        // No supplier transaction reverted: the restarted bot sent nothing twice.
        const from = new Set(world.suppliers.map((s) => lower(s.wallet.address)));
        const head = Number(await world.ethers.provider.getBlockNumber());
        let sent = 0;
        const reverted: string[] = [];
        for (let b = world.startBlock; b <= head; b++) {
          const block = (await world.hh("eth_getBlockByNumber", [`0x${b.toString(16)}`, true])) as { transactions: { hash: string; from: string; to: string; input: string; gas: string }[] };
          for (const tx of block.transactions.filter((t) => from.has(lower(t.from)))) {
            const receipt = (await world.hh("eth_getTransactionReceipt", [tx.hash])) as { status: string };
            if (receipt.status !== "0x1") reverted.push(await describeRevert(world, tx, b));
            sent++;
          }
        }
        expect(reverted, "reverted supplier transactions").to.deep.equal([]);
        expect(sent).to.be.greaterThan(claims.length + accepted.length);
      } finally {
        mining = false;
        await miner.catch(() => undefined);
        await killAllBots();
        await w?.close();
        await connection?.close();
        await node?.stop();
      }
    });
  }
});
