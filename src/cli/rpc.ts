/** The CLI's connection to a JSON-RPC node: the chain layer's one client (`connectRpc` in src/chain/rpc.ts). */
import type { Provider } from "ethers";
import { connectRpc as connectChain, DEFAULT_RPC_TIMEOUT_MS } from "../chain/rpc.js";

export { DEFAULT_RPC_TIMEOUT_MS };

export interface Connection {
  provider: Provider;
  /** Releases the connection (a no-op for providers the caller does not own). */
  close(): void;
}

/** Provider factory; tests pass one that returns an in-process provider. */
export type Connect = (url: string, timeoutMs?: number) => Promise<Connection>;

/**
 * Asks the node for its chain id first, then returns a provider fixed to it; every call gives up
 * after `timeoutMs`. A node that cannot be reached, or accepts the connection and never answers,
 * is `ChainError("RPC_UNAVAILABLE")`: exit 3, never a hang.
 */
export const connectRpc: Connect = async (url, timeoutMs = DEFAULT_RPC_TIMEOUT_MS) => {
  const { provider, close } = await connectChain(url, { timeoutMs });
  return { provider, close };
};
