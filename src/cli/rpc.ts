/** The CLI's connection to a JSON-RPC node: the chain layer's one client (`connectRpc` in src/chain/rpc.ts). */
import type { Provider } from "ethers";
import { ChainError } from "../chain/errors.js";
import { connectRpc as connectChain, DEFAULT_RPC_TIMEOUT_MS } from "../chain/rpc.js";
import { UsageError } from "./args.js";

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
 * after `timeoutMs`. The commands still report an unreachable node as a usage error (exit 2) until
 * they map errors through `exitCodeOf` (src/errors.ts), where it is `Unavailable` (3).
 */
export const connectRpc: Connect = async (url, timeoutMs = DEFAULT_RPC_TIMEOUT_MS) => {
  try {
    const { provider, close } = await connectChain(url, { timeoutMs });
    return { provider, close };
  } catch (error) {
    if (error instanceof ChainError) throw new UsageError(error.message, { chainCode: error.code }, error);
    throw error;
  }
};
