/**
 * The scheduler as a service: HiGHS' `solve` is synchronous, so it runs in one worker thread
 * (one HiGHS runtime, loaded once) and callers get a promise. Jobs are solved in order.
 */
import { Worker } from "node:worker_threads";
import { ChargingError, type ChargingErrorCode } from "./errors.js";
import type { FleetProblem } from "./fleet.js";
import type { LpAlgorithm } from "./highs.js";
import type { ScheduleOutcome } from "./scheduler.js";

export interface ScheduleJob {
  id: number;
  problem: FleetProblem;
  /** Omitted: `scheduleFleet`'s default (primal simplex from the greedy start). */
  algorithm?: LpAlgorithm;
}

export type ScheduleReply =
  | { id: number; ok: true; outcome: ScheduleOutcome }
  | { id: number; ok: false; error: { name: string; code: string | undefined; message: string; details: Record<string, unknown> } };

interface Pending {
  resolve: (outcome: ScheduleOutcome) => void;
  reject: (error: Error) => void;
}

export class ScheduleService {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor() {
    // Under a TypeScript loader (tests, tsx) the worker is the .ts source and needs the same loader.
    const source = import.meta.url.endsWith(".ts");
    const url = new URL(source ? "./scheduleWorker.ts" : "./scheduleWorker.js", import.meta.url);
    this.worker = new Worker(url, source ? { execArgv: ["--import", "tsx"] } : {});
    this.worker.on("message", (reply: ScheduleReply) => this.settle(reply));
    this.worker.on("error", (error) => this.failAll(error));
    this.worker.on("exit", (code) => {
      if (!this.closed) this.failAll(new ChargingError("SOLVER", "scheduler worker exited", { code }));
    });
  }

  /** Schedules `problem` off the event loop. */
  schedule(problem: FleetProblem, algorithm?: LpAlgorithm): Promise<ScheduleOutcome> {
    if (this.closed) return Promise.reject(new ChargingError("SOLVER", "scheduler service is closed"));
    const id = this.nextId++;
    return new Promise<ScheduleOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, problem, algorithm } satisfies ScheduleJob);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
    this.failAll(new ChargingError("SOLVER", "scheduler service closed"));
  }

  private settle(reply: ScheduleReply): void {
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiting.resolve(reply.outcome);
    else if (reply.error.name === "ChargingError") {
      waiting.reject(new ChargingError(reply.error.code as ChargingErrorCode, reply.error.message, reply.error.details));
    } else waiting.reject(new ChargingError("SOLVER", reply.error.message, reply.error.details));
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
