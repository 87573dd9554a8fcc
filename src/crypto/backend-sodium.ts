/**
 * Fast backend: ristretto255 from libsodium compiled to WebAssembly
 * (`libsodium-wrappers-sumo`). Points are validated 32-byte encodings; every
 * libsodium operation is constant-time, and it has no tables to cache, so the
 * public and secret variants are the same calls.
 *
 * libsodium's `crypto_core_ristretto255_is_valid_point` accepts the identity and its
 * multiplications refuse a zero scalar; both are checked here before calling it,
 * so this backend rejects exactly what the noble backend rejects.
 */
import sodium from "libsodium-wrappers-sumo";
import { checkPointEncoding, invalidPoint, type GroupBackend, type Reuse } from "./backend.js";
import { assertBytes, bytesToHex, isAllZero } from "./bytes.js";
import { CryptoFailureError, CryptoInputError } from "./errors.js";
import { LruCache } from "./lru.js";
import { isCanonicalScalar, WIDE_SCALAR_BYTES } from "./scalar.js";

type Sodium = typeof sodium;

class SodiumBackend implements GroupBackend<Uint8Array> {
  readonly name = "sodium";
  /** Long-lived encodings already validated (members, keys, scope bases): skips a square root per use. */
  private readonly validated = new LruCache<string, true>(1024);

  constructor(private readonly na: Sodium) {}

  decode(bytes: Uint8Array, reuse: Reuse = 1, name = "point"): Uint8Array {
    checkPointEncoding(bytes, name);
    if (typeof reuse === "number") {
      if (!this.na.crypto_core_ristretto255_is_valid_point(bytes)) throw invalidPoint(name);
      return bytes.slice();
    }
    const hex = bytesToHex(bytes);
    if (this.validated.get(hex) === undefined) {
      if (!this.na.crypto_core_ristretto255_is_valid_point(bytes)) throw invalidPoint(name);
      this.validated.set(hex, true);
    }
    return bytes.slice();
  }

  encode(point: Uint8Array): Uint8Array {
    return point;
  }

  isIdentity(point: Uint8Array): boolean {
    return isAllZero(point);
  }

  add(a: Uint8Array, b: Uint8Array): Uint8Array {
    return this.na.crypto_core_ristretto255_add(a, b);
  }

  sub(a: Uint8Array, b: Uint8Array): Uint8Array {
    return this.na.crypto_core_ristretto255_sub(a, b);
  }

  mul(k: Uint8Array, point: Uint8Array): Uint8Array {
    checkMultiplier(k);
    try {
      return this.na.crypto_scalarmult_ristretto255(k, point);
    } catch (cause) {
      throw new CryptoFailureError("BACKEND_FAILURE", "libsodium scalar multiplication failed", { cause });
    }
  }

  mulBase(k: Uint8Array): Uint8Array {
    checkMultiplier(k);
    try {
      return this.na.crypto_scalarmult_ristretto255_base(k);
    } catch (cause) {
      throw new CryptoFailureError("BACKEND_FAILURE", "libsodium base multiplication failed", { cause });
    }
  }

  mulPublic(k: Uint8Array, point: Uint8Array): Uint8Array {
    return this.mul(k, point);
  }

  mulBasePublic(k: Uint8Array): Uint8Array {
    return this.mulBase(k);
  }

  mulAddPublic(a: Uint8Array, p: Uint8Array, b: Uint8Array, q: Uint8Array): Uint8Array {
    return this.add(this.mul(a, p), this.mul(b, q));
  }

  mulBaseAddPublic(a: Uint8Array, b: Uint8Array, q: Uint8Array): Uint8Array {
    return this.add(this.mulBase(a), this.mul(b, q));
  }

  fromUniform(uniform: Uint8Array): Uint8Array {
    assertBytes(uniform, "uniform bytes", 64);
    return this.na.crypto_core_ristretto255_from_hash(uniform);
  }

  prepare(point: Uint8Array): Uint8Array {
    return point;
  }

  scalarReduceWide(bytes: Uint8Array): Uint8Array {
    assertBytes(bytes, "wide scalar", WIDE_SCALAR_BYTES);
    return this.na.crypto_core_ristretto255_scalar_reduce(bytes);
  }

  scalarAdd(a: Uint8Array, b: Uint8Array): Uint8Array {
    return this.na.crypto_core_ristretto255_scalar_add(a, b);
  }

  scalarSub(a: Uint8Array, b: Uint8Array): Uint8Array {
    return this.na.crypto_core_ristretto255_scalar_sub(a, b);
  }

  scalarMul(a: Uint8Array, b: Uint8Array): Uint8Array {
    return this.na.crypto_core_ristretto255_scalar_mul(a, b);
  }
}

function checkMultiplier(k: Uint8Array): void {
  if (isAllZero(k)) throw new CryptoInputError("ZERO_SCALAR", "scalar multiplier must not be zero");
  if (!isCanonicalScalar(k)) throw new CryptoInputError("NON_CANONICAL_SCALAR", "scalar multiplier must be < ℓ");
}

/** Loads libsodium's WebAssembly (once per process) and returns the fast backend. */
export async function createSodiumBackend(): Promise<GroupBackend<Uint8Array>> {
  await sodium.ready;
  return new SodiumBackend(sodium);
}
