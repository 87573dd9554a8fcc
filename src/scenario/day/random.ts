/**
 * The day's one seeded generator: every random choice of a run (keys, nonces, which vehicle goes
 * where, who accepts a discharge request) is drawn from it, so one seed gives one day. A SHA-256
 * counter-mode stream: `bytes(n)` is the next n bytes of SHA-256(seed ‖ label ‖ counter) blocks.
 * Keys drawn from it are demonstration keys, reproducible by anyone who knows the seed.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes, Wallet } from "ethers";
import { DayError } from "./errors.js";

const encoder = new TextEncoder();

export class SeededRandom {
  private counter = 0;
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(
    readonly seed: number,
    private readonly label = "v2g-day",
  ) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new DayError("BAD_OPTION", "the seed must be an integer ≥ 0", { seed });
  }

  /** The next `length` bytes of the stream. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.buffer.length === 0) this.buffer = this.block();
      const take = Math.min(length - filled, this.buffer.length);
      out.set(this.buffer.subarray(0, take), filled);
      this.buffer = this.buffer.subarray(take);
      filled += take;
    }
    return out;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new DayError("BAD_OPTION", "int(n) needs an integer n ≥ 1", { n });
    // Rejection sampling on 48 bits keeps the draw unbiased.
    const limit = Math.floor(2 ** 48 / n) * n;
    for (;;) {
      const b = this.bytes(6);
      const x = b.reduce((acc, byte) => acc * 256 + byte, 0);
      if (x < limit) return x % n;
    }
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.int(1_000_000) < Math.round(p * 1_000_000);
  }

  /** A uniform number in [lo, hi), to 1e-6. */
  between(lo: number, hi: number): number {
    return lo + ((hi - lo) * this.int(1_000_000)) / 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new DayError("BAD_OPTION", "cannot pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** A wallet whose key is the next 32 bytes of the stream (re-drawn in the negligible case of an invalid scalar). */
  wallet(): Wallet {
    for (;;) {
      try {
        return new Wallet(`0x${Buffer.from(this.bytes(32)).toString("hex")}`);
      } catch {
        // not a valid secp256k1 scalar: draw again
      }
    }
  }

  /** A generator of its own for one party or phase: draws from it do not shift the others. */
  fork(label: string): SeededRandom {
    return new SeededRandom(this.seed, `${this.label}/${label}`);
  }

  private block(): Uint8Array {
    this.counter += 1;
    return sha256(encoder.encode(`${this.label}|${this.seed}|${this.counter}`));
  }
}

/**
 * Routes ethers' `randomBytes` (the nonces of every signed evidence message and certificate)
 * through `random` until the returned function is called. The run's own code is then
 * reproducible; outside a run, ethers' system source is back in place.
 */
export function seedEthersRandom(random: SeededRandom): () => void {
  randomBytes.register((length: number) => random.bytes(length));
  return () => randomBytes.register(randomBytes._);
}
