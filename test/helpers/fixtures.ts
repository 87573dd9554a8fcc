/** A deployed registry and ledger with one participant per role and registered signing keys. */
import { Wallet, type HDNodeWallet } from "ethers";
import { deployCore, type CoreDeployment } from "../../src/chain/deploy.js";
import { registerSigningKey } from "../../src/evidence/keys.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import type { TestConnection } from "./network.js";

export const ROLE_NAMES = ["REGISTRAR", "SUPPLIER", "AGGREGATOR", "METER", "DCC", "ARBITER", "SUBMITTER"] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export async function evidenceFixture(connection: TestConnection) {
  const { ethers, networkHelpers } = connection;
  const [admin, registrar, supplierA, supplierB, aggregator, meter, dcc, arbiter, outsider] = await ethers.getSigners();
  const core: CoreDeployment = await deployCore(admin!, { registrar: await registrar!.getAddress() });
  const registry = core.registry.connect(registrar!) as CoreDeployment["registry"];
  const roles = Object.fromEntries(
    await Promise.all(ROLE_NAMES.map(async (r) => [r, (await registry[`${r}_ROLE`]()) as string])),
  ) as Record<RoleName, string>;

  const participants = { supplierA: supplierA!, supplierB: supplierB!, aggregator: aggregator!, meter: meter!, dcc: dcc!, arbiter: arbiter! };
  await registry.grantRole(roles.SUPPLIER, supplierA!.address);
  await registry.grantRole(roles.SUPPLIER, supplierB!.address);
  await registry.grantRole(roles.AGGREGATOR, aggregator!.address);
  await registry.grantRole(roles.METER, meter!.address);
  await registry.grantRole(roles.DCC, dcc!.address);
  // The arbiter role is the default admin's to grant, not the registrar's.
  await core.registry.grantRole(roles.ARBITER, arbiter!.address);
  for (const p of [supplierA!, supplierB!, aggregator!, meter!, dcc!]) await registry.grantRole(roles.SUBMITTER, p.address);

  // One signing key per participant, valid from a minute ahead for a year.
  const keys: Record<string, HDNodeWallet> = {};
  const from = BigInt(await networkHelpers.time.latest()) + 60n;
  for (const [name, p] of Object.entries(participants)) {
    const key = Wallet.createRandom();
    keys[name] = key;
    await registerSigningKey(registry, key, { participant: p.address, validFrom: from, validUntil: from + 365n * 86400n }, { consent: p });
  }
  await networkHelpers.time.increase(120);
  const domain = evidenceDomain(core.chainId, core.ledgerAddress);
  return { ...core, registry, admin: admin!, registrar: registrar!, outsider: outsider!, participants, keys, roles, domain };
}
