/**
 * Fixed-base tables for variable-time multiplication in the noble backend
 * (verification only: the walk branches on the scalar's digits).
 *
 * For a point P and window W the table holds, for every window w of the scalar,
 * the multiples j·2^(w·W)·P for j = 1..2^(W−1). A product k·P is then at most
 * ⌈253/W⌉+1 additions: k is recoded into signed digits in [−2^(W−1)+1, 2^(W−1)]
 * and each non-zero digit adds one entry (negated if needed). Entries stay in
 * projective form: normalising them to Z = 1 made walks only ~5% faster here but
 * doubled the build time, which matters for per-signature tables.
 */
import { ristretto255 } from "@noble/curves/ed25519.js";

/** A noble ristretto255 point. */
type Point = InstanceType<typeof ristretto255.Point>;

const SCALAR_BITS = 253;

/** A precomputed table of one point. */
export class FixedBaseTable {
  private constructor(
    private readonly window: number,
    private readonly windows: number,
    private readonly entries: readonly Point[],
  ) {}

  /** Builds the table of `point` (≈ (⌈253/W⌉+1)·2^(W−1) additions). */
  static build(point: Point, window: number): FixedBaseTable {
    const windows = Math.ceil(SCALAR_BITS / window) + 1;
    const half = 2 ** (window - 1);
    const raw: Point[] = [];
    let base = point;
    for (let w = 0; w < windows; w++) {
      let acc = base;
      for (let j = 0; j < half; j++) {
        raw.push(acc);
        acc = acc.add(base);
      }
      // next window's base: 2 · (2^(W−1) · base) = 2^W · base
      base = (raw[raw.length - 1] as Point).double();
    }
    return new FixedBaseTable(window, windows, raw);
  }

  /** k·P for 0 < k < 2^253, variable time. */
  multiply(k: bigint): Point {
    const size = 2 ** this.window;
    const half = size / 2;
    const mask = BigInt(size - 1);
    const shift = BigInt(this.window);
    let n = k;
    let acc: Point | undefined;
    for (let w = 0; w < this.windows; w++) {
      let digit = Number(n & mask);
      n >>= shift;
      if (digit > half) {
        digit -= size;
        n += 1n;
      }
      if (digit === 0) continue;
      const entry = this.entries[w * half + Math.abs(digit) - 1] as Point;
      const term = digit > 0 ? entry : entry.negate();
      acc = acc === undefined ? term : acc.add(term);
    }
    if (n !== 0n) throw new RangeError("scalar exceeds the table");
    return acc ?? ristretto255.Point.ZERO;
  }
}
