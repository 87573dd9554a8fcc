import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BotDatabase } from "../../src/chain/db.js";
import { ChainError } from "../../src/chain/errors.js";
import { COMMITTED_BATCHES, ROWS_PER_BATCH } from "./children/dbWriter.js";

const WRITER = fileURLToPath(new URL("./children/dbWriter.ts", import.meta.url));

interface ChildRun {
  acked: number[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the writer child; SIGKILLs it when `killWhen` says so for a line of its output. */
function runWriter(path: string, mode: string, killWhen: (line: string, acked: number[]) => boolean): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, path, mode], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: number[] = [];
    let buffered = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const ack = /^ack (\d+)$/.exec(line);
        if (ack) acked.push(Number(ack[1]));
        if (killWhen(line, acked) && child.exitCode === null) child.kill("SIGKILL");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ acked, code, signal, stderr }));
  });
}

function reopenAndCheck(path: string, acked: number[]): Map<number, number> {
  const db = BotDatabase.open(path);
  try {
    expect(db.integrityCheck()).to.equal("ok");
    const counts = new Map(db.all("SELECT batch, count(*) AS n FROM rows GROUP BY batch").map((r) => [Number(r.batch), Number(r.n)]));
    for (const batch of acked) expect(counts.get(batch), `acknowledged batch ${batch}`).to.equal(ROWS_PER_BATCH);
    for (const [batch, n] of counts) expect(n, `batch ${batch} is all or nothing`).to.equal(ROWS_PER_BATCH);
    return counts;
  } finally {
    db.close();
  }
}

describe("chain/db: the bot database", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bot-db-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("should open in WAL mode with synchronous=FULL and a busy timeout", () => {
    const db = BotDatabase.open(join(dir, "a.sqlite"), { busyTimeoutMs: 1234 });
    expect(db.settings()).to.deep.equal({ journalMode: "wal", synchronous: 2, busyTimeoutMs: 1234 });
    db.close();
  });

  it("should apply migrations once per component and refuse a newer schema", () => {
    const path = join(dir, "m.sqlite");
    const db = BotDatabase.open(path);
    const v1 = ["CREATE TABLE a (x INTEGER) STRICT"];
    const v2 = [...v1, "ALTER TABLE a ADD COLUMN y TEXT"];
    expect(db.migrate("c", v1)).to.equal(1);
    expect(db.migrate("c", v1)).to.equal(1);
    expect(db.migrate("c", v2)).to.equal(2);
    expect(db.migrate("other", v1.map((s) => s.replace(" a ", " b ")))).to.equal(1);
    expect(db.schemaVersion("c")).to.equal(2);
    expect(() => db.migrate("c", v1)).to.throw(ChainError, /newer c schema/);
    db.close();
  });

  it("should roll back a failed transaction, a failed nested one alone, and refuse an async function", async () => {
    const db = BotDatabase.open(join(dir, "t.sqlite"));
    db.migrate("t", ["CREATE TABLE t (x INTEGER) STRICT"]);
    expect(() =>
      db.transaction(() => {
        db.run("INSERT INTO t VALUES (1)");
        throw new Error("boom");
      }),
    ).to.throw("boom");
    db.transaction(() => {
      db.run("INSERT INTO t VALUES (2)");
      expect(() =>
        db.transaction(() => {
          db.run("INSERT INTO t VALUES (3)");
          throw new Error("inner");
        }),
      ).to.throw("inner");
    });
    expect(() => db.transaction(async () => db.run("INSERT INTO t VALUES (4)"))).to.throw(ChainError, /await/);
    await new Promise((r) => setTimeout(r, 10));
    expect(db.all("SELECT x FROM t ORDER BY x").map((r) => r.x)).to.deep.equal([2]);
    expect(db.inTransaction).to.equal(false);
    db.close();
  });

  it("should open intact and keep every acknowledged row after a SIGKILL in the middle of a transaction", async () => {
    const path = join(dir, "kill.sqlite");
    const run = await runWriter(path, "kill", (line) => line === "mid");
    expect(run.signal, run.stderr).to.equal("SIGKILL");
    expect(run.acked).to.have.length(COMMITTED_BATCHES);
    const counts = reopenAndCheck(path, run.acked);
    expect([...counts.keys()].sort((a, b) => a - b)).to.deep.equal(run.acked);
  });

  it("should open intact and keep every acknowledged row after process.exit(1) inside a transaction", async () => {
    const path = join(dir, "exit.sqlite");
    const run = await runWriter(path, "exit", () => false);
    expect(run.code, run.stderr).to.equal(1);
    expect(run.acked).to.have.length(COMMITTED_BATCHES);
    const counts = reopenAndCheck(path, run.acked);
    expect(counts.has(COMMITTED_BATCHES), "the interrupted transaction left rows").to.equal(false);
  });

  it("should lose no acknowledged batch when killed at an arbitrary moment while committing", async () => {
    for (let round = 0; round < 3; round++) {
      const path = join(dir, `stream-${round}.sqlite`);
      const stopAfter = 10 + Math.floor(Math.random() * 60);
      const run = await runWriter(path, "stream", (_line, acked) => acked.length >= stopAfter);
      expect(run.signal, run.stderr).to.equal("SIGKILL");
      const counts = reopenAndCheck(path, run.acked);
      // At most the batch in flight when the signal landed is there without its "ack".
      expect(counts.size - run.acked.length).to.be.within(0, 1);
    }
  });
});
