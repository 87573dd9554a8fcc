/** Connecting to a JSON-RPC node with a bounded wait and a clear error when it is unreachable. */
import { FetchRequest, JsonRpcProvider, Network, type Provider } from "ethers";
import { ChainError } from "../chain/errors.js";

export interface Connection {
  provider: Provider;
  /** Releases the connection (a no-op for providers the caller does not own). */
  close(): void;
}

/** Provider factory; tests pass one that returns an in-process provider. */
export type Connect = (url: string, timeoutMs?: number) => Promise<Connection>;

/** How long one call to the node may take unless `--rpc-timeout` says otherwise. */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;

/**
 * Asks the node for its chain id first, then returns a provider fixed to it. Every call, the
 * first and all later ones, gives up after `timeoutMs`: a node that accepts the connection and
 * never answers is an error (`ChainError("RPC_UNAVAILABLE")`, exit 3), never a hang. Answers are
 * not cached: a command's consecutive writes each read the account's current nonce.
 */
export const connectRpc: Connect = async (url, timeoutMs = DEFAULT_RPC_TIMEOUT_MS) => {
  const req = new FetchRequest(url);
  req.timeout = timeoutMs;
  req.setHeader("content-type", "application/json");
  req.body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
  let chainId: bigint;
  try {
    const res = await req.send();
    res.assertOk();
    chainId = BigInt((res.bodyJson as { result: string }).result);
  } catch (cause) {
    throw new ChainError("RPC_UNAVAILABLE", `cannot reach a JSON-RPC node at ${url}: ${(cause as Error).message}`, { url }, cause);
  }
  const calls = new FetchRequest(url);
  calls.timeout = timeoutMs;
  const provider = new JsonRpcProvider(calls, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  return { provider, close: () => provider.destroy() };
};
