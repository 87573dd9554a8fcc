/**
 * A JSON-RPC client that checks every answer the chain layer depends on: the chain id, block
 * headers, receipts, transactions, logs and transaction hashes are parsed with zod and
 * cross-checked against the request, so a wrong or partial answer becomes a `BAD_RESPONSE`
 * error instead of a wrong decision. `connectRpc(url)` is how every party reaches a node over
 * HTTP: one transport (`httpProvider`, a timeout per call), the checked client (`ChainRpc`) and an
 * ethers provider over the same transport for contract calls and signers (`ChainProvider`).
 */
import { JsonRpcApiProvider, keccak256, Network, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { z } from "zod";
import { ChainError } from "./errors.js";
import { blockSchema, logSchema, parse, quantity, receiptSchema, txSchema, type BlockHeader, type ChainLog, type ChainReceipt, type ChainTransaction } from "./rpcSchemas.js";

export type { BlockHeader, ChainLog, ChainReceipt, ChainTransaction } from "./rpcSchemas.js";

/** The EIP-1193 shape: an in-process Hardhat network provider, or `httpProvider(url)`. */
export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>;
}

export type BlockTag = number | "latest" | "pending" | "safe" | "finalized";

export interface CallRequest {
  from: string;
  to: string;
  data: string;
  value?: bigint;
}

export interface LogFilter {
  fromBlock: number;
  toBlock: number;
  address?: string | readonly string[];
  topics?: readonly (string | readonly string[] | null)[];
}

const hex = (n: bigint | number) => `0x${n.toString(16)}`;
const tag = (t: BlockTag) => (typeof t === "number" ? hex(t) : t);

/** A plain JSON-RPC-over-HTTP provider (`fetch`, one request per call, a timeout per request). */
export function httpProvider(url: string, options: { timeoutMs?: number } = {}): Eip1193Provider {
  const timeoutMs = options.timeoutMs ?? 15_000;
  let nextId = 1;
  return {
    async request({ method, params }) {
      const id = nextId++;
      let body: unknown;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id, method, params: params ?? [] }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.status === 429 || response.status >= 500) {
          throw new ChainError("RPC_UNAVAILABLE", `${method}: endpoint answered HTTP ${response.status}`, { method });
        }
        body = await response.json();
      } catch (cause) {
        if (cause instanceof ChainError) throw cause;
        throw new ChainError("RPC_UNAVAILABLE", `${method}: no answer from the endpoint`, { method }, cause);
      }
      const envelope = body as { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
      if (envelope === null || typeof envelope !== "object" || envelope.id !== id) {
        throw new ChainError("BAD_RESPONSE", `${method}: not a JSON-RPC answer to this request`, { method });
      }
      if (envelope.error !== undefined) throw envelope.error;
      if (!("result" in envelope)) throw new ChainError("BAD_RESPONSE", `${method}: answer without result`, { method });
      return envelope.result;
    },
  };
}

/** Turns whatever a provider threw into a ChainError (a JSON-RPC error keeps its code and data). */
export function rpcFailure(method: string, error: unknown): ChainError {
  if (error instanceof ChainError) return error;
  const e = error as { code?: unknown; message?: unknown; data?: unknown } | null;
  const code = e?.code;
  if (typeof code === "number" && Number.isInteger(code) && code !== 4900 && code !== 4901) {
    const message = typeof e?.message === "string" ? e.message : "JSON-RPC error";
    return new ChainError("RPC_ERROR", `${method}: ${message}`, { method, rpcCode: code, rpcMessage: message, rpcData: e?.data }, error);
  }
  return new ChainError("RPC_UNAVAILABLE", `${method}: provider failed`, { method }, error);
}

export class ChainRpc {
  constructor(readonly provider: Eip1193Provider) {}

  /** One raw call; any failure comes back as a ChainError. */
  async request(method: string, params: readonly unknown[] = []): Promise<unknown> {
    try {
      return await this.provider.request({ method, params });
    } catch (error) {
      throw rpcFailure(method, error);
    }
  }

  async chainId(): Promise<bigint> {
    return parse("eth_chainId", quantity, await this.request("eth_chainId"));
  }

