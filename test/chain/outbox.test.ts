import { expect } from "chai";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { keccak256 } from "ethers";
import { ChainRpc, httpProvider } from "../../src/chain/rpc.js";
import { AnchorKind } from "../../src/evidence/types.js";
import { harness, rejection, type Harness } from "./harness.js";
import type { SignThenDieArgs } from "./children/signThenDie.js";

const SIGN_THEN_DIE = fileURLToPath(new URL("./children/signThenDie.ts", import.meta.url));

function runSignThenDie(args: SignThenDieArgs): Promise<{ stdout: string; stderr: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", SIGN_THEN_DIE], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, SIGN_THEN_DIE_ARGS: JSON.stringify(args) },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (_code, signal) => resolve({ stdout, stderr, signal }));
  });
}

describe("chain/outbox: signed transactions with bot-owned nonces", function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.hh("evm_setAutomine", [true]);
    await h.close();
  });

  it("should return the stored intent when a key is enqueued again, also after a restart, and refuse it for another call", async () => {
    const db = h.openDb();
    const outbox = await h.openOutbox(db);
    const intent = h.anchorIntent("anchor-1");
    const first = outbox.enqueue(intent);
    expect(outbox.enqueue(intent)).to.deep.equal(first);
    await outbox.wait(intent.key, { intervalMs: 10 });
    const restarted = await h.openOutbox(db);
    expect(restarted.enqueue(intent).status).to.equal("final");
    await restarted.tick();
    expect(restarted.list()).to.have.length(1);
    expect(await h.anchoredLogs(intent.root)).to.have.length(1);
    const other = h.anchorIntent("anchor-1");
    expect(() => outbox.enqueue(other)).to.throw(/another call/).with.property("code", "IDEMPOTENCY_CONFLICT");
  });

  it("should send the very same signed transaction after the bot was killed between signing and sending", async function () {
    this.timeout(60_000);
    const intent = h.anchorIntent("anchor-crash");
    const dbPath = join(h.dir, "bot.sqlite");
    const nonceBefore = await h.nonceOf(h.wallet.address, "pending");
    const child = await runSignThenDie({
      url: h.proxy.url,
      dbPath,
      privateKey: h.wallet.privateKey,
      chainId: h.chainId.toString(),
      intent: { key: intent.key, label: intent.label, to: intent.to, data: intent.data },
    });
    expect(child.signal, child.stderr).to.equal("SIGKILL");
    const signedHash = /^signed (0x[0-9a-f]{64})$/m.exec(child.stdout)?.[1];
    expect(signedHash, child.stdout + child.stderr).to.be.a("string");
    expect(h.proxy.callsOf("eth_sendRawTransaction")).to.have.length(0);
    expect(await h.nonceOf(h.wallet.address, "pending")).to.equal(nonceBefore);

    // Blocks pass while the bot is down (the base fee falls): a re-signed transaction would differ.
    await h.hh("hardhat_mine", ["0x4"]);
    const outbox = await h.openOutbox(h.openDb());
    const stored = outbox.get(intent.key)!;
    expect(stored.status).to.equal("signed");
    expect(stored.txHash).to.equal(signedHash);
    const result = await outbox.wait(intent.key, { intervalMs: 10 });

    expect(result.txHash).to.equal(signedHash);
    expect(result.nonce).to.equal(nonceBefore);
    expect(await h.nonceOf(h.wallet.address)).to.equal(nonceBefore + 1);
    const sent = h.proxy.callsOf("eth_sendRawTransaction").map((c) => keccak256(c.params[0] as string));
    expect(sent).to.deep.equal([signedHash]);
    const logs = await h.anchoredLogs(intent.root);
    expect(logs.map((l) => l.transactionHash)).to.deep.equal([signedHash]);
    expect(result.events.map((e) => e.name)).to.deep.equal(["BatchAnchored"]);
    expect(result.events[0]!.named.root).to.equal(intent.root);
  });

  it("should count a send whose answer was lost as sent, never signing a second transaction", async () => {
    const outbox = await h.openOutbox(h.openDb());
    const intent = h.anchorIntent("anchor-lost-answer");
    const nonceBefore = await h.nonceOf(h.wallet.address);
    h.proxy.inject({ method: "eth_sendRawTransaction", fault: { kind: "lose-answer" }, times: 1 });
    outbox.enqueue(intent);
    await outbox.tick();
    const row = outbox.get(intent.key)!;
    expect(row.status).to.equal("signed");
    expect(row.lastError).to.match(/RPC_UNAVAILABLE/);
    const result = await outbox.wait(intent.key, { intervalMs: 10 });
    expect(result.txHash).to.equal(row.txHash);
    expect(await h.nonceOf(h.wallet.address)).to.equal(nonceBefore + 1);
    expect(await h.anchoredLogs(intent.root)).to.have.length(1);
  });

  it("should treat a send that timed out as unanswered and resend the same bytes, never a second transaction", async () => {
    const impatient = new ChainRpc(httpProvider(h.proxy.url, { timeoutMs: 150 }));
    const outbox = await h.openOutbox(h.openDb(), { rpc: impatient });
    const intent = h.anchorIntent("anchor-slow-node");
    const nonceBefore = await h.nonceOf(h.wallet.address);
    h.proxy.inject({ method: "eth_sendRawTransaction", fault: { kind: "delay", ms: 400 }, times: 1 });
    outbox.enqueue(intent);
    await outbox.tick();
    const row = outbox.get(intent.key)!;
    expect(row.status).to.equal("signed");
    expect(row.lastError).to.match(/RPC_UNAVAILABLE/);
    await new Promise((r) => setTimeout(r, 500));
    const result = await outbox.wait(intent.key, { intervalMs: 10 });
    expect(result.txHash).to.equal(row.txHash);
    expect(await h.nonceOf(h.wallet.address)).to.equal(nonceBefore + 1);
    expect(await h.anchoredLogs(intent.root)).to.have.length(1);
  });

  it("should give a signed intent a new nonce when another transaction of the account took its nonce", async () => {
    const outbox = await h.openOutbox(h.openDb());
    const intent = h.anchorIntent("anchor-nonce-taken");
    const nonceBefore = await h.nonceOf(h.wallet.address);
    outbox.enqueue(intent);
    await outbox.signPending();
    // The operator uses the key by hand with the same nonce.
    const manual = h.wallet.connect(h.connection.ethers.provider);
    await (await manual.sendTransaction({ to: h.wallet.address, value: 0n, nonce: nonceBefore })).wait();
    const result = await outbox.wait(intent.key, { intervalMs: 10 });
    expect(result.nonce).to.equal(nonceBefore + 1);
    expect(outbox.history(intent.key).map((t) => t.note)).to.include("nonce taken: re-queued");
    expect(await h.anchoredLogs(intent.root)).to.have.length(1);
  });

  it("should keep the nonce of a failed send and mine later intents in order, without a gap", async () => {
    const outbox = await h.openOutbox(h.openDb());
    const nonceBefore = await h.nonceOf(h.wallet.address);
    const intents = ["a", "b", "c"].map((k) => h.anchorIntent(`anchor-${k}`));
    intents.forEach((i) => outbox.enqueue(i));
    h.proxy.inject({ method: "eth_sendRawTransaction", fault: { kind: "drop" }, times: 2 });
    await outbox.tick();
    await outbox.tick();
    expect(outbox.list().map((r) => [r.status, r.nonce, r.attempts])).to.deep.equal([
      ["signed", nonceBefore, 0],
      ["signed", nonceBefore + 1, 0],
      ["signed", nonceBefore + 2, 0],
    ]);
    expect(await h.nonceOf(h.wallet.address, "pending")).to.equal(nonceBefore);
    const results = [];
    for (const i of intents) results.push(await outbox.wait(i.key, { intervalMs: 10 }));
    expect(results.map((r) => r.nonce)).to.deep.equal([nonceBefore, nonceBefore + 1, nonceBefore + 2]);
    expect(results.map((r) => r.blockNumber!)).to.satisfy((b: number[]) => b[0]! < b[1]! && b[1]! < b[2]!);
    expect(await h.nonceOf(h.wallet.address)).to.equal(nonceBefore + 3);
    for (const i of intents) expect(await h.anchoredLogs(i.root)).to.have.length(1);
  });

  it("should rebroadcast the same bytes with the same nonce after the node dropped the transaction", async () => {
    const outbox = await h.openOutbox(h.openDb());
    const intent = h.anchorIntent("anchor-dropped");
    await h.hh("evm_setAutomine", [false]);
    outbox.enqueue(intent);
    await outbox.tick();
    const sent = outbox.get(intent.key)!;
    expect(sent.status).to.equal("sent");
    expect(await h.hh("hardhat_dropTransaction", [sent.txHash])).to.equal(true);
    await outbox.poll();
    expect(outbox.get(intent.key)!.status).to.equal("signed");
    await outbox.sendSigned();
    expect(await h.hh("eth_getTransactionByHash", [sent.txHash])).to.not.equal(null);
    await h.hh("evm_mine");
    const result = await outbox.wait(intent.key, { intervalMs: 10 });
    expect(result.txHash).to.equal(sent.txHash);
    expect(result.nonce).to.equal(sent.nonce);
    expect(outbox.get(intent.key)!.attempts).to.equal(1);
    expect(outbox.history(intent.key).map((t) => t.note)).to.include("dropped");
  });

  it("should replace a transaction stuck below the base fee with the same nonce and higher fees", async () => {
    let clock = 1_000_000;
    const outbox = await h.openOutbox(h.openDb(), { now: () => clock, replaceAfterMs: 60_000, dropAfterMs: 60_000 });
    const intent = h.anchorIntent("anchor-stuck");
    await h.hh("evm_setAutomine", [false]);
    outbox.enqueue(intent);
    await outbox.tick();
    const stuck = outbox.get(intent.key)!;
    expect(stuck.fees?.type).to.equal(2);
    const maxFee = stuck.fees!.type === 2 ? stuck.fees!.maxFeePerGas : 0n;
    await h.hh("hardhat_setNextBlockBaseFeePerGas", [`0x${(maxFee * 4n).toString(16)}`]);
    await h.hh("evm_mine");
    await outbox.poll();
    expect(outbox.get(intent.key)!.status, "not replaced before its time").to.equal("sent");
    clock += 61_000;
    await outbox.poll();
    const replaced = outbox.get(intent.key)!;
    expect(replaced.status).to.equal("signed");
    expect(replaced.nonce).to.equal(stuck.nonce);
    expect(replaced.txHash).to.not.equal(stuck.txHash);
    await outbox.sendSigned();
    await h.hh("evm_mine");
    const result = await outbox.wait(intent.key, { intervalMs: 10 });
    expect(result.txHash).to.equal(replaced.txHash);
    expect(result.nonce).to.equal(stuck.nonce);
    expect(await h.hh("eth_getTransactionReceipt", [stuck.txHash])).to.equal(null);
    expect(await h.anchoredLogs(intent.root)).to.have.length(1);
  });

  describe("reverts", () => {
    it("should decode a mined revert and end it done when its error means the effect already happened", async () => {
      const outbox = await h.openOutbox(h.openDb());
      // The same root queued twice (anchors are keyed by submitter): the second send finds it anchored.
      const first = h.anchorIntent("anchor-first");
      const intent = h.anchorIntent("anchor-raced", first.root);
      const nonceBefore = await h.nonceOf(h.wallet.address);
      outbox.enqueue(first);
      outbox.enqueue(intent);
      await outbox.signPending();
      const result = await outbox.wait(intent.key, { intervalMs: 10 });
      expect(result.status).to.equal("done");
      expect(result.revert).to.include({ name: "EvidenceAlreadyAnchored", signature: "EvidenceAlreadyAnchored(address,bytes32)" });
      expect(result.revert!.args).to.deep.equal([h.wallet.address, intent.root]);
      expect(result.txHash).to.equal(outbox.get(intent.key)!.txHash);
      expect(outbox.get(intent.key)!.receipt!.status).to.equal(0);
      expect(outbox.get(intent.key)!.attempts).to.equal(0);
      expect(await h.nonceOf(h.wallet.address)).to.equal(nonceBefore + 2);
    });

    it("should dead-letter any other revert without retrying, and mine it after an operator re-queues it", async () => {
      const outbox = await h.openOutbox(h.openDb());
      const intent = h.anchorIntent("anchor-unauthorised");
      const nonceBefore = await h.nonceOf(h.wallet.address);
      outbox.enqueue(intent);
      await outbox.signPending();
      await (await h.f.registry.revokeRole(h.f.roles.SUBMITTER, h.wallet.address)).wait();
      const error = await rejection(outbox.wait(intent.key, { intervalMs: 10 }));
      expect(error.code).to.equal("DEAD_LETTER");
      const revert = error.details.revert as { name: string; args: string[] };
      expect(revert.name).to.equal("AccessControlUnauthorizedAccount");
      expect(revert.args).to.deep.equal([h.wallet.address, h.f.roles.SUBMITTER]);
      for (let i = 0; i < 3; i++) await outbox.tick();
      expect(outbox.get(intent.key)!).to.include({ status: "dead", attempts: 0 });
      expect(h.proxy.callsOf("eth_sendRawTransaction")).to.have.length(1);
      expect(await h.nonceOf(h.wallet.address)).to.equal(nonceBefore + 1);

      await (await h.f.registry.grantRole(h.f.roles.SUBMITTER, h.wallet.address)).wait();
      outbox.requeue(intent.key);
      const result = await outbox.wait(intent.key, { intervalMs: 10 });
      expect(result.status).to.equal("final");
      expect(result.nonce).to.equal(nonceBefore + 1);
      expect(await h.anchoredLogs(intent.root)).to.have.length(1);
    });

    it("should settle an intent whose estimate reverts without using a nonce", async () => {
      const outbox = await h.openOutbox(h.openDb());
      const intent = h.anchorIntent("anchor-known");
      const self = h.wallet.connect(h.connection.ethers.provider);
      await (await h.f.ledger.connect(self).anchorBatch(intent.root, 1, AnchorKind.Receipts)).wait();
      const pendingBefore = await h.nonceOf(h.wallet.address, "pending");
      outbox.enqueue(intent);
      const result = await outbox.wait(intent.key, { intervalMs: 10 });
      expect(result).to.include({ status: "done", txHash: null });
      expect(result.revert!.name).to.equal("EvidenceAlreadyAnchored");
      expect(await h.nonceOf(h.wallet.address, "pending")).to.equal(pendingBefore);
      const next = h.anchorIntent("anchor-next");
      outbox.enqueue(next);
      expect((await outbox.wait(next.key, { intervalMs: 10 })).nonce).to.equal(pendingBefore);
    });

    it("should give up after maxAttempts refused sends, fill the nonce with a cancel, and keep later intents flowing", async () => {
      const outbox = await h.openOutbox(h.openDb(), { maxAttempts: 3 });
      const nonceBefore = await h.nonceOf(h.wallet.address);
      const refused = h.anchorIntent("anchor-refused");
      const later = h.anchorIntent("anchor-later");
      outbox.enqueue(refused);
      await outbox.signPending();
      const raw = outbox.get(refused.key)!.rawTx;
      h.proxy.inject({
        method: "eth_sendRawTransaction",
        fault: { kind: "error", code: -32000, message: "transaction rejected by the node's policy" },
        match: (params) => params[0] === raw,
      });
      outbox.enqueue(later);
      for (let i = 0; i < 3; i++) await outbox.tick();
      expect(outbox.get(refused.key)!).to.include({ status: "signed", cancelling: true, attempts: 3 });
      expect((await outbox.wait(later.key, { intervalMs: 10 })).nonce).to.equal(nonceBefore + 1);
      const error = await rejection(outbox.wait(refused.key, { intervalMs: 10 }));
      expect(error.code).to.equal("DEAD_LETTER");
      expect(String(error.details.lastError)).to.match(/rejected by the node's policy.*cancelling nonce/);
      const sends = h.proxy.callsOf("eth_sendRawTransaction");
      expect(sends.filter((c) => c.params[0] === raw)).to.have.length(3);
      for (let i = 0; i < 3; i++) await outbox.tick();
      expect(h.proxy.callsOf("eth_sendRawTransaction")).to.have.length(sends.length);
      expect(await h.nonceOf(h.wallet.address)).to.equal(nonceBefore + 2);
      expect(await h.anchoredLogs(refused.root)).to.have.length(0);
      expect(await h.anchoredLogs(later.root)).to.have.length(1);
    });
  });

  describe("answers of the node", () => {
    it("should refuse an endpoint of another chain, and a database kept for another chain", async () => {
      const db = h.openDb();
      expect((await rejection(h.openOutbox(db, { chainId: 1n }))).code).to.equal("WRONG_CHAIN");
      const outbox = await h.openOutbox(db);
      outbox.enqueue(h.anchorIntent("anchor-chain"));
      await outbox.signPending();
      h.proxy.inject({ method: "eth_chainId", fault: { kind: "result", value: "0x5" } });
      expect((await rejection(h.openOutbox(db))).code).to.equal("WRONG_CHAIN");
      const error = await rejection(h.openOutbox(db, { chainId: 5n }));
      expect(error.code).to.equal("WRONG_CHAIN");
      expect(error.message).to.match(/database belongs to another chain/);
    });

    it("should reject a receipt without its block hash and keep the intent until a valid one comes", async () => {
      const outbox = await h.openOutbox(h.openDb());
      const intent = h.anchorIntent("anchor-bad-receipt");
      const fund = (await h.hh("eth_getBlockByNumber", ["latest", false])) as { transactions: string[] };
      const genuine = (await h.hh("eth_getTransactionReceipt", [fund.transactions[0]])) as Record<string, unknown>;
      const { blockHash: _dropped, ...broken } = genuine;
      h.proxy.inject({ method: "eth_getTransactionReceipt", fault: { kind: "result", value: broken }, times: 1 });
      outbox.enqueue(intent);
      const error = await rejection(outbox.tick());
      expect(error.code).to.equal("BAD_RESPONSE");
      expect(error.message).to.match(/blockHash/);
      expect(outbox.get(intent.key)!.status).to.equal("sent");
      expect((await outbox.wait(intent.key, { intervalMs: 10 })).status).to.equal("final");
    });
  });
});
