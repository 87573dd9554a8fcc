/**
 * `v2g registry …`: administration of the ParticipantRegistry.
 *
 *   registry add <address> --role <role>       grant a participant role (registrar or admin only)
 *   registry key add --participant <address> --new-key-file|--new-key-env [--valid-from t] [--valid-until t]
 *                    [--consent-key-file|--consent-key-env]
 *                                              bind a signing key with its proof of possession
 *   registry key rotate --old <address> --new-key-file|--new-key-env [--at t] [--consent-…]
 *                                              bind a new key from `at` and end the old one there
 *   registry key revoke <key> [--at t]         end a key's validity (never earlier than now)
 *   registry group publish --group-file <file> publish a vehicle group's Merkle root
 *   registry show <address>                    roles and, for a key, its binding
 *
 * The chain stores no participant metadata (names, contacts): only accounts, roles, keys and
 * group roots, so nothing personal is ever on chain.
 */
import type { Command } from "commander";
import type { Signer } from "ethers";
import { parseAddressArg, parseChoice, parseExistingFile, parseInteger, UsageError } from "../args.js";
import { deploymentsPath, openSession, send, type ChainSession } from "../chain.js";
import { commandAction, printResult, type CliContext, type CliDeps, type GlobalOptions } from "../context.js";
import type { CliIo, ExitCodeValue } from "../io.js";
import { loadKey, type KeySource } from "../keys.js";

export const ROLES = ["registrar", "supplier", "aggregator", "meter", "dcc", "arbiter", "submitter"] as const;
export type RoleName = (typeof ROLES)[number];

/** The registry's getter of each role's id. */
const ROLE_GETTER: Record<RoleName, string> = {
  registrar: "REGISTRAR_ROLE", supplier: "SUPPLIER_ROLE", aggregator: "AGGREGATOR_ROLE", meter: "METER_ROLE",
  dcc: "DCC_ROLE", arbiter: "ARBITER_ROLE", submitter: "SUBMITTER_ROLE",
};

/** `type(uint40).max`: an open-ended key. */
const OPEN_ENDED = 2n ** 40n - 1n;

/**
 * How far after the latest block a new key's validity starts by default: the transaction lands in
 * a later block, and the registry refuses a validity that starts before its block.
 */
const KEY_LEAD_SECONDS = 60n;

/** A time in Unix seconds; `fallback` when not given. */
function parseTime(value: string | undefined, what: string, fallback: bigint): bigint {
  if (value === undefined) return fallback;
  return BigInt(parseInteger(value, what, 0, Number(OPEN_ENDED)));
}

/** The signing key bound at `key`, or null (the registry reverts for an unknown key). */
async function bindingOf(s: ChainSession, key: string): Promise<{ participant: string; validFrom: bigint; validUntil: bigint } | null> {
  try {
    const k = (await s.contracts.registry.signingKey(key)) as { participant: string; validFrom: bigint; validUntil: bigint };
    return { participant: k.participant, validFrom: k.validFrom, validUntil: k.validUntil };
  } catch (error) {
    const { isError } = await import("ethers");
    if (isError(error, "CALL_EXCEPTION")) return null;
    throw error;
  }
}

interface Common {
  deployments?: string;
}

async function withSession<T>(g: GlobalOptions, deps: CliDeps, o: Common, body: (s: ChainSession) => Promise<T>): Promise<T> {
  const session = await openSession(g, deps, deploymentsPath(o.deployments), true);
  try {
    return await body(session);
  } finally {
    session.close();
  }
}

async function chainNow(s: ChainSession): Promise<bigint> {
  const block = await s.provider.getBlock("latest");
  return BigInt(block!.timestamp);
}

export async function runRegistryAdd(o: Common & { address: string; role: string }, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const account = parseAddressArg(o.address, "the participant's address");
  const role = parseChoice(o.role, "--role", ROLES);
  return withSession(g, deps, o, async (s) => {
    const id = (await s.contracts.registry[ROLE_GETTER[role]]()) as string;
    const receipt = await send(`grantRole(${role})`, () => s.contracts.registry.grantRole(id, account));
    return printResult(io, g, `${account} holds the ${role} role (tx ${receipt.hash})`, { account, role, roleId: id, txHash: receipt.hash });
  });
}

export interface KeyAddOptions extends Common {
  participant: string;
  newKey: KeySource;
  consent: KeySource;
  validFrom?: string;
  validUntil?: string;
}

