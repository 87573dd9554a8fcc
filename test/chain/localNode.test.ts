import { expect } from "chai";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { Transaction, Wallet, parseEther } from "ethers";
import {
  anvilBinary, devAccounts, DEV_CHAIN_ID, LocalNodeError, serveEmbeddedNetwork, startAnvil, startHardhatNode,
  type LocalNode,
} from "../../src/chain/localNode.js";
import { advanceTime, advanceTimeTo, chainTime, mineBlocks } from "../../src/chain/nodeClock.js";
import { httpProvider } from "../../src/chain/rpc.js";
import { listenLoopback } from "../../src/chain/rpcServer.js";
import { ExitCode, exitCodeOf } from "../../src/errors.js";

const NODE_THEN_EXIT = fileURLToPath(new URL("./children/nodeThenExit.ts", import.meta.url));

/** True while a process of `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs = 5_000): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; ) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !alive(pid);
}

async function rejection(promise: Promise<unknown>): Promise<LocalNodeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(LocalNodeError);
    return error as LocalNodeError;
  }
  throw new Error("expected a rejection");
}

const KINDS = [
  { name: "the embedded network served on loopback", start: serveEmbeddedNetwork, child: false },
  { name: "a separate hardhat node", start: startHardhatNode, child: true },
  { name: "Anvil", start: startAnvil, child: true },
] as const;

describe("local nodes", function () {
  this.timeout(60_000);

  for (const kind of KINDS) {
    describe(kind.name, () => {
      let node: LocalNode | undefined;
      afterEach(async () => node?.stop());

      it("should answer on 127.0.0.1 with the development chain and funded keys, move its clock, and stop", async () => {
        node = await kind.start();
        expect(node.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(node.chainId).to.equal(DEV_CHAIN_ID);
        expect(node.accounts).to.deep.equal(devAccounts());
        // A raw transaction signed with a returned key is accepted and mined: the key is funded.
        const [from, to] = node.accounts;
        const rpc = node.provider;
        const nonce = Number(await rpc.request({ method: "eth_getTransactionCount", params: [from!.address, "latest"] }));
        const gasPrice = BigInt(String(await rpc.request({ method: "eth_gasPrice", params: [] })));
        const raw = await new Wallet(from!.privateKey).signTransaction(
          Transaction.from({ to: to!.address, value: parseEther("1"), nonce, gasLimit: 21_000n, gasPrice: gasPrice * 2n, chainId: node.chainId }),
        );
        const hash = await rpc.request({ method: "eth_sendRawTransaction", params: [raw] });
        // Automining nodes answer the send before the receipt is readable under load: poll, bounded.
        let receipt: { status: string } | null = null;
        for (let i = 0; i < 50 && receipt === null; i++) {
          receipt = (await rpc.request({ method: "eth_getTransactionReceipt", params: [hash] })) as { status: string } | null;
          if (receipt === null) await new Promise((r) => setTimeout(r, 100));
        }
        expect(receipt?.status).to.equal("0x1");

        const before = await chainTime(rpc);
        const height = Number(await rpc.request({ method: "eth_blockNumber", params: [] }));
        await advanceTime(rpc, 3_600);
        expect(await chainTime(rpc)).to.equal(before + 3_600);
        await advanceTimeTo(rpc, before + 7_200);
        expect(await chainTime(rpc)).to.equal(before + 7_200);
        await advanceTimeTo(rpc, before); // the past: nothing happens
        await mineBlocks(rpc, 3);
        expect(Number(await rpc.request({ method: "eth_blockNumber", params: [] }))).to.equal(height + 5);
        expect(await chainTime(rpc)).to.be.at.least(before + 7_200);

        const { url, pid } = node;
        await node.stop();
        await node.stop(); // twice is harmless
        if (kind.child) expect(await gone(pid), `pid ${pid}`).to.equal(true);
        const after = httpProvider(url, { timeoutMs: 1_000 });
        const refused = await after.request({ method: "eth_chainId", params: [] }).then(() => null, (e: unknown) => e);
        expect(refused, "still answering after stop()").to.have.property("code", "RPC_UNAVAILABLE");
      });

      it("should refuse a port already in use with PORT_IN_USE", async () => {
        const squatter: Server = createServer();
        const port = await listenLoopback(squatter);
        try {
          const error = await rejection(kind.start({ port }));
          expect(error.code).to.equal("PORT_IN_USE");
          expect(error.details).to.include({ port });
          expect(exitCodeOf(error)).to.equal(ExitCode.Unavailable);
        } finally {
          squatter.close();
        }
      });
    });
  }

  for (const kind of ["anvil", "hardhat-node"]) {
    it(`should not leave ${kind} running when the process that started it exits without stopping it`, async () => {
      const child = spawn(process.execPath, ["--import", "tsx", NODE_THEN_EXIT, kind], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      const pid = Number(/pid (\d+)/.exec(out)?.[1]);
      expect(code).to.equal(1);
      expect(pid, out).to.be.greaterThan(0);
      expect(await gone(pid), `node pid ${pid} leaked`).to.equal(true);
    });
  }

  it("should give START_FAILED with the node's output when it exits before answering, and leave nothing running", async () => {
    const error = await rejection(startAnvil({ args: ["--no-such-flag"] }));
    expect(error.code).to.equal("START_FAILED");
    expect(String(error.details.output)).to.include("--no-such-flag");
    expect(exitCodeOf(error)).to.equal(ExitCode.Unavailable);
    expect(await gone(Number(error.details.pid))).to.equal(true);
  });

  for (const [name, start] of [["anvil", startAnvil], ["hardhat-node", startHardhatNode]] as const) {
    it(`should give START_TIMEOUT when ${name} does not answer in time, and stop it`, async () => {
      const seen: string[] = [];
      const error = await rejection(start({ readyTimeoutMs: 1, onOutput: (line) => seen.push(line) }));
      expect(error.code).to.equal("START_TIMEOUT");
      const pid = Number(error.details.pid);
      expect(pid).to.be.greaterThan(0);
      expect(await gone(pid), `pid ${pid} left running`).to.equal(true);
    });
  }

  it("should stop a node that was already killed from outside", async () => {
    const node = await startAnvil();
    process.kill(node.pid, "SIGKILL");
    await node.stop();
    expect(alive(node.pid)).to.equal(false);
  });

  it("should name the missing platform package when Anvil is not installed for this platform", () => {
    expect(() => anvilBinary("aix", "ppc64")).to.throw(LocalNodeError, "@foundry-rs/anvil-aix-ppc64").with.property("code", "NOT_INSTALLED");
    expect(exitCodeOf(new LocalNodeError("NOT_INSTALLED", "x"))).to.equal(ExitCode.Usage);
    expect(anvilBinary()).to.match(/anvil-linux-amd64\/bin\/anvil$/);
  });

  it("should answer malformed JSON-RPC with JSON-RPC errors and keep serving", async () => {
    const node = await serveEmbeddedNetwork();
    try {
      const post = async (body: string) => (await fetch(node.url, { method: "POST", headers: { "content-type": "application/json" }, body })).json();
      expect(await post("{not json")).to.deep.include({ error: { code: -32700, message: "parse error" } });
      expect(await post("7")).to.deep.include({ error: { code: -32700, message: "parse error" } });
      expect(await post(JSON.stringify({ jsonrpc: "2.0", id: 3 }))).to.deep.equal({ jsonrpc: "2.0", id: 3, error: { code: -32600, message: "invalid request: no method" } });
      const batch = (await post(JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "eth_chainId" }, { jsonrpc: "2.0", id: 2, method: "no_such_method" }]))) as { id: number; result?: string; error?: { code: number } }[];
      expect(batch[0]).to.deep.equal({ jsonrpc: "2.0", id: 1, result: "0x7a69" });
      expect(batch[1]!.error?.code).to.be.a("number");
      expect((await fetch(node.url)).status).to.equal(405);
      expect(await node.provider.request({ method: "eth_chainId", params: [] })).to.equal("0x7a69");
    } finally {
      await node.stop();
    }
  });
});
