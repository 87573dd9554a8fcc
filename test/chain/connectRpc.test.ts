import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Wallet } from "ethers";
import { EvidenceLedgerAbi } from "../../src/chain/abi/index.js";
import { contractAt, deployCore } from "../../src/chain/deploy.js";
import { ChainError } from "../../src/chain/errors.js";
import { connectRpc, type RpcConnection } from "../../src/chain/rpc.js";
import { ExitCode, exitCodeOf } from "../../src/errors.js";
import { evidenceErrorsInterface } from "../../src/evidence/contracts.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { RpcProxy } from "../helpers/rpcProxy.js";

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => null, (e: unknown) => e);
}

describe("connectRpc: the one JSON-RPC client over HTTP", () => {
  let connection: TestConnection;
  let proxy: RpcProxy;
  let silent: Server;
  let silentUrl: string;
  const sockets = new Set<Socket>();
  const open: RpcConnection[] = [];

  before(async () => {
    connection = await createNetwork();
    proxy = await RpcProxy.start(connection.provider);
    // A node that accepts connections and never answers.
    silent = createServer(() => undefined);
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((ok) => silent.listen(0, "127.0.0.1", ok));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });

  afterEach(() => proxy.clearFaults());

  after(async () => {
    for (const c of open) c.close();
    sockets.forEach((s) => s.destroy());
    await new Promise((ok) => silent.close(ok));
    await proxy.close();
  });

  async function connect(options: Parameters<typeof connectRpc>[1] = {}): Promise<RpcConnection> {
    const c = await connectRpc(proxy.url, options);
    open.push(c);
    return c;
  }

  it("serves the checked client and an ethers provider over the same transport", async () => {
    const c = await connect();
    const { chainId } = await connection.ethers.provider.getNetwork();
    expect(c.chainId).to.equal(chainId);
    expect(await c.provider.getBlockNumber()).to.equal(await c.rpc.blockNumber());
    const [admin] = await connection.ethers.getSigners();
    const core = await deployCore(admin!);
    const before = proxy.callsOf("eth_call").length;
    const ledger = contractAt(EvidenceLedgerAbi, core.ledgerAddress, c.provider);
    expect(await ledger.REGISTRY()).to.equal(core.registryAddress);
    expect(proxy.callsOf("eth_call").length).to.equal(before + 1);
    // A revert keeps its data through the transport: the custom error decodes.
    const stranger = Wallet.createRandom().address;
    const reverted = await failure(ledger.anchorOf(stranger, `0x${"11".repeat(32)}`));
    const data = (reverted as { data?: string }).data;
    expect(evidenceErrorsInterface().parseError(data!)?.name).to.equal("EvidenceAnchorNotFound");
    expect(exitCodeOf(reverted)).to.equal(ExitCode.Refused);
  });

  it("reports a closed port as Unavailable, not as a usage error", async () => {
    const error = await failure(connectRpc("http://127.0.0.1:9", { timeoutMs: 2000 }));
    expect(error).to.be.instanceOf(ChainError).with.property("code", "RPC_UNAVAILABLE");
    expect((error as Error).message).to.match(/cannot reach a JSON-RPC node at http:\/\/127\.0\.0\.1:9/);
    expect(exitCodeOf(error)).to.equal(ExitCode.Unavailable);
  });

  it("gives up on a node that never answers after the timeout", async () => {
    const started = Date.now();
    const error = await failure(connectRpc(silentUrl, { timeoutMs: 300 }));
    expect(error).to.be.instanceOf(ChainError).with.property("code", "RPC_UNAVAILABLE");
    expect(Date.now() - started).to.be.below(5000);
  });

  it("refuses another chain than the expected one, and a URL that is not http", async () => {
    const wrong = await failure(connectRpc(proxy.url, { expectedChainId: 1n }));
    expect(wrong).to.be.instanceOf(ChainError).with.property("code", "WRONG_CHAIN");
    expect(exitCodeOf(wrong)).to.equal(ExitCode.Usage);
    for (const url of ["not a url", "file:///etc/passwd", "ws://127.0.0.1:8545"]) {
      const bad = await failure(connectRpc(url));
      expect(bad, url).to.be.instanceOf(ChainError).with.property("code", "CONFIG");
    }
  });

  it("turns a node failing mid-way into a typed error on the ethers side too", async () => {
    const c = await connect();
    proxy.inject({ method: "eth_blockNumber", fault: { kind: "drop" }, times: 1 });
    const dropped = await failure(c.provider.send("eth_blockNumber", []));
    expect(dropped).to.be.instanceOf(ChainError).with.property("code", "RPC_UNAVAILABLE");
    expect(exitCodeOf(dropped)).to.equal(ExitCode.Unavailable);
    proxy.inject({ method: "eth_getBalance", fault: { kind: "result", value: { not: "a quantity" } }, times: 1 });
    const garbage = await failure(c.provider.getBalance(Wallet.createRandom().address));
    expect(garbage).to.not.equal(null);
    expect(await c.provider.getBlockNumber()).to.be.a("number");
  });
});
