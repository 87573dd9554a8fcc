/**
 * The files a deployment of the services is made of, with their zod schemas: the CA's public
 * keys, a committed group version with its member list, a LAG's permit, and a vehicle's
 * credential. Secret keys live only in key files (hex, one key per file) or environment
 * variables, never in a config file. `writeDeployment` creates a complete local deployment (a
 * CA, one group, one LAG, its vehicles) for trying the services, the tests and the benchmark.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { z } from "zod";
import { bytesToHex, generateKeyPair, hexToBytes, publicKeyOf, type KeyPair } from "../crypto/index.js";
import {
  CentralAuthority,
  GroupDirectory,
  groupRoot,
  ProtocolError,
  type Backend,
  type CaPublicKeys,
  type GroupVersionRecord,
  type PartyContext,
  type Role,
  type VehicleCredential,
} from "../protocol/index.js";

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, "must be 32 bytes of lower-case hex").transform((s) => hexToBytes(s));
const hexBytes = z.string().regex(/^([0-9a-f]{2})+$/, "must be lower-case hex").transform((s) => hexToBytes(s));
const u64 = z.union([z.number().int().min(0), z.string().regex(/^(0|[1-9][0-9]{0,19})$/)]).transform((v) => BigInt(v));

export const caPublicSchema = z.object({ permitKey: hex32, escrowKey: hex32, envelopeKey: hex32 }).strict();

export const groupFileSchema = z
  .object({
    groupId: hex32,
    version: u64,
    attribute: z.string().min(1).max(256),
    /** When the version was published (Unix seconds): the start of the previous version's grace period. */
    publishedAt: u64,
    members: z.array(hex32).min(2).max(1_000_000),
  })
  .strict();

export const credentialSchema = z
  .object({
    groupId: hex32,
    groupVersion: u64,
    root: hex32,
    ring: z.array(hex32).min(2).max(256),
    role: z.enum(["load", "storage", "s3p"]),
    /** The key file of the vehicle's secret key, relative to this file. */
    secretKeyFile: z.string().min(1),
  })
  .strict();

/** Reads a JSON file and validates it; `MALFORMED` with the first issue otherwise. */
export function readJsonFile<T extends z.ZodTypeAny>(file: string, schema: T): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new ProtocolError("MALFORMED", `cannot read the JSON file ${file}`, { details: { file }, cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProtocolError("MALFORMED", `${file}: ${issue?.path.join(".") || "(root)"} ${issue?.message ?? "invalid"}`, { details: { file } });
  }
  return parsed.data as z.output<T>;
}

/** Where a secret comes from: a key file or the environment variable it names. */
export interface SecretSource {
  readonly file?: string;
  readonly env?: string;
}

/** The trimmed text of a secret from its key file or environment variable ("" when the variable is unset). */
export function readSecretText(source: SecretSource, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (source.file !== undefined) {
    try {
      return readFileSync(source.file, "utf8").trim();
    } catch (cause) {
      throw new ProtocolError("INVALID_CONFIG", `cannot read the key file ${source.file}`, { cause });
    }
  }
  return source.env === undefined ? "" : (env[source.env]?.trim() ?? "");
}

/** A secret key from a key file (32 bytes of hex) or an environment variable; never echoed. */
export function readSecretKey(b: Backend, source: SecretSource, env: NodeJS.ProcessEnv = process.env): KeyPair {
  const text = readSecretText(source, env);
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new ProtocolError("INVALID_CONFIG", `${source.file ?? `environment variable ${source.env}`} does not hold a 32-byte hex secret key`);
  }
  const secretKey = hexToBytes(text);
  try {
    return { secretKey, publicKey: publicKeyOf(b, secretKey) };
  } catch (cause) {
    throw new ProtocolError("INVALID_CONFIG", "the secret key is not a valid scalar", { cause });
  }
}

/** The CA's public keys from their file. */
export function readCaPublic(file: string): CaPublicKeys {
  return readJsonFile(file, caPublicSchema);
}

/** A group file into a directory: commits the version and adds its checked member list. */
export function loadGroupFile(directory: GroupDirectory, file: string): GroupVersionRecord {
  const g = readJsonFile(file, groupFileSchema);
  const record: GroupVersionRecord = { groupId: g.groupId, version: g.version, root: groupRoot(g.members), memberCount: g.members.length, attribute: g.attribute, publishedAt: g.publishedAt };
  directory.commit(record);
  directory.addMembers(g.groupId, g.version, g.members);
  return record;
}

