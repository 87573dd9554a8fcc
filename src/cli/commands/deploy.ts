/**
 * `v2g deploy [--network-name local] [--out deployments/<network>.json] [--force] [settings…]`:
 * every contract through `deployAll` (registry, ledger, settlement token, RoamingSettlement,
 * EscrowOpenings), signed by the `--key-file`/`--key-env` account; writes the deployments file.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { DeploySettingsInput } from "../../chain/deployAll.js";
import { parseAddressArg, parseAmount, parseInteger, parseOutputFile, UsageError, userFolder } from "../args.js";
import { commandAction, type CliContext, type CliDeps, type GlobalOptions } from "../context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";
import { loadKey } from "../keys.js";

export interface DeployOptions {
  networkName: string;
  out?: string;
  force?: boolean;
  challengeWindow?: string;
  periodSeconds?: string;
  claimGrace?: string;
  withdrawalNotice?: string;
  disputeFee?: string;
  escrowThreshold?: string;
  token?: string;
  registrar?: string;
}

const SECONDS_MAX = 2 ** 40 - 1;

/** The settings the options give; the rest take `deployAll`'s defaults (which check the whole). */
export function settingsOf(o: DeployOptions): DeploySettingsInput {
  const secs = (v: string | undefined, what: string) => (v === undefined ? undefined : parseInteger(v, what, 1, SECONDS_MAX));
  const settlement = Object.fromEntries(Object.entries({
    challengeWindow: secs(o.challengeWindow, "--challenge-window"),
    periodSeconds: secs(o.periodSeconds, "--period-seconds"),
    claimGrace: o.claimGrace === undefined ? undefined : parseInteger(o.claimGrace, "--claim-grace", 0, SECONDS_MAX),
    withdrawalNotice: secs(o.withdrawalNotice, "--withdrawal-notice"),
    disputeFee: o.disputeFee === undefined ? undefined : o.disputeFee === "0" ? "0" : parseAmount(o.disputeFee, "--dispute-fee").toString(),
  }).filter(([, v]) => v !== undefined));
  const input: DeploySettingsInput = { settlement };
  if (o.escrowThreshold !== undefined) input.escrowThreshold = parseInteger(o.escrowThreshold, "--escrow-threshold", 1, 255);
  if (o.token !== undefined) input.token = parseAddressArg(o.token, "--token");
  if (o.registrar !== undefined) input.registrar = parseAddressArg(o.registrar, "--registrar");
  return input;
}

export async function runDeploy(o: DeployOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.networkName)) throw new UsageError(`--network-name must be letters, digits, - or _, got "${o.networkName}"`);
  const outArg = o.out ?? `deployments/${o.networkName}.json`;
  const settings = settingsOf(o);
  const key = loadKey(g.key, "--key", deps.env);
  // The default folder (deployments/) is made when missing; a folder named in --out must exist.
  if (o.out === undefined) mkdirSync(dirname(resolve(userFolder(), outArg)), { recursive: true });
  const out = parseOutputFile(outArg, o.force ?? false);
  const { deployAll, resolveSettings, writeDeployments } = await import("../../chain/deployAll.js");
  resolveSettings(settings);
  const conn = await deps.connect(g.rpc, g.rpcTimeoutMs);
  try {
    // Nonces counted here: the chain layer's provider may answer from a short cache.
    const { NonceManager } = await import("ethers");
    const full = await deployAll(new NonceManager(key.connect(conn.provider)), settings, { network: o.networkName });
    writeDeployments(out, full.deployment);
    const d = full.deployment;
    if (g.json) io.out(JSON.stringify({ file: out, ...d }, null, 2));
    else {
      io.out(`deployed on chain ${d.chainId} from block ${d.startBlock} by ${d.deployer}:`);
      for (const [name, at] of Object.entries(d.contracts)) io.out(`  ${name.padEnd(20)} ${at.address} (block ${at.block})`);
      io.out(`wrote ${out}`);
    }
    return ExitCode.Ok;
  } finally {
    conn.close();
  }
}

export function registerDeploy(program: Command, ctx: CliContext): void {
  program
    .command("deploy")
    .description("deploy every contract (registry, ledger, token, settlement, escrow openings) and write the deployments file")
    .option("--network-name <name>", "name of the network in the deployments file", "local")
    .option("--out <file>", "deployments file to write (default deployments/<network>.json)")
    .option("--force", "replace --out if it exists")
    .option("--challenge-window <seconds>", "how long a claim can be disputed (default 3 days)")
    .option("--period-seconds <seconds>", "length of a settlement period (default 1 day)")
    .option("--claim-grace <seconds>", "how long after its end a period takes claims (default 1 day)")
    .option("--withdrawal-notice <seconds>", "notice of a withdrawal, above period + grace + challenge window (default 6 days)")
    .option("--dispute-fee <units>", "bond of a CDR dispute in token base units (default 0)")
    .option("--escrow-threshold <k>", "arbiter approvals an escrow opening needs (default 2)")
    .option("--token <address>", "an existing settlement token (default: deploy the test token tEUR)")
    .option("--registrar <address>", "the registry's first registrar (default: the deployer)")
    .action(commandAction(ctx, runDeploy, (_a, o: DeployOptions) => o));
}
