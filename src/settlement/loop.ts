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

/** Opens with `open`, retrying while the endpoint is unreachable, with a doubling delay from
 * `firstDelayMs` up to `maxDelayMs`, until `signal` aborts (then resolves with null). Any other
 * failure is thrown at once. */
export async function openWithRetry<T>(
  open: () => Promise<T>,
  o: { signal: AbortSignal; firstDelayMs: number; maxDelayMs: number; retryable(error: unknown): boolean; onRetry?(error: unknown, delayMs: number): void },
): Promise<T | null> {
  let delay = o.firstDelayMs;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (!o.retryable(error)) throw error;
      if (o.signal.aborted) return null;
      o.onRetry?.(error, delay);
      await pause(delay, o.signal);
      if (o.signal.aborted) return null;
      delay = Math.min(delay * 2, o.maxDelayMs);
    }
  }
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
