/** Connecting to a JSON-RPC node with a bounded wait and a clear error when it is unreachable. */
import { FetchRequest, JsonRpcProvider, Network, type Provider } from "ethers";
import { UsageError } from "./args.js";

export interface Connection {
  provider: Provider;
  /** Releases the connection (a no-op for providers the caller does not own). */
  close(): void;
}

/** Provider factory; tests pass one that returns an in-process provider. */
export type Connect = (url: string) => Promise<Connection>;

/** Asks the node for its chain id first (with a timeout), then returns a provider fixed to it. */
export const connectRpc: Connect = async (url) => {
  const req = new FetchRequest(url);
  req.timeout = 10_000;
  req.setHeader("content-type", "application/json");
  req.body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
  let chainId: bigint;
  try {
    const res = await req.send();
    res.assertOk();
    chainId = BigInt((res.bodyJson as { result: string }).result);
  } catch (cause) {
    throw new UsageError(`cannot reach a JSON-RPC node at ${url}: ${(cause as Error).message}`);
  }
  const provider = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true });
  return { provider, close: () => provider.destroy() };
};
