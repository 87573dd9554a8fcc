/** LAG and CA services on loopback from a fresh local deployment, for the service tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { GroupDirectory, partyContext, type PartyContext } from "../../../src/protocol/index.js";
import { loadGroupFile, writeDeployment, type Deployment } from "../../../src/services/deployment.js";
import { startCaService, type CaService, type CaServiceOptions } from "../../../src/services/caServer.js";
import { startLagService, type LagService, type LagServiceOptions } from "../../../src/services/lagServer.js";
import { SqliteKeyImageStore } from "../../../src/services/stores/sqliteKeyImages.js";
import { fastBackend } from "../../protocol/helpers/world.js";

export interface Local {
  readonly ctx: PartyContext;
  readonly deployment: Deployment;
  readonly dir: string;
  remove(): void;
}

/** A deployment of `members` vehicles with rings of `ringSize`, in a temporary folder. */
export async function localDeployment(members: number, ringSize: number): Promise<Local> {
  const ctx = partyContext(await fastBackend());
  const dir = mkdtempSync(join(tmpdir(), "v2g-lag-service-"));
  const deployment = writeDeployment(ctx, dir, { lagId: "LAG-Test-1", members, ringSize });
  return { ctx, deployment, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the deployment's LAG on 127.0.0.1 (a free port) with an SQLite key-image store. */
export async function startLocalLag(local: Local, overrides: Partial<LagServiceOptions> = {}): Promise<LagService> {
  const groups = new GroupDirectory();
  loadGroupFile(groups, join(local.dir, local.deployment.files.group));
  return startLagService({
    ctx: local.ctx,
    identity: local.deployment.lag,
    ca: local.deployment.ca.publicKeys,
    groups,
    keyImages: new SqliteKeyImageStore(join(local.dir, "key-images.db")),
    host: "127.0.0.1",
    port: 0,
    workers: 2,
    maxQueued: 64,
    rateLimit: { max: 10_000, windowMs: 60_000 },
    bodyLimit: 16_384,
    logger: pino({ level: "silent" }),
    ...overrides,
  });
}

/** Starts the deployment's CA on 127.0.0.1 (a free port) with its counted rounds in the SQLite file `db`. */
export async function startLocalCa(local: Local, db: string, overrides: Partial<CaServiceOptions> = {}): Promise<CaService> {
  return startCaService({
    ca: local.deployment.ca,
    lagPermits: [local.deployment.lag.permit],
    rounds: new SqliteKeyImageStore(join(local.dir, db)),
    host: "127.0.0.1",
    port: 0,
    workers: 2,
    maxActive: 8,
    rateLimit: { max: 10_000, windowMs: 60_000 },
    bodyLimit: 256 * 1024,
    logger: pino({ level: "silent" }),
    ...overrides,
  });
}
