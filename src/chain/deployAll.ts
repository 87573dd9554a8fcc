/**
 * The one deploy path: `deployAll(deployer, settings)` deploys the registry, the evidence ledger,
 * the settlement token (the test token on a local network, or an existing token), RoamingSettlement
 * and EscrowOpenings from the committed ABI modules, and returns typed handles, addresses and the
 * start block. `writeDeployments` / `readDeployments` keep the result in `deployments/<network>.json`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { getAddress, type ContractRunner, type Provider, type Signer } from "ethers";
import { z } from "zod";
import { EscrowOpeningsAbi, EvidenceLedgerAbi, ParticipantRegistryAbi, RoamingSettlementAbi, SettlementTestTokenAbi, SettlementTestTokenBytecode } from "./abi/index.js";
import {
  contractAt, deployContract, deployCore, deployEscrowOpenings, deployRoamingSettlement, type CoreDeployment, type DynamicContract,
  type SettlementTiming,
} from "./deploy.js";
import { ChainError } from "./errors.js";

/** Everything `deployAll` needs besides the deployer; every field has a default (`DEFAULT_SETTINGS`). */
export interface DeploySettings {
  /** Default admin of every contract; the deployer when null. */
  admin: string | null;
  /** Initial registrar (the CA) of the registry; the deployer when null. */
  registrar: string | null;
  /** Default-admin transfer delay of the registry, seconds. */
  registryAdminDelay: number;
  settlement: { [K in keyof SettlementTiming]: number } & {
    /** Default-admin transfer delay of the settlement contract, seconds. */
    adminDelay: number;
    /** The bond a CDR dispute costs, in token base units (decimal string; "0" for none). */
    disputeFee: string;
  };
  /** k of the k-of-n arbiter approval of an escrow opening. */
  escrowThreshold: number;
  /** An existing settlement token; null deploys the test token (tEUR, six decimals). */
  token: string | null;
}

/**
 * Defaults for a local network: one-day periods, a day of grace, a three-day challenge window, six
 * days of withdrawal notice, two-day admin delays, no dispute bond, two arbiters per opening.
 */
export const DEFAULT_SETTINGS: DeploySettings = {
  admin: null,
  registrar: null,
  registryAdminDelay: 2 * 86_400,
  settlement: {
    challengeWindow: 3 * 86_400,
    periodSeconds: 86_400,
    claimGrace: 86_400,
    withdrawalNotice: 6 * 86_400,
    adminDelay: 2 * 86_400,
    disputeFee: "0",
  },
  escrowThreshold: 2,
  token: null,
};

/** Settings given in part: anything left out takes its default. */
export type DeploySettingsInput = Partial<Omit<DeploySettings, "settlement">> & { settlement?: Partial<DeploySettings["settlement"]> };

