/**
 * A worker for the pool's tests: answers `{ echo }` with its value, holds `{ hold }` for that
 * many milliseconds before answering, and exits at once, without an `error` event, on `{ exit }`.
 * Imported outside a worker thread (the test runner loads every file under test/) it does nothing.
 */
import { parentPort } from "node:worker_threads";

/** A job of this worker. */
export type ExitingJob = { readonly echo: number } | { readonly hold: number; readonly echo: number } | { readonly exit: number };

const port = parentPort;
if (port !== null) {
  port.on("message", (job: ExitingJob) => {
    if ("exit" in job) process.exit(job.exit);
    const answer = () => port.postMessage({ ok: true, output: job.echo });
    if ("hold" in job) setTimeout(answer, job.hold);
    else answer();
  });
  port.postMessage("ready");
}