  /** Refuses an endpoint of another chain (checked when a bot starts). */
  async assertChainId(expected: bigint): Promise<void> {
    const actual = await this.chainId();
    if (actual !== expected) {
      throw new ChainError("WRONG_CHAIN", `endpoint serves chain ${actual}, configured chain is ${expected}`, {
        expected: expected.toString(),
        actual: actual.toString(),
      });
    }
  }

  async blockNumber(): Promise<number> {
    return Number(parse("eth_blockNumber", quantity, await this.request("eth_blockNumber")));
  }

  /** The header at `at`, or null past the head. */
  async getBlock(at: number | "latest"): Promise<BlockHeader | null> {
    const raw = await this.request("eth_getBlockByNumber", [tag(at), false]);
    if (raw === null) return null;
    const block = parse("eth_getBlockByNumber", blockSchema, raw);
    if (typeof at === "number" && block.number !== at) {
      throw new ChainError("BAD_RESPONSE", "eth_getBlockByNumber: answered another height", { asked: at, got: block.number });
    }
    return block;
  }

  async transactionCount(address: string, at: BlockTag): Promise<number> {
    return Number(parse("eth_getTransactionCount", quantity, await this.request("eth_getTransactionCount", [address, tag(at)])));
  }

  async estimateGas(call: CallRequest, at: BlockTag = "pending"): Promise<bigint> {
    return parse("eth_estimateGas", quantity, await this.request("eth_estimateGas", [callObject(call), tag(at)]));
  }

  async call(call: CallRequest, at: BlockTag): Promise<string> {
    return parse("eth_call", z.string().regex(/^0x[0-9a-fA-F]*$/), await this.request("eth_call", [callObject(call), tag(at)]));
  }

  async gasPrice(): Promise<bigint> {
    return parse("eth_gasPrice", quantity, await this.request("eth_gasPrice"));
  }

  /** `eth_maxPriorityFeePerGas`, or null where the node does not have it. */
  async maxPriorityFeePerGas(): Promise<bigint | null> {
    try {
      return parse("eth_maxPriorityFeePerGas", quantity, await this.request("eth_maxPriorityFeePerGas"));
    } catch (error) {
      if (error instanceof ChainError && error.code === "RPC_ERROR") return null;
      throw error;
    }
  }

  /** Broadcasts a signed transaction; the node must answer with the hash of exactly these bytes. */
  async sendRawTransaction(raw: string): Promise<string> {
    const hash = keccak256(raw);
    const answer = parse("eth_sendRawTransaction", z.string(), await this.request("eth_sendRawTransaction", [raw]));
    if (answer.toLowerCase() !== hash) {
      throw new ChainError("BAD_RESPONSE", "eth_sendRawTransaction: node answered another hash", { expected: hash, got: answer });
    }
    return hash;
  }

  /** The transaction as the node knows it (pending or mined), or null. */
  async getTransaction(hash: string): Promise<ChainTransaction | null> {
    const raw = await this.request("eth_getTransactionByHash", [hash]);
    if (raw === null) return null;
    const tx = parse("eth_getTransactionByHash", txSchema, raw);
    if (tx.hash !== hash.toLowerCase()) throw new ChainError("BAD_RESPONSE", "eth_getTransactionByHash: another transaction", { hash });
    return tx;
  }

  /** The receipt of a mined transaction, or null; every field the layer reads is checked. */
  async getReceipt(hash: string): Promise<ChainReceipt | null> {
    const raw = await this.request("eth_getTransactionReceipt", [hash]);
    if (raw === null) return null;
    const receipt = parse("eth_getTransactionReceipt", receiptSchema, raw);
    if (receipt.transactionHash !== hash.toLowerCase()) {
      throw new ChainError("BAD_RESPONSE", "eth_getTransactionReceipt: receipt of another transaction", { hash });
    }
    for (const log of receipt.logs) {
      if (log.transactionHash !== receipt.transactionHash || log.blockHash !== receipt.blockHash || log.blockNumber !== receipt.blockNumber) {
        throw new ChainError("BAD_RESPONSE", "eth_getTransactionReceipt: a log does not belong to the receipt", { hash });
      }
    }
    return receipt;
  }