/** Binds the new key through `registerSigningKey` (the key signs its proof of possession here). */
async function bindKey(s: ChainSession, participant: string, newKey: Signer, consent: Signer | undefined, validFrom: bigint, validUntil: bigint) {
  const { registerSigningKey } = await import("../../evidence/keys.js");
  return registerSigningKey(s.contracts.registry, newKey, { participant, validFrom, validUntil }, consent ? { consent } : {});
}

function consentOf(source: KeySource, deps: CliDeps): Signer | undefined {
  return source.file === undefined && source.env === undefined ? undefined : loadKey(source, "--consent-key", deps.env);
}

export async function runKeyAdd(o: KeyAddOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const participant = parseAddressArg(o.participant, "--participant");
  const newKey = loadKey(o.newKey, "--new-key", deps.env);
  const consent = consentOf(o.consent, deps);
  return withSession(g, deps, o, async (s) => {
    const validFrom = parseTime(o.validFrom, "--valid-from", (await chainNow(s)) + KEY_LEAD_SECONDS);
    const validUntil = parseTime(o.validUntil, "--valid-until", OPEN_ENDED);
    if (validUntil <= validFrom) throw new UsageError("--valid-until must be after --valid-from");
    const receipt = await bindKey(s, participant, newKey, consent, validFrom, validUntil);
    return printResult(io, g, `key ${newKey.address} bound to ${participant} from ${validFrom}${validUntil === OPEN_ENDED ? "" : ` until ${validUntil}`} (tx ${receipt.hash})`,
      { participant, key: newKey.address, validFrom, validUntil, txHash: receipt.hash });
  });
}

export async function runKeyRotate(o: KeyAddOptions & { old: string; at?: string }, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const old = parseAddressArg(o.old, "--old");
  const newKey = loadKey(o.newKey, "--new-key", deps.env);
  const consent = consentOf(o.consent, deps);
  return withSession(g, deps, o, async (s) => {
    const at = parseTime(o.at, "--at", (await chainNow(s)) + KEY_LEAD_SECONDS);
    const binding = await bindingOf(s, old);
    if (!binding) {
      const { EvidenceError } = await import("../../evidence/errors.js");
      throw new EvidenceError("NOT_FOUND", `no key ${old} in the registry`, { key: old });
    }
    const added = await bindKey(s, binding.participant, newKey, consent, at, OPEN_ENDED);
    const revoked = await send("revokeSigningKey", () => s.contracts.registry.revokeSigningKey(old, at));
    return printResult(io, g, `key ${old} of ${binding.participant} ends at ${at}; key ${newKey.address} valid from then (tx ${added.hash}, ${revoked.hash})`,
      { participant: binding.participant, old, key: newKey.address, at, txHashes: [added.hash, revoked.hash] });
  });
}

export async function runKeyRevoke(o: Common & { key: string; at?: string }, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const key = parseAddressArg(o.key, "the key's address");
  return withSession(g, deps, o, async (s) => {
    const at = parseTime(o.at, "--at", await chainNow(s));
    const receipt = await send("revokeSigningKey", () => s.contracts.registry.revokeSigningKey(key, at));
    return printResult(io, g, `key ${key} revoked from ${at} (tx ${receipt.hash})`, { key, at, txHash: receipt.hash });
  });
}

export async function runGroupPublish(o: Common & { groupFile: string }, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const file = parseExistingFile(o.groupFile, "--group-file");
  const [{ groupFileSchema, readJsonFile }, { groupRoot }, { hexlify }] = await Promise.all([
    import("../../services/deployment.js"), import("../../protocol/groups.js"), import("ethers"),
  ]);
  const group = readJsonFile(file, groupFileSchema);
  const groupId = hexlify(group.groupId);
  const root = hexlify(groupRoot(group.members));
  return withSession(g, deps, o, async (s) => {
    const receipt = await send("publishGroupRoot", () => s.contracts.registry.publishGroupRoot(groupId, root, group.members.length));
    const version = Number(await s.contracts.registry.latestGroupVersion(groupId));
    return printResult(io, g, `group ${groupId} version ${version}: root ${root} over ${group.members.length} members (tx ${receipt.hash})`,
      { groupId, version, root, memberCount: group.members.length, txHash: receipt.hash });
  });
}

