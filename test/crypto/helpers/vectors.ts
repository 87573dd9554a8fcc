/**
 * Deterministic ring-signature test vectors: fixed key seeds, statement and hedge
 * randomness, so every backend must reproduce the same signature bytes.
 * `vectors/generate.ts` writes them to `vectors/lsag.json`; `vectors.test.ts` checks them.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import {
  bytesToHex,
  concatBytes,
  encodeSignature,
  escrowSign,
  hexToBytes,
  keyPairFromSeed,
  lsagSign,
  scopeBaseBytes,
  u32be,
  type EscrowStatement,
} from "../../../src/crypto/index.js";
import { text, type AnyBackend } from "./fixtures.js";

/** The inputs of one vector. */
export interface VectorCase {
  readonly name: string;
  readonly kind: "lsag" | "lsag-escrow";
  readonly ringSize: number;
  readonly signer: number;
  readonly groupId: string;
  readonly groupVersion: string;
  readonly lagId: string;
  readonly epoch: string;
  readonly message: string;
}

/** A vector as stored (all bytes hex, integers as decimal strings). */
export interface LsagVector extends VectorCase {
  readonly keySeeds: readonly string[];
  readonly ring: readonly string[];
  readonly caSeed: string;
  readonly caKey: string;
  readonly groupRoot: string;
  readonly messageHex: string;
  readonly randomness: string;
  readonly scopeBase: string;
  readonly keyImage: string;
  readonly signature: string;
}

/** The cases of `lsag.json`. */
export const VECTOR_CASES: readonly VectorCase[] = [
  { name: "plain-2", kind: "lsag", ringSize: 2, signer: 0, groupId: "fleet-1", groupVersion: "1", lagId: "lag-0001", epoch: "0", message: "m0" },
  { name: "plain-5", kind: "lsag", ringSize: 5, signer: 3, groupId: "fleet-1", groupVersion: "12", lagId: "lag-0001", epoch: "19500", message: "authenticate" },
  { name: "plain-16", kind: "lsag", ringSize: 16, signer: 15, groupId: "fleet-2", groupVersion: "18446744073709551615", lagId: "L", epoch: "18446744073709551615", message: "" },
  { name: "escrow-3", kind: "lsag-escrow", ringSize: 3, signer: 1, groupId: "fleet-1", groupVersion: "2", lagId: "lag-0002", epoch: "7", message: "roaming" },
  { name: "escrow-8", kind: "lsag-escrow", ringSize: 8, signer: 0, groupId: "fleet-3", groupVersion: "99", lagId: "lag-0003", epoch: "1234567890", message: "v2g discharge" },
];

const seedOf = (label: string): Uint8Array => sha256(text(label));

/** The statement of a stored vector. */
export function vectorStatement(v: Pick<LsagVector, "groupId" | "groupRoot" | "groupVersion" | "ring" | "lagId" | "epoch" | "messageHex" | "caKey">): EscrowStatement {
  return {
    group: { groupId: text(v.groupId), root: hexToBytes(v.groupRoot), version: BigInt(v.groupVersion) },
    ring: v.ring.map(hexToBytes),
    scope: { lagId: text(v.lagId), epoch: BigInt(v.epoch) },
    message: hexToBytes(v.messageHex),
    caKey: hexToBytes(v.caKey),
  };
}

/** Signs a case with the given backend. */
export function signVector(b: AnyBackend, c: VectorCase): LsagVector {
  const keySeeds = Array.from({ length: c.ringSize }, (_, i) => seedOf(`${c.name}/key/${i}`));
  const keys = keySeeds.map((seed) => keyPairFromSeed(b, seed));
  const caSeed = seedOf(`${c.name}/ca`);
  const stored = {
    ...c,
    keySeeds: keySeeds.map(bytesToHex),
    ring: keys.map((k) => bytesToHex(k.publicKey)),
    caSeed: bytesToHex(caSeed),
    caKey: bytesToHex(keyPairFromSeed(b, caSeed).publicKey),
    groupRoot: bytesToHex(sha256(concatBytes(text(c.groupId), u32be(Number(BigInt(c.groupVersion) % 1000n))))),
    messageHex: bytesToHex(text(c.message)),
    randomness: bytesToHex(seedOf(`${c.name}/randomness`)),
  };
  const statement = vectorStatement(stored);
  const secretKey = keys[c.signer]!.secretKey;
  const randomness = hexToBytes(stored.randomness);
  const signature =
    c.kind === "lsag"
      ? lsagSign(b, statement, secretKey, { randomness })
      : escrowSign(b, statement, secretKey, { randomness });
  return {
    ...stored,
    scopeBase: bytesToHex(scopeBaseBytes(b, statement.scope)),
    keyImage: bytesToHex(signature.keyImage),
    signature: bytesToHex(encodeSignature(signature)),
  };
}
