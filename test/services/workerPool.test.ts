/**
 * The worker pool: each worker is handed its next job while it runs one (so it never waits for
 * a busy event loop between jobs), without widening the bound on work held: `size + maxQueued`
 * jobs at most, the next one refused with `OVERLOADED`.
 */
import { expect } from "chai";
import type { AnswerRingCheck } from "../../src/protocol/index.js";
import { PIPELINE_DEPTH, WorkerPool } from "../../src/services/workerPool.js";
import { expectCodeAsync } from "../protocol/helpers/world.js";

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
