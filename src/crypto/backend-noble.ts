/**
 * Reference backend: ristretto255 from `@noble/curves` (pure JavaScript).
 *
 * Speed comes from precomputed fixed-window tables, kept for every base that
 * outlives one step: G (window 10 for verification, 8 for signing), long-lived keys
 * such as Y (window 8), scope bases (window 8), ring
 * members of a group version (window 5, LRU-cached by encoding), and per-call tables
 * for points used many times in one signature (key image, escrow ciphertext).
 * Signing multiplies with noble's `multiply`, which walks noble's own tables with a
 * data-oblivious lookup (or a fixed-window ladder without a table): constant-time.
 * Verification, on public data only, walks our variable-time tables (`noble-table.ts`).
 */
import { ristretto255, ristretto255_hasher } from "@noble/curves/ed25519.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { checkPointEncoding, invalidPoint, type GroupBackend, type Reuse } from "./backend.js";
import { assertBytes } from "./bytes.js";
import { CryptoFailureError, CryptoInputError } from "./errors.js";
import { LruCache } from "./lru.js";
import { FixedBaseTable } from "./noble-table.js";
import { GROUP_ORDER, reduceWide, scalarFromBigint, scalarToBigint, WIDE_SCALAR_BYTES } from "./scalar.js";

/** A ristretto255 element of the noble backend. */
export type NoblePoint = InstanceType<typeof ristretto255.Point>;

const RistrettoPoint = ristretto255.Point;

/** Tuning of the noble backend's precomputation. */
export interface NobleBackendOptions {
  /** Window of G in verification (default 10: 27 additions per multiply, 13,824 cached points). */
  readonly baseWindow?: number;
  /** Window of `"fixed"` points, and of G in signing (default 8: 33 additions per multiply). */
  readonly fixedWindow?: number;
  /** Window of scope bases (default 8). */
  readonly scopeWindow?: number;
  /** Window of ring members (default 5: 832 cached points per member). */
  readonly memberWindow?: number;
  /** Capacity of the cache of `"fixed"` points (default 16). */
  readonly fixedCacheSize?: number;
  /** Capacity of the cache of scope bases (default 64). */
  readonly scopeCacheSize?: number;
  /** Capacity of the cache of ring members (default 256). */
  readonly memberCacheSize?: number;
}

/**
 * Window size for a point multiplied `uses` times in one call (0: no table).
 * Cost model in point additions: building a width-W table costs (⌈253/W⌉+1)·2^(W−1),
 * each multiply ⌈253/W⌉+1, a multiply without table ≈ 350.
 */
export function windowForUses(uses: number): number {
  if (uses <= 2) return 0;
  if (uses <= 40) return 4;
  if (uses <= 100) return 5;
  return 6;
}

class NobleBackend implements GroupBackend<NoblePoint> {
  readonly name = "noble";
  private readonly G: NoblePoint;
  private readonly windows: { readonly fixed: number; readonly scope: number; readonly member: number };
  private readonly caches: { readonly [K in "fixed" | "scope" | "member"]: LruCache<string, NoblePoint> };
  /** Window chosen for each point (0: none). Never re-precompute a point: that would drop its table. */
  private readonly windowOf = new WeakMap<NoblePoint, number>();
  /** Variable-time tables of verification, built on first use. */
  private readonly tables = new WeakMap<NoblePoint, FixedBaseTable>();

  constructor(options: NobleBackendOptions) {
    this.windows = {
      fixed: options.fixedWindow ?? 8,
      scope: options.scopeWindow ?? 8,
      member: options.memberWindow ?? 5,
    };
    this.caches = {
      fixed: new LruCache(options.fixedCacheSize ?? 16),
      scope: new LruCache(options.scopeCacheSize ?? 64),
      member: new LruCache(options.memberCacheSize ?? 256),
    };
    // A copy of the generator, so its table is ours and not the library-wide one.
    this.G = this.withWindow(RistrettoPoint.fromBytes(RistrettoPoint.BASE.toBytes()), this.windows.fixed);
    this.windowOf.set(this.G, options.baseWindow ?? 10);
  }

  decode(bytes: Uint8Array, reuse: Reuse = 1, name = "point"): NoblePoint {
    checkPointEncoding(bytes, name);
    if (typeof reuse === "number") {
      const hex = bytesToHex(bytes);
      const cached = this.caches.member.peek(hex) ?? this.caches.fixed.peek(hex) ?? this.caches.scope.peek(hex);
      return cached ?? this.prepare(this.decodeRaw(bytes, name), reuse);
    }
    const cache = this.caches[reuse];
    const hex = bytesToHex(bytes);
    const hit = cache.get(hex);
    if (hit !== undefined) return hit;
    const point = this.withWindow(this.decodeRaw(bytes, name), this.windows[reuse], reuse !== "member");
    cache.set(hex, point);
    return point;
  }

