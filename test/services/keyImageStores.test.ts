/**
 * Double authentication after a restart and across processes: the key-image store is durable
 * and shared by every process of one LAG id. One behaviour suite runs over the SQLite store
 * (one machine) and the PostgreSQL store (several nodes, against a real server); the attack —
 * a cloned credential answered to a restarted or second LAG — runs against each.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { bytesToHex, generateKeyPair } from "../../src/crypto/index.js";
import { MemoryKeyImageStore, VehicleAuth, VehicleMemory, type KeyImageStore } from "../../src/protocol/index.js";
import { PostgresKeyImageStore } from "../../src/services/stores/postgresKeyImages.js";
import { SqliteKeyImageStore } from "../../src/services/stores/sqliteKeyImages.js";
import { expectCode, expectCodeAsync, fastBackend, text, World } from "../protocol/helpers/world.js";
import { freshDatabase, postgresUrl } from "./helpers/postgres.js";

const CLAIM_PROCESS = fileURLToPath(new URL("./helpers/claimProcess.ts", import.meta.url));

/** How a suite opens (and reopens, as a restarted process would) the store of one LAG id. */
interface StoreKind {
  readonly name: "sqlite" | "postgres";
  /** Where the store lives (a file or a database URL), for child processes. */
  location(): string;
  open(): Promise<KeyImageStore>;
}

/** Runs `count` LAG processes that claim one image at the same instant; returns how many won. */
async function race(kind: StoreKind, count: number): Promise<boolean[]> {
  const image = bytesToHex(generateKeyPair(await fastBackend()).publicKey);
  const startAt = Date.now() + 2_500;
  const runs = Array.from({ length: count }, () =>
    new Promise<boolean>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", CLAIM_PROCESS, kind.name, kind.location(), String(startAt), image], {
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 30_000,
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("close", (code) => {
        if (code !== 0) return reject(new Error(`claim process exited with ${code}: ${err}`));
        resolve((JSON.parse(out.trim()) as { claimed: boolean }).claimed);
      });
    }),
  );
  return Promise.all(runs);
}

function shouldBehaveLikeADurableKeyImageStore(kind: () => StoreKind): void {
  const lagId = text("LAG-Berlin-7");

  it("should claim an image once per scope, keep scopes apart and prune old epochs", async function () {
    const store = await kind().open();
    try {
      const image = generateKeyPair(await fastBackend()).publicKey;
      expect(await store.claim({ lagId, epoch: 10n }, image)).to.equal(true);
      expect(await store.claim({ lagId, epoch: 10n }, image)).to.equal(false);
      expect(await store.claim({ lagId, epoch: 11n }, image)).to.equal(true);
      expect(await store.claim({ lagId: text("LAG-Hamburg-2"), epoch: 10n }, image)).to.equal(true);
      await store.forgetBefore(11n);
      // Epoch 10 is gone (its challenges can no longer be answered); epoch 11 is kept.
      expect(await store.claim({ lagId, epoch: 10n }, image)).to.equal(true);
      expect(await store.claim({ lagId, epoch: 11n }, image)).to.equal(false);
      // The u64 boundary of the epoch survives the database's integer type.
      expect(await store.claim({ lagId, epoch: 2n ** 63n - 1n }, image)).to.equal(true);
      expect(await store.claim({ lagId, epoch: 2n ** 63n - 1n }, image)).to.equal(false);
    } finally {
      await store.close();
    }
  });

  it("should refuse a cloned credential at a restarted LAG of the same id", async function () {
    const world = new World(await fastBackend(), { members: 8, ringSize: 4 });
    const identity = world.lagIdentity();
    const first = await kind().open();
    const lag = world.lag("LAG-Berlin-7", { identity, keyImages: first });
    const run = world.run(3);
    run.onConfirm((await lag.auth.respond(run.onChallenge(lag.auth.challenge()))).confirm);
    await first.close();
    // The process restarts: a new authenticator, a new connection to the same store.
    const second = await kind().open();
    try {
      const restarted = world.lag("LAG-Berlin-7", { identity, keyImages: second });
      const clone = new VehicleAuth(world.ctx(), world.vehicles[3]!.credential, world.ca.publicKeys, new VehicleMemory());
      await expectCodeAsync(restarted.auth.respond(clone.onChallenge(restarted.auth.challenge())), "DOUBLE_AUTHENTICATION");
      // Another vehicle is still welcome at the restarted LAG.
      const other = world.run(5);
      other.onConfirm((await restarted.auth.respond(other.onChallenge(restarted.auth.challenge()))).confirm);
    } finally {
      await second.close();
    }
  });

  it("should let exactly one of two LAG processes of one id win a race for the same image", async function () {
    this.timeout(60_000);
    const outcomes = await race(kind(), 2);
    expect(outcomes.filter(Boolean)).to.have.length(1);
  });
}

