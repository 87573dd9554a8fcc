/** Deployment of the core contracts; shared by scripts, benchmarks and tests. */
import { ContractFactory, type BaseContract, type ContractRunner, type Signer } from "ethers";
import { loadArtifact } from "./artifacts.js";

/** An ethers contract whose methods come from its ABI at run time. */
export type DynamicContract = Omit<BaseContract, "connect"> & {
  connect(runner: ContractRunner | null): DynamicContract;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [method: string]: any;
};

export interface CoreDeployment {
  registry: DynamicContract;
  ledger: DynamicContract;
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
}

async function deploy(name: string, signer: Signer, args: unknown[]): Promise<DynamicContract> {
  const artifact = loadArtifact(name);
  const factory = new ContractFactory(artifact.abi as any[], artifact.bytecode, signer);
  const contract = await factory.deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as DynamicContract;
}

/** Deploys ParticipantRegistry and EvidenceLedger with `deployer` as default admin. */
export async function deployCore(deployer: Signer, options: DeployOptions = {}): Promise<CoreDeployment> {
  const admin = await deployer.getAddress();
  const registry = await deploy("ParticipantRegistry", deployer, [
    options.adminDelay ?? 3 * 24 * 3600,
    admin,
    options.registrar ?? admin,
  ]);
  const registryAddress = await registry.getAddress();
  const receipt = await registry.deploymentTransaction()?.wait();
  const ledger = await deploy("EvidenceLedger", deployer, [registryAddress]);
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
