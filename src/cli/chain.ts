/**
 * The chain as one-shot commands reach it: the node of `--rpc`, the deployments file, the signer
 * of `--key-file`/`--key-env`, the contracts attached to it, and `send` for one write that waits
 * for its receipt and turns a revert into `ChainError("REVERTED")` with the decoded custom error.
 * (Long-running parties write through the outbox instead: src/chain/outbox.ts.)
 */
import type { ContractTransactionResponse, Provider, TransactionReceipt, Wallet } from "ethers";
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
  signer?: Wallet;
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
    const connected = signer?.connect(conn.provider);
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

/** Sends one write and waits for its receipt; a revert becomes `ChainError("REVERTED")` naming the custom error. */
export async function send(action: string, write: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const [{ ChainError }, { combineAbis, ethersRevertOf }, abis] = await Promise.all([
    import("../chain/errors.js"), import("../chain/decode.js"), import("../chain/abi/index.js"),
  ]);
  try {
    const tx = await write();
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new ChainError("REVERTED", `${action} failed`, { action, txHash: tx.hash });
    return receipt;
  } catch (error) {
    if (error instanceof ChainError) throw error;
    const iface = combineAbis([abis.ParticipantRegistryAbi, abis.EvidenceLedgerAbi, abis.RoamingSettlementAbi, abis.EscrowOpeningsAbi, abis.SettlementTestTokenAbi] as never[]);
    const revert = ethersRevertOf(error, iface);
    if (revert) {
      const args = revert.args.map((a) => (typeof a === "bigint" ? a.toString() : a));
      throw new ChainError("REVERTED", `${action} reverted with ${revert.name}(${args.join(", ")})`, { action, error: revert.name, args }, error);
    }
    throw error;
  }
}