describe("Services: durable key-image stores", function () {
  this.timeout(30_000);

  it("should show the attack on the in-memory store: a restarted LAG accepts the clone", async function () {
    const world = new World(await fastBackend(), { members: 8, ringSize: 4 });
    const identity = world.lagIdentity();
    const lag = world.lag("LAG-Berlin-7", { identity, keyImages: new MemoryKeyImageStore() });
    world.authenticate(3, lag);
    const restarted = world.lag("LAG-Berlin-7", { identity, keyImages: new MemoryKeyImageStore() });
    const clone = new VehicleAuth(world.ctx(), world.vehicles[3]!.credential, world.ca.publicKeys, new VehicleMemory());
    expect(restarted.auth.onResponse(clone.onChallenge(restarted.auth.challenge())).session.attribute).to.equal(world.attribute);
    expectCode(() => restarted.auth.onResponse(new VehicleAuth(world.ctx(), world.vehicles[3]!.credential, world.ca.publicKeys).onChallenge(restarted.auth.challenge())), "DOUBLE_AUTHENTICATION");
  });

  describe("SQLite (one machine)", function () {
    let dir: string;
    before(function () {
      dir = mkdtempSync(join(tmpdir(), "v2g-key-images-"));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
    });
    let file = "";
    beforeEach(function () {
      file = join(dir, `images-${Math.random().toString(36).slice(2)}.db`);
    });
    shouldBehaveLikeADurableKeyImageStore(() => ({
      name: "sqlite",
      location: () => file,
      open: async () => new SqliteKeyImageStore(file),
    }));

    it("should refuse to open a database it cannot create, with UNAVAILABLE", function () {
      expectCode(() => new SqliteKeyImageStore(join(dir, "missing-dir", "x.db")), "UNAVAILABLE");
    });
  });

  describe("PostgreSQL (several nodes)", function () {
    let db: { url: string; drop: () => Promise<void> } | undefined;
    before(async function () {
      const url = postgresUrl();
      if (url === undefined) return this.skip();
      db = await freshDatabase(url, "v2g_key_images");
    });
    after(async function () {
      await db?.drop();
    });
    shouldBehaveLikeADurableKeyImageStore(() => ({
      name: "postgres",
      location: () => (db as { url: string }).url,
      open: () => PostgresKeyImageStore.open((db as { url: string }).url),
    }));

    it("should let exactly one of several concurrent claims of one image win inside one node", async function () {
      const stores = await Promise.all([0, 1, 2, 3].map(() => PostgresKeyImageStore.open((db as { url: string }).url)));
      try {
        const image = generateKeyPair(await fastBackend()).publicKey;
        const scope = { lagId: text("LAG-Concurrent"), epoch: 5n };
        const outcomes = await Promise.all(stores.flatMap((s) => [s.claim(scope, image), s.claim(scope, image)]));
        expect(outcomes.filter(Boolean)).to.have.length(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it("should answer UNAVAILABLE when the server cannot be reached", async function () {
      await expectCodeAsync(PostgresKeyImageStore.open("postgresql://v2g@127.0.0.1:1/postgres", { timeoutMs: 500 }), "UNAVAILABLE");
    });
  });
});