/** A vehicle's credential file (its secret key read from the key file it names). */
export function readCredential(b: Backend, file: string, dir: string): VehicleCredential {
  const c = readJsonFile(file, credentialSchema);
  const keys = readSecretKey(b, { file: join(dir, c.secretKeyFile) });
  return { keys, groupId: c.groupId, groupVersion: c.groupVersion, root: c.root, ring: c.ring, role: c.role as Role };
}

/** What `writeDeployment` created. */
export interface Deployment {
  readonly dir: string;
  readonly ca: CentralAuthority;
  readonly lag: { readonly lagId: Uint8Array; readonly staticKeys: KeyPair; readonly permit: Uint8Array };
  readonly credentials: readonly VehicleCredential[];
  /** Paths of the files, relative to `dir`. */
  readonly files: {
    readonly caPublic: string;
    /** The CA's secret key files (mode 0600), for `ca serve`. */
    readonly caKeys: { readonly permit: string; readonly escrow: string; readonly envelope: string };
    readonly group: string; readonly lagKey: string; readonly permit: string; readonly credential: (i: number) => string };
}

/**
 * Writes a local deployment into `dir`: CA public keys, one group version of `members`
 * vehicles, one LAG (static key file and permit valid `permitSeconds`), and each vehicle's
 * credential with a ring of `ringSize`.
 */
export function writeDeployment(
  ctx: PartyContext,
  dir: string,
  options: { readonly lagId: string; readonly members: number; readonly ringSize: number; readonly permitSeconds?: bigint; readonly attribute?: string },
): Deployment {
  mkdirSync(dir, { recursive: true });
  const b = ctx.backend;
  const secrets = { permit: generateKeyPair(b, ctx.rng), escrow: generateKeyPair(b, ctx.rng), envelope: generateKeyPair(b, ctx.rng) };
  const ca = new CentralAuthority(ctx, secrets);
  const attribute = options.attribute ?? "subscribers of supplier S_B";
  const groupId = sha256(new TextEncoder().encode(`group:${attribute}`));
  const keys = Array.from({ length: options.members }, () => generateKeyPair(b, ctx.rng));
  const record = ca.enrolGroup(groupId, 1n, keys.map((k) => k.publicKey), attribute);
  const write = (name: string, value: unknown): string => {
    writeFileSync(join(dir, name), typeof value === "string" ? value : `${JSON.stringify(value, null, 2)}\n`, { mode: name.endsWith(".key") ? 0o600 : 0o644 });
    return name;
  };
  const h = bytesToHex;
  const caPublic = write("ca.public.json", { permitKey: h(ca.publicKeys.permitKey), escrowKey: h(ca.publicKeys.escrowKey), envelopeKey: h(ca.publicKeys.envelopeKey) });
  const caKeys = {
    permit: write("ca-permit.key", h(secrets.permit.secretKey)),
    escrow: write("ca-escrow.key", h(secrets.escrow.secretKey)),
    envelope: write("ca-envelope.key", h(secrets.envelope.secretKey)),
  };
  const group = write("group-1.json", { groupId: h(groupId), version: "1", attribute, publishedAt: String(record.publishedAt ?? 0n), members: keys.map((k) => h(k.publicKey)) });
  const staticKeys = generateKeyPair(b, ctx.rng);
  const lagId = new TextEncoder().encode(options.lagId);
  const now = ctx.clock();
  const permit = ca.issueLagPermit(lagId, staticKeys.publicKey, now - 60n, now + (options.permitSeconds ?? 30n * 86_400n));
  const lagKey = write("lag.key", h(staticKeys.secretKey));
  const permitFile = write("lag.permit", h(permit));
  const credentials = keys.map((k, i) => {
    const credential = ca.credential(k, groupId, 1n, options.ringSize, "load");
    write(`vehicle-${i}.key`, h(k.secretKey));
    write(`vehicle-${i}.json`, { groupId: h(groupId), groupVersion: "1", root: h(credential.root), ring: credential.ring.map(h), role: credential.role, secretKeyFile: `vehicle-${i}.key` });
    return credential;
  });
  return {
    dir,
    ca,
    lag: { lagId, staticKeys, permit },
    credentials,
    files: { caPublic, caKeys, group, lagKey, permit: permitFile, credential: (i) => `vehicle-${i}.json` },
  };
}

/** Reads the permit file (hex). */
export function readPermitFile(file: string): Uint8Array {
  try {
    const text = readFileSync(file, "utf8").trim();
    return hexBytes.parse(text);
  } catch (cause) {
    throw new ProtocolError("INVALID_CONFIG", `cannot read the permit file ${file}`, { cause });
  }
}
