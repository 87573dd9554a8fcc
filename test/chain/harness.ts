/**
 * A chain for the chain-layer tests: the evidence fixture, a fresh funded raw-key Wallet with
 * SUBMITTER_ROLE, a fault-injecting JSON-RPC proxy in front of the in-process network, and a
 * temporary directory for bot databases. Everything is closed by `close()`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, id, parseEther, randomBytes, Wallet } from "ethers";
import { BotDatabase } from "../../src/chain/db.js";
import type { ChainError } from "../../src/chain/errors.js";
import { Outbox, type OutboxOptions } from "../../src/chain/outbox.js";
import { ChainRpc, httpProvider } from "../../src/chain/rpc.js";
import { EvidenceLedgerAbi, ParticipantRegistryAbi } from "../../src/chain/abi/index.js";
import { AnchorKind } from "../../src/evidence/types.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { RpcProxy } from "../helpers/rpcProxy.js";

export const LEDGER_ABI = EvidenceLedgerAbi;
export const REGISTRY_ABI = ParticipantRegistryAbi;
export const BATCH_ANCHORED = id("BatchAnchored(bytes32,address,uint32,uint8,uint40)");

export type Fixture = Awaited<ReturnType<typeof evidenceFixture>>;

export interface Harness {
  connection: TestConnection;
  f: Fixture;
  chainId: bigint;
  wallet: Wallet;
  proxy: RpcProxy;
  /** The validated client through the proxy (what the bot uses). */
  rpc: ChainRpc;
  dir: string;
  /** A raw call on the in-process network, bypassing the proxy (test control). */
  hh(method: string, params?: unknown[]): Promise<unknown>;
  openDb(name?: string): BotDatabase;
  openOutbox(db: BotDatabase, options?: Partial<OutboxOptions>): Promise<Outbox>;
  /** An `anchorBatch(root, 1, Receipts)` intent. */
  anchorIntent(key: string, root?: string): { key: string; label: string; to: string; data: string; root: string };
  /** BatchAnchored logs of `root` on the canonical chain. */
  anchoredLogs(root: string): Promise<{ transactionHash: string; blockNumber: string }[]>;
  nonceOf(address: string, tag?: string): Promise<number>;
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const connection = await createNetwork();
  const f = await evidenceFixture(connection);
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  await (await f.admin.sendTransaction({ to: wallet.address, value: parseEther("100") })).wait();
  await (await f.registry.grantRole(f.roles.SUBMITTER, wallet.address)).wait();
  const proxy = await RpcProxy.start(connection.provider);
  const rpc = new ChainRpc(httpProvider(proxy.url, { timeoutMs: 10_000 }));
  const dir = mkdtempSync(join(tmpdir(), "chain-test-"));
  const dbs: BotDatabase[] = [];
  const hh = (method: string, params: unknown[] = []) => connection.provider.request({ method, params });
  return {
    connection,
    f,
    chainId: f.chainId,
    wallet,
    proxy,
    rpc,
    dir,
    hh,
    openDb(name = "bot.sqlite") {
      const db = BotDatabase.open(join(dir, name));
      dbs.push(db);
      return db;
    },
    openOutbox(db, options = {}) {
      return Outbox.open({
        db,
        rpc,
        signer: wallet,
        chainId: f.chainId,
        abis: [LEDGER_ABI, REGISTRY_ABI],
        confirmations: 1,
        doneErrors: ["EvidenceAlreadyAnchored"],
        dropAfterMs: 0,
        ...options,
      });
    },
    anchorIntent(key, root = hexlify(randomBytes(32))) {
      const data = f.ledger.interface.encodeFunctionData("anchorBatch", [root, 1, AnchorKind.Receipts]);
      return { key, label: "anchor", to: f.ledgerAddress, data, root };
    },
    async anchoredLogs(root) {
      return (await hh("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest", address: f.ledgerAddress, topics: [BATCH_ANCHORED, root] }])) as {
        transactionHash: string;
        blockNumber: string;
      }[];
    },
    async nonceOf(address, tag = "latest") {
      return Number(await hh("eth_getTransactionCount", [address, tag]));
    },
    async close() {
      for (const db of dbs) db.close();
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<ChainError> {
  try {
    await promise;
  } catch (error) {
    return error as ChainError;
  }
  throw new Error("expected a rejection");
}
