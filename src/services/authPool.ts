/** The LAG's verification pool: `checkAnonymousAuth` on worker threads, as an `AuthVerifier`. */
import type { AnonymousAuthResult } from "../crypto/index.js";
import type { AuthVerifier } from "../protocol/index.js";
import type { AuthJob } from "./authWorker.js";
import { WorkerPool, type WorkerPoolOptions } from "./workerPool.js";

const WORKER = new URL("./authWorker.ts", import.meta.url);

/** A started pool and the verifier that uses it. */
export interface AuthPool {
  readonly pool: WorkerPool<AuthJob, AnonymousAuthResult>;
  readonly verify: AuthVerifier;
}

/** Starts the pool. */
export async function startAuthPool(options: WorkerPoolOptions): Promise<AuthPool> {
  const pool = await WorkerPool.start<AuthJob, AnonymousAuthResult>(WORKER, options);
  const verify: AuthVerifier = (check) => {
    // Membership against the committed set stays on this thread (the set is not plain data);
    // the worker receives the ring as its member set.
    if (!check.ring.statement.ring.every((member) => check.members.has(member))) return { ok: false, failed: "membership" };
    const { members: _members, ...job } = check;
    return pool.run(job);
  };
  return { pool, verify };
}
