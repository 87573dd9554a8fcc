/** Shared fixtures of the crypto tests: backends, deterministic keys and statements, rejection helpers. */
import { expect } from "chai";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import {
  concatBytes,
  createNobleBackend,
  createSodiumBackend,
  CryptoInputError,
  keyPairFromSeed,
  u32be,
  type EscrowStatement,
  type GroupBackend,
  type KeyPair,
  type RandomSource,
} from "../../../src/crypto/index.js";

/** A backend of unknown point type (every suite runs over both). */
export type AnyBackend = GroupBackend<unknown>;

/** The two backends under test, created once. */
export interface Backends {
  readonly noble: AnyBackend;
  readonly sodium: AnyBackend;
}

let cached: Backends | undefined;

/** Both backends (libsodium's WebAssembly is loaded once). */
export async function loadBackends(): Promise<Backends> {
  cached ??= { noble: createNobleBackend() as AnyBackend, sodium: (await createSodiumBackend()) as AnyBackend };
  return cached;
}

/** The names every suite loops over. */
export const BACKEND_NAMES = ["sodium", "noble"] as const;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A deterministic byte stream: SHA-512(label ‖ counter) blocks. */
export function seededRandom(label: string): RandomSource {
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (length: number) => {
    while (pool.length < length) pool = concatBytes(pool, sha512(concatBytes(text(label), u32be(counter++))));
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}

/** `n` key pairs derived from a label. */
export function ringKeys(b: AnyBackend, n: number, label: string): KeyPair[] {
  return Array.from({ length: n }, (_, i) => keyPairFromSeed(b, sha256(concatBytes(text(label), u32be(i)))));
}

/** A full escrow statement (also usable as a plain one) over the given ring. */
export function statementFor(
  ring: readonly Uint8Array[],
  caKey: Uint8Array,
  overrides: Partial<EscrowStatement> = {},
): EscrowStatement {
  return {
    group: { groupId: text("group-A"), root: sha256(text("root-A")), version: 7n },
    ring,
    scope: { lagId: text("lag-A"), epoch: 42n },
    message: text("challenge+context"),
    caKey,
    ...overrides,
  };
}

/** Returns a copy of `bytes` with bit `bit` flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

/** Outcome of a check that must reject: `false` or a typed input error, never anything else. */
export type Rejection = "false" | "typed";

/** Runs `check`; fails the test unless it returned false or threw a `CryptoInputError`. */
export function expectRejected(check: () => boolean): Rejection {
  let result: boolean;
  try {
    result = check();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(CryptoInputError);
    return "typed";
  }
  expect(result).to.equal(false);
  return "false";
}

/** Runs `fn` and returns the `CryptoInputError` it throws (fails otherwise). */
export function inputError(fn: () => unknown): CryptoInputError {
  try {
    fn();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(CryptoInputError);
    return error as CryptoInputError;
  }
  expect.fail("expected a CryptoInputError");
}

/** ASCII bytes. */
export { text };