  private decodeRaw(bytes: Uint8Array, name: string): NoblePoint {
    let point: NoblePoint;
    try {
      point = RistrettoPoint.fromBytes(bytes);
    } catch (cause) {
      throw invalidPoint(name, cause);
    }
    if (point.is0()) throw new CryptoInputError("IDENTITY_POINT", `${name} is the identity element`);
    return point;
  }

  /**
   * Records the window of a point. Our variable-time table is built on the first
   * verification use; with `forSigning`, noble's constant-time table for `multiply` is
   * also enabled (built lazily on the first signing use). Ring members skip it: a
   * signer multiplies each member once per signature, where a table never pays.
   */
  private withWindow(point: NoblePoint, window: number, forSigning = true): NoblePoint {
    if (window > 0 && forSigning) point.precompute(window, true);
    this.windowOf.set(point, window);
    return point;
  }

  /** Variable-time k·P: our table walk when P has a window, noble's one-shot wNAF otherwise. */
  private vartime(k: Uint8Array, point: NoblePoint): NoblePoint {
    const n = nonZero(k);
    const window = this.windowOf.get(point) ?? 0;
    if (window === 0) return point.multiplyUnsafe(n);
    let table = this.tables.get(point);
    if (table === undefined) {
      table = FixedBaseTable.build(point, window);
      this.tables.set(point, table);
    }
    return table.multiply(n);
  }

  encode(point: NoblePoint): Uint8Array {
    return point.toBytes();
  }

  isIdentity(point: NoblePoint): boolean {
    return point.is0();
  }

  add(a: NoblePoint, b: NoblePoint): NoblePoint {
    return a.add(b);
  }

  sub(a: NoblePoint, b: NoblePoint): NoblePoint {
    return a.subtract(b);
  }

  mul(k: Uint8Array, point: NoblePoint): NoblePoint {
    return point.multiply(nonZero(k));
  }

  mulBase(k: Uint8Array): NoblePoint {
    return this.G.multiply(nonZero(k));
  }

  mulPublic(k: Uint8Array, point: NoblePoint): NoblePoint {
    return this.vartime(k, point);
  }

  mulBasePublic(k: Uint8Array): NoblePoint {
    return this.vartime(k, this.G);
  }

  mulAddPublic(a: Uint8Array, p: NoblePoint, b: Uint8Array, q: NoblePoint): NoblePoint {
    return this.vartime(a, p).add(this.vartime(b, q));
  }

  mulBaseAddPublic(a: Uint8Array, b: Uint8Array, q: NoblePoint): NoblePoint {
    return this.vartime(a, this.G).add(this.vartime(b, q));
  }

  fromUniform(uniform: Uint8Array): NoblePoint {
    assertBytes(uniform, "uniform bytes", 64);
    const derive = ristretto255_hasher.deriveToCurve;
    if (derive === undefined) throw new CryptoFailureError("BACKEND_FAILURE", "noble lacks the RFC 9496 one-way map");
    return derive(uniform);
  }

  prepare(point: NoblePoint, reuse: Reuse): NoblePoint {
    if (this.windowOf.has(point) || point.is0()) return point;
    if (typeof reuse === "number") return this.withWindow(point, windowForUses(reuse));
    const hex = bytesToHex(point.toBytes());
    const cache = this.caches[reuse];
    const hit = cache.get(hex);
    if (hit !== undefined) return hit;
    const prepared = this.withWindow(point, this.windows[reuse], reuse !== "member");
    cache.set(hex, prepared);
    return prepared;
  }

  scalarReduceWide(bytes: Uint8Array): Uint8Array {
    assertBytes(bytes, "wide scalar", WIDE_SCALAR_BYTES);
    return reduceWide(bytes);
  }

  scalarAdd(a: Uint8Array, b: Uint8Array): Uint8Array {
    return scalarFromBigint((scalarToBigint(a) + scalarToBigint(b)) % GROUP_ORDER);
  }

  scalarSub(a: Uint8Array, b: Uint8Array): Uint8Array {
    return scalarFromBigint((scalarToBigint(a) - scalarToBigint(b) + GROUP_ORDER) % GROUP_ORDER);
  }

  scalarMul(a: Uint8Array, b: Uint8Array): Uint8Array {
    return scalarFromBigint((scalarToBigint(a) * scalarToBigint(b)) % GROUP_ORDER);
  }
}

function nonZero(k: Uint8Array): bigint {
  const n = scalarToBigint(k);
  if (n === 0n) throw new CryptoInputError("ZERO_SCALAR", "scalar multiplier must not be zero");
  if (n >= GROUP_ORDER) throw new CryptoInputError("NON_CANONICAL_SCALAR", "scalar multiplier must be < ℓ");
  return n;
}

/** Creates the reference backend (synchronous: no WebAssembly to load). */
export function createNobleBackend(options: NobleBackendOptions = {}): GroupBackend<NoblePoint> {
  return new NobleBackend(options);
}
