/** Worker thread of `ScheduleService`: owns one HiGHS runtime and solves one problem at a time. */
import { parentPort } from "node:worker_threads";
import { loadHighs } from "./highs.js";
import { scheduleFleet } from "./scheduler.js";
import type { ScheduleJob, ScheduleReply } from "./scheduleService.js";

const port = parentPort;
if (port === null) throw new Error("scheduleWorker must run in a worker thread");

port.on("message", (job: ScheduleJob) => {
  void loadHighs().then(
    (highs) => {
      let reply: ScheduleReply;
      try {
        reply = { id: job.id, ok: true, outcome: scheduleFleet(highs, job.problem, job.algorithm) };
      } catch (error) {
        const e = error as { name?: string; code?: string; message?: string; details?: Record<string, unknown> };
        reply = { id: job.id, ok: false, error: { name: e.name ?? "Error", code: e.code, message: e.message ?? String(error), details: e.details ?? {} } };
      }
      port.postMessage(reply);
    },
    (error: unknown) => port.postMessage({ id: job.id, ok: false, error: { name: "Error", code: "SOLVER", message: String(error), details: {} } }),
  );
});
