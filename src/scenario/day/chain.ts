/**
 * A day's chain from a local node (the embedded Hardhat network served on 127.0.0.1, a separate
 * `hardhat node`, or Anvil): the day talks JSON-RPC over HTTP to the same URL the settlement bots
 * use, with the first development account as the operator.
 */
import { JsonRpcProvider, Wallet } from "ethers";
import type { LocalNode } from "../../chain/localNode.js";
import { DayError } from "./errors.js";
import type { DayChain } from "./world.js";

export function dayChainOf(node: LocalNode, name: string): DayChain {
  const account = node.accounts[0];
  if (account === undefined) throw new DayError("FAILED", "the node unlocks no development account");
  // No request batching (each call goes out at once) and no result cache (a cached nonce would repeat).
  const provider = new JsonRpcProvider(node.url, node.chainId, { staticNetwork: true, batchMaxCount: 1, pollingInterval: 100, cacheTimeout: -1 });
  return { name, provider, operator: new Wallet(account.privateKey, provider), rpcUrl: node.url, close: () => provider.destroy() };
}
