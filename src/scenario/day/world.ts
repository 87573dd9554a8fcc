/**
 * The day's chain: its contracts deployed, every party funded from the operator's account, given
 * its roles, and its evidence signing key registered (proof of possession, the party's consent).
 * `DayChain` is what the day needs of a node: a provider, an unlocked funded account, and the URL
 * other processes (the settlement bots) reach the same node at.
 */
import { parseEther, type Provider, type Signer, type TypedDataDomain } from "ethers";
import { deployAll, type FullDeployment } from "../../chain/deployAll.js";
import { chargingDomain } from "../../charging/artefactTypes.js";
import { registerSigningKey } from "../../evidence/keys.js";
import { evidenceDomain } from "../../evidence/types.js";
import type { DayClock } from "./clock.js";
import type { GasBook } from "./gas.js";
import type { Parties, Participant } from "./parties.js";

/** A provider that also takes raw JSON-RPC calls (the day sets the node's clock with them). */
export type DayProvider = Provider & { send(method: string, params: unknown[]): Promise<unknown> };

export interface DayChain {
  /** The network's name in the report and the deployments file. */
  readonly name: string;
  readonly provider: DayProvider;
  /** The operator: deploys, funds the parties and acts as the registrar (the CA). */
  readonly operator: Signer;
  /** JSON-RPC URL of the same node, for parties in other processes. */
  readonly rpcUrl?: string;
  /** Releases the provider (the node itself is stopped by whoever started it). */
  close?(): void;
}

export interface DayContracts {
  /** Every contract of the day, deployed by `deployAll` (the deployments file is `full.deployment`). */
  readonly full: FullDeployment;
  readonly domains: { readonly evidence: TypedDataDomain; readonly charging: TypedDataDomain };
}

const YEAR = 365n * 86_400n;

/** Deploys the contracts the day runs on, through the one deploy path. */
export async function deployDayContracts(chain: DayChain, gas: GasBook): Promise<DayContracts> {
  const full = await deployAll(chain.operator, {}, { network: chain.name });
  for (const c of [full.registry, full.ledger, full.token, full.settlement, full.escrowOpenings]) {
    const tx = c.deploymentTransaction();
    if (tx !== null) gas.addReceipt("deploy", await tx.wait());
  }
  return {
    full,
    domains: { evidence: evidenceDomain(full.chainId, full.ledgerAddress), charging: chargingDomain(full.chainId, full.registryAddress) },
  };
}

/** Funds, grants the roles of, and registers the signing key of every party. */
export async function enrolParties(chain: DayChain, contracts: DayContracts, parties: Parties, clock: DayClock, gas: GasBook): Promise<number> {
  const { registry } = contracts.full;
  const operator = chain.operator;
  const role = async (name: string): Promise<string> => (await registry[`${name}_ROLE`]()) as string;
  const enrol = async (p: Participant, roles: readonly string[]) => {
    const account = p.account.connect(chain.provider);
    gas.addReceipt("fund account", await (await operator.sendTransaction({ to: account.address, value: parseEther("10") })).wait());
    for (const r of roles) gas.addReceipt(`grantRole ${r}`, await (await registry.connect(operator).grantRole(await role(r), account.address)).wait());
    const receipt = await registerSigningKey(registry.connect(operator), p.key, { participant: account.address, validFrom: clock.setUpAt + 1_800n, validUntil: clock.dayStart + YEAR }, { consent: account });
    gas.addReceipt("addSigningKey", receipt);
  };
  let count = 0;
  for (const s of parties.suppliers) {
    await enrol(s, ["SUPPLIER", "SUBMITTER"]);
    count++;
  }
  for (const a of parties.aggregators) {
    await enrol(a, ["AGGREGATOR", "SUBMITTER"]);
    await enrol(a.site, ["METER", "SUBMITTER"]);
    count += 2;
  }
  for (const r of parties.arbiters) {
    await enrol(r, ["ARBITER"]);
    count++;
  }
  return count;
}