  async getLogs(filter: LogFilter): Promise<ChainLog[]> {
    const params = {
      fromBlock: hex(filter.fromBlock),
      toBlock: hex(filter.toBlock),
      ...(filter.address === undefined ? {} : { address: filter.address }),
      ...(filter.topics === undefined ? {} : { topics: filter.topics }),
    };
    const logs = parse("eth_getLogs", z.array(logSchema), await this.request("eth_getLogs", [params]));
    for (const log of logs) {
      if (log.blockNumber < filter.fromBlock || log.blockNumber > filter.toBlock) {
        throw new ChainError("BAD_RESPONSE", "eth_getLogs: a log outside the asked range", { block: log.blockNumber });
      }
    }
    return logs;
  }
}

function callObject(call: CallRequest): Record<string, string> {
  return { from: call.from, to: call.to, data: call.data, ...(call.value ? { value: hex(call.value) } : {}) };
}

/**
 * An ethers provider whose every request goes through `transport`: a JSON-RPC error object comes
 * back to ethers as such (so reverts decode as usual), a transport failure as the transport's
 * `ChainError` (`RPC_UNAVAILABLE` for a closed port or a timeout).
 */
export class ChainProvider extends JsonRpcApiProvider {
  constructor(private readonly transport: Eip1193Provider, network: Network) {
    super(network, { staticNetwork: network, batchMaxCount: 1 });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | { id: number; error: { code: number; message: string; data?: unknown } })[]> {
    const answers = [];
    for (const p of Array.isArray(payload) ? payload : [payload]) {
      try {
        answers.push({ id: p.id, result: await this.transport.request({ method: p.method, params: p.params as readonly unknown[] }) });
      } catch (error) {
        const failure = rpcFailure(p.method, error);
        if (failure.code !== "RPC_ERROR") throw failure;
        const { rpcCode, rpcMessage, rpcData } = failure.details as { rpcCode: number; rpcMessage: string; rpcData?: unknown };
        answers.push({ id: p.id, error: { code: rpcCode, message: rpcMessage, data: rpcData } });
      }
    }
    return answers as JsonRpcResult[];
  }
}

/** A node reached over HTTP: the checked client, an ethers provider over the same transport, its chain id. */
export interface RpcConnection {
  rpc: ChainRpc;
  provider: ChainProvider;
  chainId: bigint;
  /** Stops the provider (no timers are left behind). */
  close(): void;
}

/** How long one call to a node may take unless the caller says otherwise. */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;

/**
 * Connects to the JSON-RPC node at `url`: asks its chain id first (`RPC_UNAVAILABLE` when it cannot
 * be reached or does not answer within `timeoutMs`; every later call has the same bound), and
 * `WRONG_CHAIN` when `expectedChainId` is given and the node serves another chain.
 */
export async function connectRpc(url: string, options: { timeoutMs?: number; expectedChainId?: bigint } = {}): Promise<RpcConnection> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ChainError("CONFIG", `not a URL: "${url}"`, { url }, cause);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ChainError("CONFIG", `not an http(s) URL: "${url}"`, { url });
  const transport = httpProvider(url, { timeoutMs: options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS });
  const rpc = new ChainRpc(transport);
  let chainId: bigint;
  try {
    chainId = await rpc.chainId();
  } catch (error) {
    if (error instanceof ChainError && error.code === "RPC_UNAVAILABLE") {
      throw new ChainError("RPC_UNAVAILABLE", `cannot reach a JSON-RPC node at ${url}: ${error.message}`, { url }, error);
    }
    throw error;
  }
  if (options.expectedChainId !== undefined && chainId !== options.expectedChainId) {
    throw new ChainError("WRONG_CHAIN", `the node at ${url} serves chain ${chainId}, expected ${options.expectedChainId}`, {
      expected: options.expectedChainId.toString(), actual: chainId.toString(),
    });
  }
  const provider = new ChainProvider(transport, Network.from(chainId));
  return { rpc, provider, chainId, close: () => provider.destroy() };
}
