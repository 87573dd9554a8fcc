/**
 * The chain as one-shot commands reach it: the node of `--rpc`, the deployments file, the signer
 * of `--key-file`/`--key-env`, the contracts attached to it, and `send` for one write that waits
 * for its receipt and turns a revert into `ChainError("REVERTED")` with the decoded custom error.
 * (Long-running parties write through the outbox instead: src/chain/outbox.ts.)
 */
import type { ContractTransactionResponse, NonceManager, Provider, TransactionReceipt } from "ethers";
import type { DeployedContracts, Deployment } from "../chain/deployAll.js";
import { parseExistingFile, userFolder } from "./args.js";
import type { CliDeps, GlobalOptions } from "./context.js";
import { loadKey } from "./keys.js";
import { resolve } from "node:path";

/** Where the deployments file is unless `--deployments` says otherwise. */
export const DEFAULT_DEPLOYMENTS = "deployments/local.json";

export interface ChainSession {
  provider: Provider;
  deployment: Deployment;
  /** The contracts, connected to the signer when there is one, else to the provider. */
  contracts: DeployedContracts;
  /** The signer with its nonces counted here: the provider's answers may be cached for a moment. */
  signer?: NonceManager;
  close(): void;
}

/** Reads the deployments file, connects to the node (same chain) and, with `sign`, the signer. */
export async function openSession(g: GlobalOptions, deps: CliDeps, deploymentsFile: string, sign: boolean): Promise<ChainSession> {
  const path = parseExistingFile(deploymentsFile, "--deployments");
  const [{ readDeployments, attachDeployment }, { ChainError }] = await Promise.all([import("../chain/deployAll.js"), import("../chain/errors.js")]);
  const deployment = readDeployments(path);
  const signer = sign ? loadKey(g.key, "--key", deps.env) : undefined;
  const conn = await deps.connect(g.rpc, g.rpcTimeoutMs);
  try {
    const { chainId } = await conn.provider.getNetwork();
    if (chainId.toString() !== deployment.chainId) {
      throw new ChainError("WRONG_CHAIN", `the node at ${g.rpc} serves chain ${chainId}, the deployments file is for chain ${deployment.chainId}`, {
        node: chainId.toString(), deployment: deployment.chainId,
      });
    }
    const { NonceManager } = await import("ethers");
    const connected = signer ? new NonceManager(signer.connect(conn.provider)) : undefined;
    return { provider: conn.provider, deployment, contracts: attachDeployment(deployment, connected ?? conn.provider), signer: connected, close: conn.close };
  } catch (error) {
    conn.close();
    throw error;
  }
}

/** The path of the deployments file for `--deployments`, from the user's folder. */
export function deploymentsPath(value: string | undefined): string {
  return resolve(userFolder(), value ?? DEFAULT_DEPLOYMENTS);
}

/**
 * Sends one write and waits for its receipt; a failure becomes a `ChainError` through the chain
 * layer's one mapper (`toChainError`): `REVERTED` naming the custom error, or the node's failure.
 */
export async function send(action: string, write: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const [{ ChainError }, { toChainError }] = await Promise.all([import("../chain/errors.js"), import("../chain/decode.js")]);
  let hash: string | undefined;
  try {
    const tx = await write();
    hash = tx.hash;
    const receipt = await tx.wait();
    if (receipt && receipt.status === 1) return receipt;
  } catch (error) {
    throw toChainError(action, error);
  }
  throw new ChainError("REVERTED", `${action} failed`, { action, txHash: hash });
}
