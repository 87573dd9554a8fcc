/**
 * The SQLite key-image store commits a turn's claims in one transaction: each claim still
 * resolves only after its COMMIT, a clone inside one group loses, and a group whose transaction
 * fails keeps nothing and refuses every claim in it (the LAG then confirms none of them).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { expect } from "chai";
import { generateKeyPair } from "../../src/crypto/index.js";
import { SqliteKeyImageStore } from "../../src/services/stores/sqliteKeyImages.js";
import { expectCodeAsync, fastBackend, text } from "../protocol/helpers/world.js";

describe("Services: group commits of the SQLite key-image store", function () {
  this.timeout(30_000);
  const scope = { lagId: text("LAG-Group-1"), epoch: 42n };
  let dir: string;
  let file: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), "v2g-group-commit-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(function () {
    file = join(dir, `images-${Math.random().toString(36).slice(2)}.db`);
  });

  const images = async (n: number) => {
    const b = await fastBackend();
    return Array.from({ length: n }, () => generateKeyPair(b).publicKey);
  };
  /** What another process sees in the file. */
  const rowsSeenElsewhere = (): number => {
    const other = new DatabaseSync(file, { readOnly: true });
    try {
      return Number((other.prepare("SELECT COUNT(*) AS n FROM key_images").get() as { n: number | bigint }).n);
    } finally {
      other.close();
    }
  };

  it("should commit the claims of one turn in one transaction, each visible to another process once it resolves", async function () {
    const store = new SqliteKeyImageStore(file);
    try {
      const [a, b, c] = await images(3);
      const before = store.groupCommits;
      const claims = [store.claim(scope, a!), store.claim(scope, b!), store.claim(scope, c!)];
      const first = await claims[0];
      // Resolved means committed: another connection already sees all three rows.
      expect(first).to.equal(true);
      expect(rowsSeenElsewhere()).to.equal(3);
      expect(await Promise.all(claims)).to.deep.equal([true, true, true]);
      expect(store.groupCommits - before).to.equal(1);
      // A later turn is a transaction of its own.
      expect(await store.claim(scope, a!)).to.equal(false);
      expect(store.groupCommits - before).to.equal(2);
    } finally {
      await store.close();
    }
  });

  it("should let exactly one of two claims of one image in one group win (a clone in the same turn)", async function () {
    const store = new SqliteKeyImageStore(file);
    try {
      const [image, other] = await images(2);
      const outcomes = await Promise.all([store.claim(scope, image!), store.claim(scope, other!), store.claim(scope, image!)]);
      expect(outcomes).to.deep.equal([true, true, false]);
      expect(store.count()).to.equal(2);
    } finally {
      await store.close();
    }
  });

  it("should refuse every claim of a group whose transaction fails with UNAVAILABLE, keeping none of them", async function () {
    const store = new SqliteKeyImageStore(file, { busyTimeoutMs: 50 });
    // Another process holds the write lock past the store's busy timeout.
    const holder = new DatabaseSync(file, { timeout: 0 });
    try {
      const [a, b] = await images(2);
      holder.exec("BEGIN IMMEDIATE");
      const claims = [store.claim(scope, a!), store.claim(scope, b!)];
      await expectCodeAsync(claims[0]!, "UNAVAILABLE");
      await expectCodeAsync(claims[1]!, "UNAVAILABLE");
      holder.exec("ROLLBACK");
      expect(rowsSeenElsewhere()).to.equal(0);
      // Nothing was kept, so the same images can be claimed once the lock is gone.
      expect(await Promise.all([store.claim(scope, a!), store.claim(scope, b!)])).to.deep.equal([true, true]);
    } finally {
      holder.close();
      await store.close();
    }
  });

  it("should commit claims still queued when the store is closed, and refuse claims after it", async function () {
    const store = new SqliteKeyImageStore(file);
    const [a, b] = await images(2);
    const queued = store.claim(scope, a!);
    await store.close();
    expect(await queued).to.equal(true);
    expect(rowsSeenElsewhere()).to.equal(1);
    await expectCodeAsync(store.claim(scope, b!), "UNAVAILABLE");
  });
});
