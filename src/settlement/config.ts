/**
 * The bot's JSON config file, validated with zod. Paths are relative to the file's folder. The
 * account key never appears in the file: `accountKeyEnv` names the environment variable holding it.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { getAddress, Wallet } from "ethers";
import { z } from "zod";
import { SettlementError } from "./errors.js";

const address = z.string().refine((s) => {
  try {
    getAddress(s);
    return /^0x[0-9a-fA-F]{40}$/.test(s);
  } catch {
    return false;
  }
}, "must be a 20-byte address (mixed case only with a valid EIP-55 checksum)").transform((s) => getAddress(s));
const amount = z.string().regex(/^(0|[1-9][0-9]{0,76})$/, "must be a decimal integer string").transform(BigInt);
const seconds = z.number().int().min(0).max(10 * 365 * 86400);
const path = z.string().min(1);

export const configSchema = z.object({
  /** JSON-RPC endpoint (http or https). */
  rpcUrl: z.string().url().refine((u) => /^https?:$/.test(new URL(u).protocol), "must be an http:// or https:// URL"),
  /** Chain id the endpoint must serve. */
  chainId: z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/)]).transform((v) => BigInt(v)),
  contracts: z.object({
    settlement: address,
    /** Checked against the settlement contract's EVIDENCE() when given. */
    ledger: address.optional(),
    /** Checked against the settlement contract's REGISTRY() when given. */
    registry: address.optional(),
  }).strict(),
  /** Block where the event reader starts (the settlement contract's deployment block). */
  startBlock: z.number().int().min(0),
  /** Name of the environment variable holding the supplier account's private key. */
  accountKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
  /** The supplier's evidence store (SQLite file; must exist). */
  evidenceStore: path,
  /** The bot's own database (SQLite file; created if absent). */
  database: path,
  /** Folder of the file-directory package exchange (shared with the counterparties). */
  exchangeDir: path,
  /** Blocks before a transaction or an event counts (the transaction's own block included). */
  confirmations: z.number().int().min(1).max(10_000).default(3),
  /** Length of a settlement period; a CDR's period is floor(end / periodSeconds). */
  periodSeconds: z.number().int().min(1).max(366 * 86400),
  /** Wait after a period's end before claiming it (late CDRs still arrive). */
  claimDelaySeconds: seconds.default(300),
  /** Wait after a period's end before netting it (other hosts still claim). */
  nettingDelaySeconds: seconds.default(86_400),
  /** How long before a challenge window closes a missing package raises an alert. */
  disputeMarginSeconds: seconds.default(3600),
  pollIntervalMs: z.number().int().min(100).max(3_600_000).default(15_000),
  /** Most CDRs in one claim; a larger group is split into several claims. */
  maxCdrsPerClaim: z.number().int().min(1).max(100_000).default(5000),
  /** Withdraw `available - reserve` when it reaches `threshold`; null disables withdrawals. */
  withdraw: z.object({ threshold: amount, reserve: amount.default("0") }).strict().nullable().default(null),
  outbox: z.object({
    maxAttempts: z.number().int().min(1).max(100).optional(),
    dropAfterMs: z.number().int().min(0).optional(),
    replaceAfterMs: z.number().int().min(0).optional(),
    feeBumpPercent: z.number().int().min(10).max(1000).optional(),
    maxFeePerGas: amount.optional(),
  }).strict().default({}),
}).strict();

export type BotConfig = z.output<typeof configSchema>;
export type BotConfigInput = z.input<typeof configSchema>;

/** A 32-byte hex value anywhere in the file is refused: it could only be a private key. */
function findSecret(value: unknown, at: string): string | null {
  if (typeof value === "string") return /^(0x)?[0-9a-fA-F]{64}$/.test(value.trim()) ? at : null;
  if (value === null || typeof value !== "object") return null;
  for (const [k, v] of Object.entries(value)) {
    const hit = findSecret(v, at ? `${at}.${k}` : k);
    if (hit) return hit;
  }
  return null;
}

/** Validates a parsed config; relative paths are resolved against `baseDir`. */
export function parseConfig(json: unknown, baseDir: string): BotConfig {
  const secret = findSecret(json, "");
  if (secret !== null) {
    throw new SettlementError("CONFIG_SECRET", `the config holds a private key at ${secret}: put it in an environment variable named by accountKeyEnv`, { at: secret });
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
    const first = issues[0];
    throw new SettlementError("CONFIG_INVALID", `invalid config: ${first?.path.join(".") || "(root)"} ${first?.message ?? ""}`.trim(), { issues });
  }
  const c = parsed.data;
  return {
    ...c,
    evidenceStore: resolve(baseDir, c.evidenceStore),
    database: resolve(baseDir, c.database),
    exchangeDir: resolve(baseDir, c.exchangeDir),
  };
}

/** Reads and validates the config file at `file`. */
export function loadConfig(file: string): BotConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new SettlementError("CONFIG_FILE", `cannot read the config file ${file}`, { file }, cause);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SettlementError("CONFIG_FILE", `the config file ${file} is not JSON: ${(cause as Error).message}`, { file }, cause);
  }
  return parseConfig(json, dirname(resolve(file)));
}

/** The account wallet from the environment variable the config names (its value is never echoed). */
export function accountFromEnv(config: Pick<BotConfig, "accountKeyEnv">, env: Readonly<Record<string, string | undefined>>): Wallet {
  const name = config.accountKeyEnv;
  const raw = env[name]?.trim();
  if (!raw) throw new SettlementError("KEY_MISSING", `environment variable ${name} (accountKeyEnv) is not set`, { env: name });
  const key = raw.startsWith("0x") ? raw : `0x${raw}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new SettlementError("KEY_MISSING", `environment variable ${name} does not hold a 32-byte hex private key`, { env: name });
  }
  try {
    return new Wallet(key);
  } catch (cause) {
    throw new SettlementError("KEY_MISSING", `environment variable ${name} does not hold a valid secp256k1 private key`, { env: name }, cause);
  }
}
