/**
 * Token buckets for per-message rate limits: a bucket holds at most `burst` tokens and gains
 * `perSecond` tokens a second; each message takes one. `AddressBuckets` keeps one bucket per
 * client address, at most `maxAddresses` of them (full buckets are forgotten first, since a
 * forgotten bucket comes back full; beyond that the address that waited longest is forgotten).
 */
import { ProtocolError } from "../protocol/index.js";

/** A rate: `perSecond` on average, up to `burst` at once. */
export interface Rate {
  readonly perSecond: number;
  readonly burst: number;
}

/** Checks a rate's values (`INVALID_CONFIG`). */
export function checkRate(rate: Rate, what: string): Rate {
  if (!(Number.isFinite(rate.perSecond) && rate.perSecond > 0) || !Number.isInteger(rate.burst) || rate.burst < 1) {
    throw new ProtocolError("INVALID_CONFIG", `${what}: perSecond must be > 0 and burst an integer ≥ 1`);
  }
  return rate;
}

/** One bucket. `now` is in milliseconds (a monotonic clock). */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: Rate,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.at) * this.rate.perSecond) / 1000);
      this.at = now;
    }
  }

  /** Takes one token; false when the bucket is empty. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket would be full at `now` (forgetting it changes nothing). */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.rate.burst;
  }
}

/** One bucket per client address, bounded in number. */
export class AddressBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: Rate,
    private readonly maxAddresses = 65_536,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token of `address`'s bucket; false when it is empty. */
  take(address: string, now: number): boolean {
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxAddresses) this.evict(now);
      bucket = new TokenBucket(this.rate, now);
    } else this.buckets.delete(address); // re-inserted below: the map stays in order of last use
    this.buckets.set(address, bucket);
    return bucket.take(now);
  }

  private evict(now: number): void {
    for (const [address, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(address);
    if (this.buckets.size >= this.maxAddresses) {
      const oldest = this.buckets.keys().next();
      if (oldest.done !== true) this.buckets.delete(oldest.value);
    }
  }
}
