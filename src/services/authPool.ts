/** The LAG's authentication pool: the job of each admitted response (`runLagAuthJob`) on worker threads, as a `LagAuthRunner`. */
import type { LagAuthJob, LagAuthOutcome, LagAuthRunner } from "../protocol/index.js";
import { WorkerPool, type WorkerPoolOptions } from "./workerPool.js";

const WORKER = new URL("./authWorker.ts", import.meta.url);

/** A started pool and the runner that uses it. */
export interface AuthPool {
  readonly pool: WorkerPool<LagAuthJob, LagAuthOutcome>;
  readonly run: LagAuthRunner;
}

/** Starts the pool. */
export async function startAuthPool(options: WorkerPoolOptions): Promise<AuthPool> {
  const pool = await WorkerPool.start<LagAuthJob, LagAuthOutcome>(WORKER, options);
  return { pool, run: (job) => pool.run(job) };
}
