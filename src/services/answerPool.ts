/** The CA's ring-check pool: answer proofs checked on worker threads, as an `AnswerVerifier`. */
import type { AnswerRingCheck, AnswerVerifier } from "../protocol/index.js";
import { WorkerPool, type WorkerPoolOptions } from "./workerPool.js";

const WORKER = new URL("./answerWorker.ts", import.meta.url);

/** A started pool and the verifier that uses it. */
export interface AnswerPool {
  readonly pool: WorkerPool<readonly AnswerRingCheck[], boolean[]>;
  /** Splits the checks of one request into at most one chunk per worker and runs them in parallel. */
  readonly verify: AnswerVerifier;
}

/** Starts the pool. */
export async function startAnswerPool(options: WorkerPoolOptions): Promise<AnswerPool> {
  const pool = await WorkerPool.start<readonly AnswerRingCheck[], boolean[]>(WORKER, options);
  const verify: AnswerVerifier = async (checks) => {
    const chunk = Math.max(1, Math.ceil(checks.length / pool.size));
    const jobs: Promise<boolean[]>[] = [];
    for (let i = 0; i < checks.length; i += chunk) jobs.push(pool.run(checks.slice(i, i + chunk)));
    return (await Promise.all(jobs)).flat();
  };
  return { pool, verify };
}
