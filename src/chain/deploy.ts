/**
 * Contract handles from the committed ABI modules, and the parts of `deployAll` (src/chain/deployAll.ts):
 * the core contracts, RoamingSettlement, EscrowOpenings. Tests that need one part on its own use these.
 */
import { BaseContract, Contract, ContractFactory, type ContractRunner, type InterfaceAbi, type Signer } from "ethers";
import {
  EscrowOpeningsAbi, EscrowOpeningsBytecode, EvidenceLedgerAbi, EvidenceLedgerBytecode, ParticipantRegistryAbi, ParticipantRegistryBytecode,
  RoamingSettlementAbi, RoamingSettlementBytecode,
} from "./abi/index.js";
import { ChainError } from "./errors.js";

/** An ethers contract whose methods come from its (committed, typed) ABI at run time. */
export type DynamicContract = Omit<BaseContract, "connect"> & {
  connect(runner: ContractRunner | null): DynamicContract;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ethers 6 derives no method types from an ABI
  [method: string]: any;
};

/** A typed ABI as the ABI modules export it. */
export type Abi = Exclude<InterfaceAbi, string>;

export interface CoreDeployment {
  registry: DynamicContract;
  ledger: DynamicContract;
  registryAddress: string;
  ledgerAddress: string;
  chainId: bigint;
  /** Block of the registry's deployment: where event readers start. */
  startBlock: number;
  /** Block of the ledger's deployment. */
  ledgerBlock: number;
}

export interface DeployOptions {
  /** Default-admin transfer delay, seconds (default three days). */
  adminDelay?: number;
  /** Default admin; defaults to the deployer. */
  admin?: string;
  /** Initial registrar (CA); defaults to the deployer. */
  registrar?: string;
}

/** The contract at `address` with `abi`, connected to `runner`. */
export function contractAt(abi: Abi, address: string, runner: ContractRunner | null): DynamicContract {
  return new Contract(address, abi, runner) as unknown as DynamicContract;
}

/** Deploys `bytecode` with constructor `args` and waits for it; returns the contract and its block. */
export async function deployContract(deployer: Signer, abi: Abi, bytecode: string, args: readonly unknown[]): Promise<{ contract: DynamicContract; block: number }> {
  const factory = new ContractFactory(abi, bytecode, deployer);
  const contract = await factory.deploy(...args);
  const receipt = await contract.deploymentTransaction()?.wait();
  if (!receipt) throw new ChainError("BAD_RESPONSE", "the deployment transaction has no receipt");
  await contract.waitForDeployment();
  return { contract: contract as unknown as DynamicContract, block: receipt.blockNumber };
}

/** Deploys ParticipantRegistry and EvidenceLedger with `deployer` (or `options.admin`) as default admin. */
export async function deployCore(deployer: Signer, options: DeployOptions = {}): Promise<CoreDeployment> {
  const from = await deployer.getAddress();
  const { contract: registry, block: startBlock } = await deployContract(deployer, ParticipantRegistryAbi, ParticipantRegistryBytecode, [
    options.adminDelay ?? 3 * 24 * 3600,
    options.admin ?? from,
    options.registrar ?? from,
  ]);
  const registryAddress = await registry.getAddress();
  const { contract: ledger, block: ledgerBlock } = await deployContract(deployer, EvidenceLedgerAbi, EvidenceLedgerBytecode, [registryAddress]);
  const provider = deployer.provider;
  if (!provider) throw new ChainError("CONFIG", "the deployer has no provider");
  const { chainId } = await provider.getNetwork();
  return {
    registry,
    ledger,
    registryAddress,
    ledgerAddress: await ledger.getAddress(),
    chainId,
    startBlock,
    ledgerBlock,
  };
}

/** Durations of RoamingSettlement, seconds (the constructor's `Timing`). */
export interface SettlementTiming {
  /** How long a claim can be disputed after its submission. */
  challengeWindow: number | bigint;
  /** Length of a settlement period. */
  periodSeconds: number | bigint;
  /** How long after its end a period still takes claims. */
  claimGrace: number | bigint;
  /** Notice of a withdrawal: must exceed a period, its grace and the challenge window together. */
  withdrawalNotice: number | bigint;
}

/** The constructor arguments of RoamingSettlement besides its addresses. */
export interface SettlementOptions {
  timing: SettlementTiming;
  /** Default-admin transfer delay, seconds. */
  adminDelay: number | bigint;
  /** Default admin; defaults to the deployer. */
  admin?: string;
}

/** Deploys RoamingSettlement over `registry`, `ledger` and `token`. */
export async function deployRoamingSettlement(
  deployer: Signer,
  [registry, ledger, token]: readonly [string, string, string],
  options: SettlementOptions,
): Promise<{ contract: DynamicContract; block: number }> {
  const { challengeWindow, periodSeconds, claimGrace, withdrawalNotice } = options.timing;
  return deployContract(deployer, RoamingSettlementAbi, RoamingSettlementBytecode, [
    registry, ledger, token, { challengeWindow, periodSeconds, claimGrace, withdrawalNotice }, options.adminDelay,
    options.admin ?? (await deployer.getAddress()),
  ]);
}

/** How many arbiters approve an opening, and which contracts' disputes openings may point at. */
export interface EscrowOpeningsOptions {
  /** k of the k-of-n arbiter approval (default 2). */
  threshold?: number;
  /** Dispute-recording contracts known from the start (the EvidenceLedger, RoamingSettlement). */
  recorders?: readonly string[];
}

/** Deploys EscrowOpenings reading roles from the registry at `registryAddress`. */
export async function deployEscrowOpenings(
  deployer: Signer,
  registryAddress: string,
  options: EscrowOpeningsOptions = {},
): Promise<{ contract: DynamicContract; block: number }> {
  return deployContract(deployer, EscrowOpeningsAbi, EscrowOpeningsBytecode, [registryAddress, options.threshold ?? 2, [...(options.recorders ?? [])]]);
}