/** The contracts of a deployment, under the names the deployments file uses. */
export const CONTRACT_NAMES = ["ParticipantRegistry", "EvidenceLedger", "RoamingSettlement", "EscrowOpenings", "SettlementToken"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface DeployedAt {
  address: string;
  /** Block of the deployment transaction (for an existing token: the block it was adopted in). */
  block: number;
}

/** What `deployments/<network>.json` holds. */
export interface Deployment {
  network: string;
  /** Decimal string. */
  chainId: string;
  deployer: string;
  /** Block of the first deployment: where event readers start. */
  startBlock: number;
  contracts: Record<ContractName, DeployedAt>;
  settings: DeploySettings;
}

export interface DeployedContracts {
  registry: DynamicContract;
  ledger: DynamicContract;
  settlement: DynamicContract;
  escrowOpenings: DynamicContract;
  token: DynamicContract;
}

export interface FullDeployment extends DeployedContracts {
  deployment: Deployment;
  chainId: bigint;
  startBlock: number;
  registryAddress: string;
  ledgerAddress: string;
  settlementAddress: string;
  escrowOpeningsAddress: string;
  tokenAddress: string;
}

/** `input` over the defaults, checked (the settlement constructor's rule on the notice included). */
export function resolveSettings(input: DeploySettingsInput = {}): DeploySettings {
  const settings = settingsSchema.safeParse({
    ...DEFAULT_SETTINGS,
    ...input,
    settlement: { ...DEFAULT_SETTINGS.settlement, ...input.settlement },
  });
  if (!settings.success) {
    throw new ChainError("CONFIG", `invalid deploy settings: ${formatIssues(settings.error)}`, { issues: settings.error.issues });
  }
  return settings.data;
}

/**
 * Deploys every contract with `deployer` as default admin (or `settings.admin`): registry and
 * ledger (`deployCore`), the token, RoamingSettlement, and EscrowOpenings accepting disputes
 * recorded by the ledger and the settlement contract. Sets the dispute fee when it is not zero.
 */
export async function deployAll(deployer: Signer, input: DeploySettingsInput = {}, options: { network?: string } = {}): Promise<FullDeployment> {
  const settings = resolveSettings(input);
  const from = await deployer.getAddress();
  const admin = settings.admin ?? from;
  const core: CoreDeployment = await deployCore(deployer, {
    adminDelay: settings.registryAdminDelay,
    admin,
    registrar: settings.registrar ?? from,
  });
  let token: DynamicContract;
  let tokenBlock: number;
  if (settings.token === null) {
    ({ contract: token, block: tokenBlock } = await deployContract(deployer, SettlementTestTokenAbi, SettlementTestTokenBytecode, []));
  } else {
    token = contractAt(SettlementTestTokenAbi, settings.token, deployer);
    tokenBlock = core.startBlock;
  }
  const tokenAddress = await token.getAddress();
  const { adminDelay, disputeFee, ...timing } = settings.settlement;
  const { contract: settlement, block: settlementBlock } = await deployRoamingSettlement(
    deployer, [core.registryAddress, core.ledgerAddress, tokenAddress], { timing, adminDelay, admin },
  );
  const settlementAddress = await settlement.getAddress();
  const { contract: escrowOpenings, block: escrowBlock } = await deployEscrowOpenings(deployer, core.registryAddress, {
    threshold: settings.escrowThreshold, recorders: [core.ledgerAddress, settlementAddress],
  });
  if (BigInt(disputeFee) !== 0n) await (await settlement.setDisputeFee(BigInt(disputeFee))).wait();
  const escrowOpeningsAddress = await escrowOpenings.getAddress();
  const deployment: Deployment = {
    network: options.network ?? "local",
    chainId: core.chainId.toString(),
    deployer: getAddress(from),
    startBlock: core.startBlock,
    contracts: {
      ParticipantRegistry: { address: core.registryAddress, block: core.startBlock },
      EvidenceLedger: { address: core.ledgerAddress, block: core.ledgerBlock },
      RoamingSettlement: { address: settlementAddress, block: settlementBlock },
      EscrowOpenings: { address: escrowOpeningsAddress, block: escrowBlock },
      SettlementToken: { address: tokenAddress, block: tokenBlock },
    },
    settings,
  };
  return {
    deployment,
    registry: core.registry,
    ledger: core.ledger,
    settlement,
    escrowOpenings,
    token,
    chainId: core.chainId,
    startBlock: core.startBlock,
    registryAddress: core.registryAddress,
    ledgerAddress: core.ledgerAddress,
    settlementAddress,
    escrowOpeningsAddress,
    tokenAddress,
  };
}

/** Handles of the contracts of a deployment (read from its file) connected to `runner`. */
export function attachDeployment(deployment: Deployment, runner: ContractRunner): DeployedContracts {
  const c = deployment.contracts;
  return {
    registry: contractAt(ParticipantRegistryAbi, c.ParticipantRegistry.address, runner),
    ledger: contractAt(EvidenceLedgerAbi, c.EvidenceLedger.address, runner),
    settlement: contractAt(RoamingSettlementAbi, c.RoamingSettlement.address, runner),
    escrowOpenings: contractAt(EscrowOpeningsAbi, c.EscrowOpenings.address, runner),
    token: contractAt(SettlementTestTokenAbi, c.SettlementToken.address, runner),
  };
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address (0x and 40 hex digits)").transform((a, ctx) => {
  try {
    return getAddress(a);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "an address with a wrong EIP-55 checksum" });
    return z.NEVER;
  }
});
const seconds = z.number().int().positive().max(2 ** 40 - 1);
const block = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const settingsSchema = z.object({
  admin: address.nullable(),
  registrar: address.nullable(),
  registryAdminDelay: z.number().int().nonnegative().max(2 ** 48 - 1),
  settlement: z.object({
    challengeWindow: seconds,
    periodSeconds: seconds,
    claimGrace: z.number().int().nonnegative().max(2 ** 40 - 1),
    withdrawalNotice: seconds,
    adminDelay: z.number().int().nonnegative().max(2 ** 48 - 1),
    disputeFee: z.string().regex(/^(0|[1-9][0-9]{0,38})$/, "a decimal number of token base units").refine((v) => BigInt(v) < 2n ** 128n, "below 2^128"),
  }).strict().refine(
    (s) => s.withdrawalNotice > s.periodSeconds + s.claimGrace + s.challengeWindow,
    { message: "withdrawalNotice must exceed periodSeconds + claimGrace + challengeWindow", path: ["withdrawalNotice"] },
  ),
  escrowThreshold: z.number().int().min(1).max(255),
  token: address.nullable(),
}).strict();

const deployedAt = z.object({ address, block }).strict();

