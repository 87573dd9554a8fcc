/**
 * A verification worker: runs `checkAnonymousAuth` on the fast backend for the jobs its pool
 * posts. The main thread made the cheap checks and the membership check against the committed
 * member set (`GroupDirectory.checkRing`); the job carries that ring as its member set.
 */
import { parentPort } from "node:worker_threads";
import {
  checkAnonymousAuth,
  committedMembers,
  createSodiumBackend,
  CryptoInputError,
  type AnonymousAuthCheck,
  type AnonymousAuthResult,
} from "../crypto/index.js";
import type { WorkerReply } from "./workerPool.js";

/** What crosses the thread boundary (plain data only). */
export type AuthJob = Omit<AnonymousAuthCheck, "members">;

const port = parentPort;
if (port === null) throw new Error("authWorker runs inside a worker thread");
const b = await createSodiumBackend();
port.on("message", (job: AuthJob) => {
  let reply: WorkerReply<AnonymousAuthResult>;
  try {
    const output = checkAnonymousAuth(b, { ...job, members: committedMembers(job.ring.statement.ring) });
    reply = { ok: true, output };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = error instanceof CryptoInputError ? { ok: false, message, code: "MALFORMED" } : { ok: false, message };
  } finally {
    // The copy of the LAG's ephemeral secret dies with the job.
    job.keyAgreement.ephemeral.secretKey.fill(0);
  }
  port.postMessage(reply);
});
port.postMessage("ready");
