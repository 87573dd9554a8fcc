import { expect } from "chai";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Transaction } from "ethers";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { signMessage } from "../../src/evidence/sign.js";
import type { SettlementBot } from "../../src/settlement/bot.js";
import { periodEnd, periodOfEnd } from "../../src/settlement/cdrTree.js";
import { settlementIface } from "../../src/settlement/contracts.js";
import { createWorld, PERIOD_SECONDS, settle, type Supplier, nettableAt, type World } from "./botHelpers/world.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** A send of a transaction calling `fn` of the settlement contract. */
const calling = (fn: string) => (params: unknown[]) =>
  Transaction.from(String(params[0])).data.startsWith(settlementIface.getFunction(fn)!.selector);

describe("settlement bot: restarts and failures", function () {
  this.timeout(90_000);
  let w: World;
  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => w?.close());

  /** Opens a fresh bot on `s`'s files, runs one tick, closes it: a restart around every tick. */
  async function restartTick(s: Supplier): Promise<void> {
    const bot = await w.openBot(s);
    try {
      const report = await bot.tick();
      const unexpected = report.errors.filter((e) => !/eth_sendRawTransaction|RPC_UNAVAILABLE/.test(e));
      expect(unexpected, report.errors.join("\n")).to.deep.equal([]);
    } finally {
      bot.close();
    }
  }

  async function inspect<T>(s: Supplier, fn: (bot: SettlementBot) => T): Promise<T> {
    const bot = await w.openBot(s);
    try {
      return fn(bot);
    } finally {
      bot.close();
    }
  }

  it("should claim, accept and dispute exactly once while both bots restart around every tick and sends fail", async () => {
    // Period p-1: two honest CDRs (accepted). Period p: a CDR billed twice under one CDR id (disputed).
    const now = await w.chainTime();
    const earlier = await w.signCdr(w.host, w.home, { end: BigInt(now - PERIOD_SECONDS) });
    const earlier2 = await w.signCdr(w.host, w.home, { end: BigInt(now - PERIOD_SECONDS), amount: 7_000_000n });
    const once = await w.signCdr(w.host, w.home);
    const again: SignedMessage<"ChargeDetailRecord"> = await signMessage(w.host.cdrKey, w.host.wallet.address, w.domain, {
      type: "ChargeDetailRecord", header: { ...once.header, nonce: `0x${"ab".repeat(32)}` }, body: once.body,
    });
    w.host.store.putMessages([earlier, earlier2, once, again]);
    const period = periodOfEnd(once.body.end, PERIOD_SECONDS);
    await w.timeTo(periodEnd(period, PERIOD_SECONDS) + 61);

    // The first submitClaim and disputeCdr sends are lost before reaching the node; the first
    // acceptClaims reaches the node but its answer is lost.
    w.proxy.inject({ method: "eth_sendRawTransaction", match: calling("submitClaim"), fault: { kind: "drop" }, times: 1 });
    w.proxy.inject({ method: "eth_sendRawTransaction", match: calling("disputeCdr"), fault: { kind: "drop" }, times: 1 });
    w.proxy.inject({ method: "eth_sendRawTransaction", match: calling("acceptClaims"), fault: { kind: "lose-answer" }, times: 1 });
    for (let round = 0; round < 14; round++) {
      await restartTick(w.host);
      await restartTick(w.home);
      await w.mine();
    }

    expect(await w.events("ClaimSubmitted")).to.have.length(2);
    expect(await w.events("ClaimAccepted")).to.have.length(1);
    const disputes = await w.events("CdrDisputed");
    expect(disputes).to.have.length(1);
    const duplicate = [once.digest, again.digest].sort();
    expect(duplicate).to.include(disputes[0]!.args.cdrDigest);

    const sendsOf = (fn: string) => w.proxy.callsOf("eth_sendRawTransaction").filter((c) => calling(fn)(c.params));
    for (const fn of ["submitClaim", "disputeCdr", "acceptClaims"]) {
      expect(sendsOf(fn).length, fn).to.be.greaterThan(1); // a retry happened …
    }
    const kinds = (keys: string[]) => keys.map((k) => k.split(":")[0]).filter((k) => k !== "net").sort();
    const sent: Record<string, number> = {};
    // Period p-1 closes to claims an hour after p ends; its accepted claim nets then, and the host
    // asks to withdraw what it gained.
    await w.timeTo(nettableAt(period - 1));
    for (let round = 0; round < 4; round++) {
      await restartTick(w.host);
      await restartTick(w.home);
      await w.mine();
    }
    for (const [s, expected] of [[w.host, ["anchor", "anchor", "claim", "claim", "withdraw-request"]], [w.home, ["accept", "dispute"]]] as const) {
      const intents = await inspect(s, (bot) => bot.outbox.list());
      expect(kinds(intents.map((i) => i.key)), s.name).to.deep.equal(expected);
      for (const i of intents) {
        expect(i.status, i.key).to.be.oneOf(["final", "done"]);
        // … with the very bytes signed first: one signed version per intent, so no second transaction.
        const history = await inspect(s, (bot) => bot.outbox.history(i.key));
        expect(history.filter((t) => t.to === "signed").length, i.key).to.be.at.most(1);
      }
      sent[s.name] = intents.filter((i) => i.txHash !== null).length;
    }
    // Period p-1 (accepted) was netted once, and the host asked once to withdraw what it gained.
    expect(await w.events("PairNetted")).to.have.length(1);
    expect((await w.settlement.withdrawalOf(w.host.wallet.address))[0]).to.equal(earlier.body.amount + earlier2.body.amount);
    expect(await w.events("WithdrawalRequested")).to.have.length(1);
    const nonce = (a: string) => w.ethers.provider.getTransactionCount(a, "latest");
    // No nonce gap and no extra transaction: approve + deposit + one per intent that was sent.
    expect(await nonce(w.host.wallet.address)).to.equal(2 + sent.host!);
    expect(await nonce(w.home.wallet.address)).to.equal(2 + sent.home!);
  });

  it("should give up a reverted claim once, decoded, alert once, and finish it after an operator re-queues it", async () => {
    const cdr = await w.signCdr(w.host, w.home);
    w.host.store.putMessages([cdr]);
    const period = periodOfEnd(cdr.body.end, PERIOD_SECONDS);
    await w.timeTo(periodEnd(period, PERIOD_SECONDS) + 61);
    await (await w.settlement.grantRole(await w.settlement.PAUSER_ROLE(), w.admin.address)).wait();
    await (await w.settlement.pause()).wait();

    const host = await w.openBot(w.host);
    const alerts: string[] = [];
    const claimKey = () => host.outbox.list().find((i) => i.key.startsWith("claim:"))?.key;
    for (let round = 0; round < 8; round++) {
      alerts.push(...(await host.tick()).alerts);
      await w.mine();
    }
    const key = claimKey()!;
    const dead = host.outbox.get(key)!;
    expect(dead.status).to.equal("dead");
    expect(dead.revert?.name).to.equal("EnforcedPause");
    expect(dead.nonce).to.equal(null); // refused at the estimate: no nonce spent
    expect(alerts.filter((a) => a.startsWith(`intent ${key}`))).to.have.length(1);
    expect(alerts.filter((a) => a.includes("claim given up"))).to.have.length(1);
    expect(host.status().outgoing[0]).to.include({ stage: "submitting" });
    const estimates = w.proxy.callsOf("eth_estimateGas").length;
    for (let round = 0; round < 3; round++) await host.tick();
    expect(w.proxy.callsOf("eth_estimateGas").length).to.equal(estimates); // never retried on its own

    await (await w.settlement.unpause()).wait();
    host.outbox.requeue(key);
    await settle(w, [host], async () => host.status().outgoing[0]!.stage === "submitted");
    expect(await w.events("ClaimSubmitted")).to.have.length(1);
    expect(host.status().outgoing[0]).to.include({ note: null, stage: "submitted" });
  });

  it("should submit and anchor once when the running bot process is killed with SIGKILL and restarted", async () => {
    const cdrs = [await w.signCdr(w.host, w.home), await w.signCdr(w.host, w.home, { amount: 1n })];
    w.host.store.putMessages(cdrs);
    await w.timeTo(periodEnd(periodOfEnd(cdrs[1]!.body.end, PERIOD_SECONDS), PERIOD_SECONDS) + 61);

    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "settlement-bot", "run", "--config", w.host.configPath], {
      stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...w.env() },
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.resume();
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)));
    for (let waited = 0; !/anchors sent/.test(stdout); waited += 20) {
      if (waited > 30_000) throw new Error(`the child bot did not anchor: ${stdout}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await w.mine(); // the next tick of the child is under way when it dies
    await new Promise((r) => setTimeout(r, 30));
    child.kill("SIGKILL");
    expect(await exited).to.equal("SIGKILL");

    const host = await w.openBot(w.host);
    const home = await w.openBot(w.home);
    await settle(w, [host, home], async () => (await w.events("ClaimAccepted")).length === 1);
    expect(await w.events("ClaimSubmitted")).to.have.length(1);
    const anchored = await w.core.ledger.queryFilter(w.core.ledger.filters.BatchAnchored!(null, w.host.wallet.address), w.startBlock);
    expect(anchored).to.have.length(1);
    for (const i of host.outbox.list()) {
      expect(i.status, i.key).to.equal("final");
      expect(host.outbox.history(i.key).filter((t) => t.to === "signed"), i.key).to.have.length(1);
    }
    expect(await w.ethers.provider.getTransactionCount(w.host.wallet.address)).to.equal(2 + host.outbox.list().length);
  });
});
