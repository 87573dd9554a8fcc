/**
 * The simulated day's clock. Every `at` of the report and every signed time of the day's
 * evidence comes from here, never from the wall clock; `syncChain` moves the chain's clock to it
 * (the next block's timestamp), so on-chain windows and deadlines follow the day.
 */
import type { DayChain } from "./world.js";

export const SLOT_SECONDS = 900;
export const SLOTS = 96;

/** The first second of the simulated day (UTC midnight of a fixed date, ahead of any node's clock). */
export const DAY_START = BigInt(Date.UTC(2030, 5, 3) / 1000);

export class DayClock {
  private current: bigint;

  constructor(readonly dayStart: bigint = DAY_START) {
    this.current = dayStart;
  }

  get now(): bigint {
    return this.current;
  }

  /** Seconds into the day. */
  get offset(): number {
    return Number(this.current - this.dayStart);
  }

  /** The start of slot `slot` of the day. */
  slotStart(slot: number): bigint {
    return this.dayStart + BigInt(slot * SLOT_SECONDS);
  }

  /** Moves the clock forward to `at` (never back). */
  set(at: bigint): bigint {
    if (at > this.current) this.current = at;
    return this.current;
  }

  advance(seconds: number): bigint {
    return this.set(this.current + BigInt(seconds));
  }

  iso(at: bigint = this.current): string {
    return new Date(Number(at) * 1000).toISOString();
  }

  /** The set-up (deployment, registration) happens in the hour before the day starts. */
  get setUpAt(): bigint {
    return this.dayStart - 3_600n;
  }

  /**
   * Mines a block at the day's clock (or at `at`) if the chain is behind it (a node's clock runs on with the
   * wall clock between blocks, a few seconds at most: the day's clock is never moved by it).
   */
  async syncChain(chain: DayChain, at: bigint = this.current): Promise<void> {
    const latest = await chain.provider.getBlock("latest");
    if (latest !== null && BigInt(latest.timestamp) >= at) return;
    await chain.provider.send("evm_setNextBlockTimestamp", [Number(at)]);
    await chain.provider.send("evm_mine", []);
  }
}
