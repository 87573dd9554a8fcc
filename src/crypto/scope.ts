/**
 * Scopes of linkability and key images.
 *
 *   B = Hp("v2g/keyimage", [u16be(|LAG id|) ‖ LAG id ‖ u64be(epoch)])      I = x·B
 *
 * Same key and same scope give the same I (linkable within the scope); different
 * scopes give independent bases, and images under them are unlinkable under DDH.
 */
import type { GroupBackend } from "./backend.js";
import { bytesToHex } from "./bytes.js";
import { encodeScope, type Scope } from "./encoding.js";
import { CryptoFailureError } from "./errors.js";
import { hashToGroup } from "./hash.js";
import { LruCache } from "./lru.js";
import { assertScalar } from "./scalar.js";
import { TAGS } from "./tags.js";

/** Encodings of recent scope bases, per backend (hash-to-group is then paid once per scope). */
const baseEncodings = new LruCache<string, Uint8Array>(256);

/** The encoding of B = Hp("v2g/keyimage", scope). Throws `CryptoInputError` for a malformed scope. */
export function scopeBaseBytes<P>(backend: GroupBackend<P>, scope: Scope): Uint8Array {
  const scopeBytes = encodeScope(scope);
  const key = `${backend.name}:${bytesToHex(scopeBytes)}`;
  const hit = baseEncodings.get(key);
  if (hit !== undefined) return hit.slice();
  const base = hashToGroup(backend, TAGS.keyImage, [scopeBytes]);
  // Probability 2^-252; checked because the identity would make every image equal.
  if (backend.isIdentity(base)) throw new CryptoFailureError("BACKEND_FAILURE", "scope hashed to the identity");
  const encoded = backend.encode(base).slice();
  baseEncodings.set(key, encoded);
  return encoded.slice();
}

/** B as a backend point, prepared for reuse across every signature of the scope. */
export function scopeBase<P>(backend: GroupBackend<P>, scope: Scope): P {
  return backend.decode(scopeBaseBytes(backend, scope), "scope", "scope base");
}

/** The key image I = x·B of a secret key in a scope (constant-time). */
export function keyImageOf<P>(backend: GroupBackend<P>, secretKey: Uint8Array, scope: Scope): Uint8Array {
  assertScalar(secretKey, "secretKey");
  return backend.encode(backend.mul(secretKey, scopeBase(backend, scope)));
}
