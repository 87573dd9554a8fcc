/**
 * The config files of `lag serve` and `ca serve`, validated with zod. Paths are relative to the file's folder.
 * Secrets never appear in them: the LAG's static key and the CA's keys come from a key file or the environment
 * variable it names, a PostgreSQL URL (which may hold a password) from the environment variable
 * it names. A 32-byte hex value anywhere in the file is refused.
 */
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { CentralAuthority, DEFAULT_CONFIG, GroupDirectory, ProtocolError, type KeyImageStore, type ProtocolConfig } from "../protocol/index.js";
import { loadGroupFile, readCaPublic, readJsonFile, readPermitFile, readSecretKey } from "./deployment.js";
import type { CaServiceOptions } from "./caServer.js";
import { DEFAULT_WS_RATE, type LagServiceOptions } from "./lagServer.js";
import { OperatorToken } from "./operatorToken.js";
import { PostgresKeyImageStore } from "./stores/postgresKeyImages.js";
import { SqliteKeyImageStore } from "./stores/sqliteKeyImages.js";
import type { Backend, PartyContext } from "../protocol/index.js";
import type { Logger } from "pino";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");
const file = z.string().min(1);
const seconds = z.number().int().min(1).max(366 * 86_400);

/** What every service's config holds besides its own keys and files. */
const serviceFields = {
  /** Listen address: loopback unless configured. */
  host: z.string().min(1).default("127.0.0.1"),
  workers: z.number().int().min(1).max(256).default(availableParallelism()),
  rateLimit: z.object({ max: z.number().int().min(1).max(1_000_000), windowMs: z.number().int().min(100).max(3_600_000) }).strict().default({ max: 120, windowMs: 60_000 }),
  maxConnections: z.number().int().min(1).max(1_000_000).default(4096),
  protocol: z
    .object({
      challengeSeconds: seconds.optional(),
      sessionSeconds: seconds.optional(),
      clockSkewSeconds: z.number().int().min(0).max(3600).optional(),
      groupGraceSeconds: z.number().int().min(0).max(30 * 86_400).optional(),
      maxRingSize: z.number().int().min(2).max(256).optional(),
      maxPendingChallenges: z.number().int().min(1).max(10_000_000).optional(),
    })
    .strict()
    .default({}),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};
const keySource = z.union([z.object({ file }).strict(), z.object({ env: envName }).strict()]);
const rate = z.object({ perSecond: z.number().positive().max(1_000_000), burst: z.number().int().min(1).max(1_000_000) }).strict();

export const lagConfigSchema = z
  .object({
    ...serviceFields,
    port: z.number().int().min(0).max(65_535).default(8080),
    lagId: z.string().min(1).max(64),
    staticKey: keySource,
    permitFile: file,
    caPublicFile: file,
    groupFiles: z.array(file).min(1),
    keyImages: z.union([z.object({ sqlite: file }).strict(), z.object({ postgresUrlEnv: envName }).strict()]),
    maxQueued: z.number().int().min(0).max(100_000).default(64),
    bodyLimit: z.number().int().min(1024).max(1 << 20).default(16_384),
    /** The CA service status batches and discharge answers go to. */
    caUrl: z.string().regex(/^http:\/\/[^\s/]+(\/.*)?$/, "must be an http:// URL").optional(),
    statusBatchSize: z.number().int().min(2).max(256).default(16),
    statusBatchSeconds: z.number().int().min(1).max(86_400).default(60),
    maxDischargeRequests: z.number().int().min(1).max(1024).default(16),
    /** Per-message rates of the WebSocket, per connection and per client address. */
    wsRate: z.object({ connection: rate, address: rate }).strict().default(DEFAULT_WS_RATE),
  })
  .strict();