const deploymentSchema = z.object({
  network: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a network name (letters, digits, - and _)"),
  chainId: z.string().regex(/^[1-9][0-9]{0,19}$/, "a decimal chain id"),
  deployer: address,
  startBlock: block,
  contracts: z.object(Object.fromEntries(CONTRACT_NAMES.map((n) => [n, deployedAt])) as Record<ContractName, typeof deployedAt>).strict(),
  settings: settingsSchema,
}).strict().superRefine((d, ctx) => {
  for (const name of CONTRACT_NAMES) {
    if (d.contracts[name].block < d.startBlock) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["contracts", name, "block"], message: "before startBlock" });
    }
  }
});

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Checks `value` as a deployments file's content; `ChainError("CONFIG")` lists what is wrong where. */
export function parseDeployment(value: unknown, source = "deployment"): Deployment {
  const parsed = deploymentSchema.safeParse(value);
  if (!parsed.success) {
    throw new ChainError("CONFIG", `${source} is not a valid deployments file: ${formatIssues(parsed.error)}`, { source, issues: parsed.error.issues });
  }
  return parsed.data as Deployment;
}

/** Writes `deployment` to `path` (checked first; written to a temporary file and renamed into place). */
export function writeDeployments(path: string, deployment: Deployment): void {
  const checked = parseDeployment(deployment);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checked, null, 2)}\n`);
  renameSync(temporary, path);
}

/** Reads and checks `deployments/<network>.json`: `NOT_FOUND` when missing, `CONFIG` when unreadable or invalid. */
export function readDeployments(path: string): Deployment {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    const missing = (cause as { code?: string }).code === "ENOENT";
    throw new ChainError(missing ? "NOT_FOUND" : "CONFIG", `cannot read the deployments file ${path}`, { path }, cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ChainError("CONFIG", `the deployments file ${path} is not JSON`, { path }, cause);
  }
  return parseDeployment(value, path);
}

/**
 * Checks that `deployment` describes the chain behind `runner`: the same chain id (`WRONG_CHAIN`),
 * code at every address (`NOT_FOUND`), and the settlement and escrow contracts wired to the
 * recorded registry, ledger and token with the recorded settings (`CONFIG`).
 */
export async function verifyDeployment(deployment: Deployment, runner: ContractRunner & { provider: Provider | null }): Promise<DeployedContracts> {
  const provider = runner.provider;
  if (!provider) throw new ChainError("CONFIG", "no provider to check the deployment against");
  const { chainId } = await provider.getNetwork();
  if (chainId.toString() !== deployment.chainId) {
    throw new ChainError("WRONG_CHAIN", `the deployment is for chain ${deployment.chainId}, the endpoint serves chain ${chainId}`, {
      expected: deployment.chainId, actual: chainId.toString(),
    });
  }
  for (const name of CONTRACT_NAMES) {
    const { address } = deployment.contracts[name];
    if ((await provider.getCode(address)) === "0x") {
      throw new ChainError("NOT_FOUND", `no contract at ${address} (${name} of the deployment)`, { contract: name, address });
    }
  }
  const contracts = attachDeployment(deployment, runner);
  const c = deployment.contracts;
  const s = deployment.settings.settlement;
  const expected: [string, () => Promise<unknown>, string | number][] = [
    ["RoamingSettlement.REGISTRY", () => contracts.settlement.REGISTRY(), c.ParticipantRegistry.address],
    ["RoamingSettlement.EVIDENCE", () => contracts.settlement.EVIDENCE(), c.EvidenceLedger.address],
    ["RoamingSettlement.TOKEN", () => contracts.settlement.TOKEN(), c.SettlementToken.address],
    ["RoamingSettlement.CHALLENGE_WINDOW", () => contracts.settlement.CHALLENGE_WINDOW(), s.challengeWindow],
    ["RoamingSettlement.PERIOD_SECONDS", () => contracts.settlement.PERIOD_SECONDS(), s.periodSeconds],
    ["RoamingSettlement.CLAIM_GRACE", () => contracts.settlement.CLAIM_GRACE(), s.claimGrace],
    ["RoamingSettlement.WITHDRAWAL_NOTICE", () => contracts.settlement.WITHDRAWAL_NOTICE(), s.withdrawalNotice],
    ["EvidenceLedger.REGISTRY", () => contracts.ledger.REGISTRY(), c.ParticipantRegistry.address],
    ["EscrowOpenings.REGISTRY", () => contracts.escrowOpenings.REGISTRY(), c.ParticipantRegistry.address],
    ["EscrowOpenings.THRESHOLD", () => contracts.escrowOpenings.THRESHOLD(), deployment.settings.escrowThreshold],
  ];
  for (const [what, read, want] of expected) {
    let got: unknown;
    try {
      got = await read();
    } catch (cause) {
      throw new ChainError("CONFIG", `${what} cannot be read: not the contract the deployment names`, { what }, cause);
    }
    const same = typeof want === "number" ? BigInt(got as bigint) === BigInt(want) : String(got).toLowerCase() === want.toLowerCase();
    if (!same) throw new ChainError("CONFIG", `${what} is ${String(got)}, the deployment says ${want}`, { what, actual: String(got), expected: String(want) });
  }
  return contracts;
}
