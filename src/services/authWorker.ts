/**
 * An authentication worker: runs the LAG's authentication job (`runLagAuthJob`: signature
 * decoding, transcript, `checkAnonymousAuth` on the fast backend, the confirmation) for the jobs
 * its pool posts. The main thread made the cheap checks, including membership of the committed
 * member set (`GroupDirectory.checkRing`), and makes the final state change.
 */
import { parentPort } from "node:worker_threads";
import { createSodiumBackend } from "../crypto/index.js";
import { ProtocolError, runLagAuthJob, type LagAuthJob, type LagAuthOutcome } from "../protocol/index.js";
import type { WorkerReply } from "./workerPool.js";

const port = parentPort;
if (port === null) throw new Error("authWorker runs inside a worker thread");
const b = await createSodiumBackend();
port.on("message", (job: LagAuthJob) => {
  let reply: WorkerReply<LagAuthOutcome>;
  try {
    reply = { ok: true, output: runLagAuthJob(b, job) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A refusal of the job itself keeps its code (e.g. MALFORMED); anything else is a fault of the worker.
    reply = error instanceof ProtocolError && error.code !== "INTERNAL" ? { ok: false, message: error.shortMessage, code: error.code } : { ok: false, message };
  } finally {
    // The copies of the LAG's secrets die with the job.
    job.ephemeral.secretKey.fill(0);
    job.keys.staticKeys.secretKey.fill(0);
  }
  port.postMessage(reply);
});
port.postMessage("ready");
