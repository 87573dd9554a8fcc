/** Deployment of the core contracts; shared by scripts, benchmarks and tests. */
import { ContractFactory, type BaseContract, type ContractRunner, type Signer } from "ethers";
import { loadArtifact } from "./artifacts.js";

export interface CoreDeployment {
  registry: BaseContract & Record<string, any>;
  ledger: BaseContract & Record<string, any>;
  registryAddress: string;
  ledgerAddress: string;
  chainId: bigint;
  /** Block of the registry's deployment: where event readers start. */
  startBlock: number;
}

export interface DeployOptions {
  /** Default-admin transfer delay, seconds. */
  adminDelay?: number;
  /** Initial registrar (CA); defaults to the deployer. */
  registrar?: string;
  /** Contract names to deploy instead of the production ones (e.g. a settable-clock subclass). */
  registryContract?: string;
  ledgerContract?: string;
}

async function deploy(name: string, signer: Signer, args: unknown[]): Promise<BaseContract & Record<string, any>> {
  const file = name.startsWith("Test") ? `test/${name}.sol` : `${name}.sol`;
  const artifact = loadArtifact(name, file);
  const factory = new ContractFactory(artifact.abi as any[], artifact.bytecode, signer);
  const contract = await factory.deploy(...args);
  await contract.waitForDeployment();
  return contract as BaseContract & Record<string, any>;
}

/** Deploys ParticipantRegistry and EvidenceLedger with `deployer` as default admin. */
export async function deployCore(deployer: Signer, options: DeployOptions = {}): Promise<CoreDeployment> {
  const admin = await deployer.getAddress();
  const registry = await deploy(options.registryContract ?? "ParticipantRegistry", deployer, [
    options.adminDelay ?? 3 * 24 * 3600,
    admin,
    options.registrar ?? admin,
  ]);
  const registryAddress = await registry.getAddress();
  const receipt = await registry.deploymentTransaction()?.wait();
  const ledger = await deploy(options.ledgerContract ?? "EvidenceLedger", deployer, [registryAddress]);
  const runner = deployer.provider as ContractRunner & { getNetwork(): Promise<{ chainId: bigint }> };
  const { chainId } = await runner.getNetwork();
  return {
    registry,
    ledger,
    registryAddress,
    ledgerAddress: await ledger.getAddress(),
    chainId,
    startBlock: receipt?.blockNumber ?? 0,
  };
}
