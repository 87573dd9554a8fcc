/**
 * The worker pool: each worker is handed its next job while it runs one (so it never waits for
 * a busy event loop between jobs), without widening the bound on work held: `size + maxQueued`
 * jobs at most, the next one refused with `OVERLOADED`.
 */
import { expect } from "chai";
import { ProtocolError, type AnswerRingCheck } from "../../src/protocol/index.js";
import { PIPELINE_DEPTH, WorkerPool } from "../../src/services/workerPool.js";
import { expectCodeAsync } from "../protocol/helpers/world.js";
import type { ExitingJob } from "./helpers/exitingWorker.js";

const WORKER = new URL("../../src/services/answerWorker.ts", import.meta.url);
const NO_CHECKS: readonly AnswerRingCheck[] = [];

describe("Services: the worker pool", function () {
  this.timeout(60_000);

  it("should hand a busy worker its next job at once, and queue only beyond that", async function () {
    const pool = await WorkerPool.start<readonly AnswerRingCheck[], boolean[]>(WORKER, { size: 1, maxQueued: 4 });
    try {
      // Replies arrive in a later turn: what the pool holds is observed before any of them.
      const jobs = [0, 1, 2].map(() => pool.run(NO_CHECKS));
      expect(pool.inFlight).to.equal(3);
      expect(pool.queued, "the worker was not handed its next job").to.equal(3 - PIPELINE_DEPTH);
      expect(await Promise.all(jobs)).to.deep.equal([[], [], []]);
      expect(pool.completedJobs).to.equal(3);
      expect(pool.inFlight).to.equal(0);
    } finally {
      await pool.close();
    }
  });

  it("should still refuse the job beyond size + maxQueued with OVERLOADED", async function () {
    const pool = await WorkerPool.start<readonly AnswerRingCheck[], boolean[]>(WORKER, { size: 1, maxQueued: 1 });
    try {
      const held = [pool.run(NO_CHECKS), pool.run(NO_CHECKS)];
      await expectCodeAsync(pool.run(NO_CHECKS), "OVERLOADED");
      await Promise.all(held);
    } finally {
      await pool.close();
    }
  });

  it("should hand a worker no second job when nothing may wait (maxQueued 0)", async function () {
    const pool = await WorkerPool.start<readonly AnswerRingCheck[], boolean[]>(WORKER, { size: 2, maxQueued: 0 });
    try {
      const held = [pool.run(NO_CHECKS), pool.run(NO_CHECKS)];
      expect(pool.queued).to.equal(0);
      await expectCodeAsync(pool.run(NO_CHECKS), "OVERLOADED");
      await Promise.all(held);
    } finally {
      await pool.close();
    }
  });
});

describe("Services: the worker pool when a worker exits without an error", function () {
  this.timeout(60_000);
  const EXITING = new URL("./helpers/exitingWorker.ts", import.meta.url);
  /** Settles within `ms` or fails the test (a job that is never settled would otherwise hang it). */
  const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} was never settled`)), ms).unref())]);
  const fullSize = async (pool: WorkerPool<ExitingJob, number>, size: number): Promise<void> => {
    while (pool.size < size) await new Promise((r) => setTimeout(r, 10));
  };

  it("should fail the running job with UNAVAILABLE, run the held and queued jobs on a replacement, and keep its size", async function () {
    const pool = await WorkerPool.start<ExitingJob, number>(EXITING, { size: 1, maxQueued: 4 });
    try {
      const dying = pool.run({ exit: 7 });
      // The second job waits in the dying worker's port; the third waits in the pool's queue.
      const held = pool.run({ echo: 1 });
      const queued = pool.run({ echo: 2 });
      expect(pool.queued).to.equal(1);
      const error = await within(dying.then(() => undefined, (e: unknown) => e), 20_000, "the running job");
      expect(error).to.be.instanceOf(ProtocolError);
      expect((error as ProtocolError).code).to.equal("UNAVAILABLE");
      expect((error as ProtocolError).details).to.deep.equal({ exitCode: 7 });
      expect(await within(Promise.all([held, queued]), 20_000, "the held and queued jobs")).to.deep.equal([1, 2]);
      expect(pool.size).to.equal(1);
      expect(await within(pool.run({ echo: 3 }), 20_000, "a job after the replacement")).to.equal(3);
      expect(pool.inFlight).to.equal(0);
    } finally {
      await pool.close();
    }
  });

  it("should settle the job of each of two workers that exit mid-job, while the other jobs finish", async function () {
    const pool = await WorkerPool.start<ExitingJob, number>(EXITING, { size: 2, maxQueued: 0 });
    try {
      const slow = pool.run({ hold: 200, echo: 5 });
      const dying = pool.run({ exit: 3 });
      await expectCodeAsync(within(dying, 20_000, "the running job"), "UNAVAILABLE");
      expect(await within(slow, 20_000, "the other worker's job")).to.equal(5);
      await within(fullSize(pool, 2), 20_000, "the replacement");
      const again = await within(Promise.all([pool.run({ exit: 4 }).catch((e: unknown) => (e as ProtocolError).code), pool.run({ echo: 6 })]), 20_000, "the jobs after a replacement");
      expect(again).to.have.members(["UNAVAILABLE", 6]);
      await within(fullSize(pool, 2), 20_000, "the second replacement");
      expect(pool.inFlight).to.equal(0);
    } finally {
      await pool.close();
    }
  });
});