export async function runRegistryShow(o: Common & { address: string }, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const account = parseAddressArg(o.address, "the address");
  const session = await openSession(g, deps, deploymentsPath(o.deployments), false);
  try {
    const r = session.contracts.registry;
    const roles: string[] = [];
    for (const role of ROLES) if (await r.hasRole(await r[ROLE_GETTER[role]](), account)) roles.push(role);
    const key = await bindingOf(session, account);
    const text = [`${account}: roles ${roles.length ? roles.join(", ") : "none"}`];
    if (key) text.push(`  signing key of ${key.participant}, valid from ${key.validFrom}${key.validUntil === OPEN_ENDED ? "" : ` until ${key.validUntil}`}`);
    return printResult(io, g, text.join("\n"), { account, roles, key });
  } finally {
    session.close();
  }
}

/** The options of `key add` and `key rotate` as commander gives them. */
interface KeyCommandOptions extends Common {
  participant: string;
  old: string;
  validFrom?: string;
  validUntil?: string;
  at?: string;
  newKeyFile?: string;
  newKeyEnv?: string;
  consentKeyFile?: string;
  consentKeyEnv?: string;
}

const keyOptions = (c: Command, prefix: string, what: string) =>
  c.option(`--${prefix}key-file <path>`, `file holding ${what} (hex)`).option(`--${prefix}key-env <NAME>`, `environment variable holding ${what} (hex)`);

export function registerRegistry(program: Command, ctx: CliContext): void {
  const dep = "--deployments <file>";
  const depHelp = "deployments file (default deployments/local.json)";
  const registry = program.command("registry").description("participants, signing keys (with proof of possession) and vehicle group roots");
  registry
    .command("add")
    .description("grant a participant a role (signed by a registrar or the admin)")
    .argument("<address>", "the participant's account, EIP-55 checksummed")
    .requiredOption("--role <role>", ROLES.join(", "))
    .option(dep, depHelp)
    .action(commandAction(ctx, runRegistryAdd, ([address], o: Common & { role: string }) => ({ ...o, address: address! })));
  registry
    .command("show")
    .description("roles of an account and, for a signing key, its binding")
    .argument("<address>", "an account or key address, EIP-55 checksummed")
    .option(dep, depHelp)
    .action(commandAction(ctx, runRegistryShow, ([address], o: Common) => ({ ...o, address: address! })));
  const key = registry.command("key").description("signing keys of participants");
  const keyShape = (_a: string[], o: KeyCommandOptions) => ({
    ...o,
    newKey: { file: o.newKeyFile, env: o.newKeyEnv },
    consent: { file: o.consentKeyFile, env: o.consentKeyEnv },
  });
  const add = key
    .command("add")
    .description("bind a new signing key to a participant; the key proves possession by signing its binding")
    .requiredOption("--participant <address>", "the participant the key belongs to")
    .option("--valid-from <seconds>", "start of validity, Unix seconds (default a minute after the latest block)")
    .option("--valid-until <seconds>", "end of validity, Unix seconds (default open-ended)")
    .option(dep, depHelp);
  keyOptions(add, "new-", "the new signing key");
  keyOptions(add, "consent-", "the participant's consent key (when the signer is the registrar)");
  add.action(commandAction(ctx, runKeyAdd, keyShape));
  const rotate = key
    .command("rotate")
    .description("bind a new key from --at (default a minute after the latest block) and end the old key's validity there")
    .requiredOption("--old <address>", "the key to replace")
    .option("--at <seconds>", "when the new key takes over, Unix seconds (default a minute after the latest block)")
    .option(dep, depHelp);
  keyOptions(rotate, "new-", "the new signing key");
  keyOptions(rotate, "consent-", "the participant's consent key (when the signer is the registrar)");
  rotate.action(commandAction(ctx, runKeyRotate, keyShape));
  key
    .command("revoke")
    .description("end a signing key's validity at --at (default now; never earlier)")
    .argument("<key>", "the key's address")
    .option("--at <seconds>", "Unix seconds (default now)")
    .option(dep, depHelp)
    .action(commandAction(ctx, runKeyRevoke, ([k], o: Common & { at?: string }) => ({ ...o, key: k! })));
  registry
    .command("group")
    .description("vehicle groups of the anonymous authentication")
    .command("publish")
    .description("publish a group's Merkle root (a new version) from its group file (signed by a registrar)")
    .requiredOption("--group-file <file>", "the group file (as `deployment init` writes it)")
    .option(dep, depHelp)
    .action(commandAction(ctx, runGroupPublish, (_a, o: Common & { groupFile: string }) => o));
}
