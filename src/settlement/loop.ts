/**
 * The long-running loop: a tick, then a pause of `intervalMs`, until `signal` aborts. A tick in
 * progress always finishes (its database work is in transactions, its sends in the outbox), so
 * stopping never cuts a step in half. A fatal error ends the loop by rejecting.
 */
import type { TickReport } from "./context.js";

export interface Tickable {
  tick(): Promise<TickReport>;
}

export interface LoopOptions {
  intervalMs: number;
  signal: AbortSignal;
  onTick?(report: TickReport, n: number): void;
}

/** Runs ticks until `signal` aborts; resolves with the number of ticks run. */
export async function runLoop(bot: Tickable, o: LoopOptions): Promise<number> {
  let n = 0;
  while (!o.signal.aborted) {
    const report = await bot.tick();
    n++;
    o.onTick?.(report, n);
    await pause(o.intervalMs, o.signal);
  }
  return n;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