export const caConfigSchema = z
  .object({
    ...serviceFields,
    port: z.number().int().min(0).max(65_535).default(8090),
    /** The CA's three secret keys (one per use). */
    permitKey: keySource,
    escrowKey: keySource,
    envelopeKey: keySource,
    groupFiles: z.array(file).min(1),
    /** The permits of the LAGs it serves. */
    lagPermitFiles: z.array(file).min(1),
    /** The durable record of the status rounds counted. */
    rounds: z.object({ sqlite: file }).strict(),
    maxActive: z.number().int().min(1).max(10_000).default(16),
    /** The operator's bearer token for the routes under /v1/operator/ (absent: they refuse every caller). */
    operatorToken: keySource.optional(),
    /** A status batch of 256 entries with rings of 16 is about 180 KiB. */
    bodyLimit: z.number().int().min(1024).max(4 << 20).default(512 * 1024),
  })
  .strict();

export type CaConfig = z.output<typeof caConfigSchema>;
export type LagConfig = z.output<typeof lagConfigSchema>;

function findSecret(value: unknown, at: string): string | null {
  if (typeof value === "string") return /^(0x)?[0-9a-fA-F]{64}$/.test(value.trim()) ? at || "(root)" : null;
  if (value === null || typeof value !== "object") return null;
  for (const [k, v] of Object.entries(value)) {
    const hit = findSecret(v, at ? `${at}.${k}` : k);
    if (hit !== null) return hit;
  }
  return null;
}

/** Validates a parsed config against `schema`: no secret in it, no unknown key. */
function parseConfig<T extends z.ZodTypeAny>(schema: T, json: unknown): z.output<T> {
  const secret = findSecret(json, "");
  if (secret !== null) throw new ProtocolError("INVALID_CONFIG", `the config holds a secret key at ${secret}: use a key file or an environment variable`);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProtocolError("INVALID_CONFIG", `invalid config: ${issue?.path.join(".") || "(root)"} ${issue?.message ?? ""}`.trim());
  }
  return parsed.data as z.output<T>;
}

const keyAt = (k: { file: string } | { env: string }, at: (p: string) => string) => ("file" in k ? { file: at(k.file) } : k);

/** Validates a parsed config; relative paths are resolved against `baseDir`. */
export function parseLagConfig(json: unknown, baseDir: string): LagConfig {
  const c = parseConfig(lagConfigSchema, json);
  const at = (p: string) => resolve(baseDir, p);
  return {
    ...c,
    staticKey: keyAt(c.staticKey, at),
    permitFile: at(c.permitFile),
    caPublicFile: at(c.caPublicFile),
    groupFiles: c.groupFiles.map(at),
    keyImages: "sqlite" in c.keyImages ? { sqlite: at(c.keyImages.sqlite) } : c.keyImages,
  };
}

/** Reads and validates the config file. */
export function loadLagConfig(path: string): LagConfig {
  return parseLagConfig(readJsonFile(path, z.unknown()), dirname(resolve(path)));
}

/** Validates a parsed CA config; relative paths are resolved against `baseDir`. */
export function parseCaConfig(json: unknown, baseDir: string): CaConfig {
  const c = parseConfig(caConfigSchema, json);
  const at = (p: string) => resolve(baseDir, p);
  return {
    ...c,
    permitKey: keyAt(c.permitKey, at),
    escrowKey: keyAt(c.escrowKey, at),
    envelopeKey: keyAt(c.envelopeKey, at),
    ...(c.operatorToken === undefined ? {} : { operatorToken: keyAt(c.operatorToken, at) }),
    groupFiles: c.groupFiles.map(at),
    lagPermitFiles: c.lagPermitFiles.map(at),
    rounds: { sqlite: at(c.rounds.sqlite) },
  };
}

/** Reads and validates a CA config file. */
export function loadCaConfig(path: string): CaConfig {
  return parseCaConfig(readJsonFile(path, z.unknown()), dirname(resolve(path)));
}

