/**
 * A fixed pool of worker threads for CPU-bound jobs (ring verification), so throughput scales
 * with cores and the event loop never runs a verification. Work is bounded: at most `maxQueued`
 * jobs wait beyond the ones running; one more is refused at once with `OVERLOADED` (the server
 * answers 503 with Retry-After) instead of queueing without bound.
 *
 * The workers start once, with the pool. Each worker is handed up to `PIPELINE_DEPTH` jobs at a
 * time (the next one waits in its port while it runs the current one), so a worker goes straight
 * on to its next job even while this thread is busy (an fsync, a burst of requests) and cannot
 * hand it one.
 *
 * A worker that dies is replaced. One that crashes (`error` event) fails the jobs it held with
 * `INTERNAL`; one that exits without an error fails the job it was running with `UNAVAILABLE`
 * and hands the jobs waiting in its port, which never started, back to the queue.
 */
import { Worker } from "node:worker_threads";
import { ProtocolError, type ProtocolErrorCode } from "../protocol/index.js";

/** Sizes of a pool. */
export interface WorkerPoolOptions {
  /** Worker threads (≥ 1). */
  readonly size: number;
  /** Jobs allowed to wait for a free worker (≥ 0). */
  readonly maxQueued: number;
}

interface Job<I, O> {
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (error: Error) => void;
}

interface Slot<I, O> {
  readonly worker: Worker;
  /** Jobs posted to this worker, oldest (the running one) first; it answers them in order. */
  readonly jobs: Job<I, O>[];
}

/** Jobs posted to one worker at a time: the running one and the next. */
export const PIPELINE_DEPTH = 2;

/** Messages a worker posts back. */
export type WorkerReply<O> =
  | { readonly ok: true; readonly output: O }
  /** `code` when the job itself was bad (e.g. `MALFORMED`); none for a fault of the worker. */
  | { readonly ok: false; readonly message: string; readonly code?: ProtocolErrorCode };

/** The pool. */
export class WorkerPool<I, O> {
  private readonly slots: Slot<I, O>[] = [];
  private readonly queue: Job<I, O>[] = [];
  private closing = false;
  private completed = 0;

  private constructor(
    private readonly script: URL,
    private readonly options: WorkerPoolOptions,
  ) {}

  /** Starts `options.size` workers running `script` and waits until each has loaded. */
  static async start<I, O>(script: URL, options: WorkerPoolOptions): Promise<WorkerPool<I, O>> {
    if (!Number.isInteger(options.size) || options.size < 1 || !Number.isInteger(options.maxQueued) || options.maxQueued < 0) {
      throw new ProtocolError("INVALID_CONFIG", "a worker pool needs size ≥ 1 and maxQueued ≥ 0", { details: { ...options } });
    }
    const pool = new WorkerPool<I, O>(script, options);
    await Promise.all(Array.from({ length: options.size }, () => pool.spawn()));
    return pool;
  }

  /** Jobs running or waiting. */
  get inFlight(): number {
    return this.slots.reduce((n, s) => n + s.jobs.length, this.queue.length);
  }

  /** Jobs not yet handed to any worker (each worker holds at most `PIPELINE_DEPTH`). */
  get queued(): number {
    return this.queue.length;
  }

