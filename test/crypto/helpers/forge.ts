/**
 * A dishonest signer for the escrow tests: it runs the real ring walk with its own
 * key at its own index, but puts into the escrow an arbitrary public key encrypted
 * under an arbitrary CA key. A sound proof must make every such signature fail.
 */
import { sha512 } from "@noble/hashes/sha2.js";
import {
  encodeFixedList,
  encodeGroupItems,
  scopeBaseBytes,
  type EscrowSignature,
  type EscrowStatement,
} from "../../../src/crypto/index.js";
import { escrowChallengeHasher } from "../../../src/crypto/lsag-escrow.js";
import { NonceStream, signWalk } from "../../../src/crypto/lsag-core.js";
import type { AnyBackend } from "./fixtures.js";

/** Signs with `secretKey` at `index` but escrows `escrowedKey` under `escrowCaKey`. */
export function forgeEscrow(
  b: AnyBackend,
  statement: EscrowStatement,
  secretKey: Uint8Array,
  index: number,
  escrowedKey: Uint8Array,
  escrowCaKey: Uint8Array,
): EscrowSignature {
  const n = statement.ring.length;
  const members = statement.ring.map((m) => b.decode(m));
  const Y = b.decode(statement.caKey, "fixed");
  const baseBytes = scopeBaseBytes(b, statement.scope);
  const B = b.decode(baseBytes, n);
  const image = b.mul(secretKey, B);
  const keyImage = b.encode(image).slice();
  const r = b.scalarReduceWide(sha512(Uint8Array.of(1, 2, 3)));
  const E1 = b.mulBase(r);
  const E2 = b.add(b.decode(escrowedKey), b.mul(r, b.decode(escrowCaKey)));
  const e1 = b.encode(E1).slice();
  const e2 = b.encode(E2).slice();
  const hasher = escrowChallengeHasher(
    encodeGroupItems(statement.group),
    statement.caKey,
    encodeFixedList(statement.ring, 32),
    baseBytes,
    keyImage,
    e1,
    e2,
    statement.message,
  );
  const walk = signWalk(
    b,
    { members, B, I: image, escrow: { Y, E1, E2 }, hasher },
    { index, x: secretKey, r },
    new NonceStream(b, sha512(Uint8Array.of(4, 5, 6))),
  );
  if (walk === undefined) throw new Error("forger walk failed");
  return { kind: "lsag-escrow", c1: walk.c1, s: walk.s, t: walk.t, keyImage, e1, e2 };
}