/** Everything `startCaService` needs, from a config (the context's config is replaced by the file's). */
export function caServiceOptions(c: CaConfig, ctx: PartyContext, logger: Logger, env: NodeJS.ProcessEnv = process.env): CaServiceOptions {
  const b: Backend = ctx.backend;
  const secrets = { permit: readSecretKey(b, c.permitKey, env), escrow: readSecretKey(b, c.escrowKey, env), envelope: readSecretKey(b, c.envelopeKey, env) };
  const ca = new CentralAuthority({ ...ctx, config: protocolConfigOf(c) }, secrets);
  for (const f of c.groupFiles) loadGroupFile(ca.groups, f);
  return {
    ca,
    lagPermits: c.lagPermitFiles.map(readPermitFile),
    rounds: new SqliteKeyImageStore(c.rounds.sqlite),
    host: c.host,
    port: c.port,
    workers: c.workers,
    maxActive: c.maxActive,
    rateLimit: c.rateLimit,
    bodyLimit: c.bodyLimit,
    maxConnections: c.maxConnections,
    ...(c.operatorToken === undefined ? {} : { operatorToken: OperatorToken.read(c.operatorToken, env) }),
    logger,
  };
}

/** The protocol parameters of a config. */
export function protocolConfigOf(c: LagConfig | CaConfig): ProtocolConfig {
  const p = c.protocol;
  const big = (v: number | undefined, d: bigint) => (v === undefined ? d : BigInt(v));
  return {
    ...DEFAULT_CONFIG,
    challengeSeconds: big(p.challengeSeconds, DEFAULT_CONFIG.challengeSeconds),
    sessionSeconds: big(p.sessionSeconds, DEFAULT_CONFIG.sessionSeconds),
    clockSkewSeconds: big(p.clockSkewSeconds, DEFAULT_CONFIG.clockSkewSeconds),
    groupGraceSeconds: big(p.groupGraceSeconds, DEFAULT_CONFIG.groupGraceSeconds),
    maxRingSize: p.maxRingSize ?? DEFAULT_CONFIG.maxRingSize,
    maxPendingChallenges: p.maxPendingChallenges ?? DEFAULT_CONFIG.maxPendingChallenges,
  };
}

/** Opens the key-image store a config names. */
export async function openKeyImageStore(c: LagConfig, env: NodeJS.ProcessEnv = process.env): Promise<KeyImageStore> {
  if ("sqlite" in c.keyImages) return new SqliteKeyImageStore(c.keyImages.sqlite);
  const url = env[c.keyImages.postgresUrlEnv];
  if (url === undefined || url === "") throw new ProtocolError("INVALID_CONFIG", `environment variable ${c.keyImages.postgresUrlEnv} is not set`);
  return PostgresKeyImageStore.open(url);
}

/** Everything `startLagService` needs, from a config (the context's config is replaced by the file's). */
export async function lagServiceOptions(c: LagConfig, ctx: PartyContext, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<LagServiceOptions> {
  const b: Backend = ctx.backend;
  const staticKeys = readSecretKey(b, c.staticKey, env);
  const groups = new GroupDirectory();
  for (const f of c.groupFiles) loadGroupFile(groups, f);
  const identity = { lagId: new TextEncoder().encode(c.lagId), staticKeys, permit: readPermitFile(c.permitFile) };
  const keyImages = await openKeyImageStore(c, env);
  return {
    ctx: { ...ctx, config: protocolConfigOf(c) },
    identity,
    ca: readCaPublic(c.caPublicFile),
    groups,
    keyImages,
    host: c.host,
    port: c.port,
    workers: c.workers,
    maxQueued: c.maxQueued,
    rateLimit: c.rateLimit,
    bodyLimit: c.bodyLimit,
    maxConnections: c.maxConnections,
    ...(c.caUrl === undefined ? {} : { caUrl: c.caUrl }),
    statusBatchSize: c.statusBatchSize,
    statusBatchSeconds: c.statusBatchSeconds,
    maxDischargeRequests: c.maxDischargeRequests,
    wsRate: c.wsRate,
    logger,
  };
}