  /** Jobs finished since the start. */
  get completedJobs(): number {
    return this.completed;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs one job; refuses it with `OVERLOADED` when every worker is busy and `maxQueued` jobs already wait. */
  run(input: I): Promise<O> {
    if (this.closing) return Promise.reject(new ProtocolError("UNAVAILABLE", "the worker pool is shutting down"));
    const inFlight = this.inFlight;
    if (inFlight >= this.slots.length + this.options.maxQueued) {
      return Promise.reject(new ProtocolError("OVERLOADED", "every verification worker is busy", { details: { queued: inFlight - this.slots.length } }));
    }
    return new Promise<O>((resolve, reject) => {
      const job: Job<I, O> = { input, resolve, reject };
      const slot = this.leastLoaded();
      if (slot !== undefined && slot.jobs.length < this.depth) this.dispatch(slot, job);
      else this.queue.push(job);
    });
  }

  /** Waits for running and queued jobs, then stops every worker. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private leastLoaded(): Slot<I, O> | undefined {
    let best: Slot<I, O> | undefined;
    for (const s of this.slots) if (best === undefined || s.jobs.length < best.jobs.length) best = s;
    return best;
  }

  /** Jobs one worker holds at most: a job waits in a worker's port only within the bound (none with maxQueued 0). */
  private get depth(): number {
    return Math.min(PIPELINE_DEPTH, 1 + this.options.maxQueued);
  }

  /** Hands a worker queued jobs up to its depth. */
  private fill(slot: Slot<I, O>): void {
    while (slot.jobs.length < this.depth) {
      const next = this.queue.shift();
      if (next === undefined) return;
      this.dispatch(slot, next);
    }
  }

  private dispatch(slot: Slot<I, O>, job: Job<I, O>): void {
    slot.jobs.push(job);
    slot.worker.postMessage(job.input);
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.script, { execArgv: workerExecArgv() });
      const slot: Slot<I, O> = { worker, jobs: [] };
      let ready = false;
      worker.on("message", (message: WorkerReply<O> | "ready") => {
        if (message === "ready") {
          ready = true;
          this.slots.push(slot);
          // A replacement takes over jobs that queued while it started.
          this.fill(slot);
          return resolve();
        }
        const job = slot.jobs.shift();
        this.completed++;
        if (job !== undefined) {
          if (message.ok) job.resolve(message.output);
          else job.reject(new ProtocolError(message.code ?? "INTERNAL", message.code === undefined ? "a worker failed" : message.message, { details: { message: message.message } }));
        }
        this.fill(slot);
      });
      worker.on("error", (error) => {
        if (!ready) return reject(error);
        for (const job of slot.jobs.splice(0)) job.reject(new ProtocolError("INTERNAL", "a verification worker crashed", { cause: error }));
      });
      worker.on("exit", (exitCode) => {
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots.splice(index, 1);
        if (!ready) return reject(new ProtocolError("UNAVAILABLE", "a worker exited before it was ready", { details: { exitCode } }));
        this.settleExited(slot, exitCode);
        if (this.closing) return;
        // Replace the worker so the pool keeps its size; a pool that cannot has no one for its queue.
        this.spawn().catch((error: unknown) => {
          if (this.slots.length === 0) this.rejectQueued(new ProtocolError("UNAVAILABLE", "no verification worker could be started", { cause: error }));
        });
      });
    });
  }

  /**
   * A worker that exited (without an `error` event: `process.exit`, terminated, out of memory)
   * answers none of its jobs: the one it was running fails with `UNAVAILABLE` (the client may try
   * again later); those waiting in its port never started and go back to the front of the queue.
   */
  private settleExited(slot: Slot<I, O>, exitCode: number): void {
    const [running, ...waiting] = slot.jobs.splice(0);
    running?.reject(new ProtocolError("UNAVAILABLE", "a verification worker exited during the job", { details: { exitCode } }));
    this.queue.unshift(...waiting);
    if (this.slots.length === 0 && this.closing) this.rejectQueued(new ProtocolError("UNAVAILABLE", "the worker pool is shutting down"));
    for (const s of this.slots) this.fill(s);
  }

  private rejectQueued(error: ProtocolError): void {
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}

/** The worker must load TypeScript the way this process does (tsx), whatever started it. */
function workerExecArgv(): string[] {
  const args = process.execArgv.filter((a) => !a.startsWith("--inspect"));
  const hasTsx = args.some((a, i) => a.includes("tsx") || (a === "--import" && (args[i + 1] ?? "").includes("tsx")));
  return hasTsx ? args : [...args, "--import", "tsx"];
}
