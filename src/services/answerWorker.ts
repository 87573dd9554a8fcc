/**
 * A ring-check worker of the CA: runs the answer proofs' ring checks (`runAnswerRingCheck`) on
 * the fast backend for the chunks its pool posts. The CA thread made every cheap check first.
 */
import { parentPort } from "node:worker_threads";
import { createSodiumBackend, CryptoInputError } from "../crypto/index.js";
import { runAnswerRingCheck, type AnswerRingCheck } from "../protocol/index.js";
import type { WorkerReply } from "./workerPool.js";

const port = parentPort;
if (port === null) throw new Error("answerWorker runs inside a worker thread");
const b = await createSodiumBackend();
port.on("message", (checks: readonly AnswerRingCheck[]) => {
  let reply: WorkerReply<boolean[]>;
  try {
    reply = { ok: true, output: checks.map((check) => runAnswerRingCheck(b, check)) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = error instanceof CryptoInputError ? { ok: false, message, code: "MALFORMED" } : { ok: false, message };
  }
  port.postMessage(reply);
});
port.postMessage("ready");
