/**
 * Hand-built authentication responses for attack tests: a vehicle that answers one challenge
 * with a ring signature made for another (scope/LAG transplant), with a tampered escrow, or with
 * a dishonest escrow of somebody else's key. The operator is always computed correctly, so the
 * LAG's refusal can only come from the ring-signature check.
 */
import { sha512 } from "@noble/hashes/sha2.js";
import {
  authOperator,
  decodePermit,
  encodeFixedList,
  encodeGroupItems,
  encodeSignature,
  escrowSign,
  generateKeyPair,
  scopeBaseBytes,
  transcriptHash,
  vehicleSessionKey,
  type EscrowSignature,
  type EscrowStatement,
  type KeyPair,
} from "../../../src/crypto/index.js";
import { escrowChallengeHasher } from "../../../src/crypto/lsag-escrow.js";
import { NonceStream, signWalk } from "../../../src/crypto/lsag-core.js";
import {
  AUTH_LABELS,
  authStatement,
  decodeMessage,
  encodeMessage,
  roleCode,
  withoutOperator,
  type Backend,
  type MessageOf,
} from "../../../src/protocol/index.js";
import type { World } from "./world.js";

export interface ManualOptions {
  /** Sign the statement of this challenge instead of the one answered. */
  readonly signFor?: Uint8Array;
  /** Change the signature before sending. */
  readonly tamper?: (signature: EscrowSignature, statement: EscrowStatement) => EscrowSignature;
}

/** Vehicle `i` answers `challengeBytes` by hand. */
export function manualResponse(world: World, i: number, challengeBytes: Uint8Array, options: ManualOptions = {}): Uint8Array {
  const b = world.b;
  const credential = world.vehicles[i]!.credential;
  const challenge = decodeMessage("AuthChallenge", challengeBytes);
  const signed = decodeMessage("AuthChallenge", options.signFor ?? challengeBytes);
  const ephemeral = generateKeyPair(b);
  const fields: MessageOf<"AuthResponse"> = {
    sessionId: challenge.sessionId,
    role: roleCode(credential.role),
    groupId: credential.groupId,
    groupVersion: credential.groupVersion,
    timestamp: world.clock.now,
    ephemeralKey: ephemeral.publicKey,
    ring: [...credential.ring],
    signature: new Uint8Array(0),
    operator: new Uint8Array(32),
  };
  const statement = authStatement(signed, fields, credential.root, world.ca.publicKeys.escrowKey);
  let signature = escrowSign(b, statement, credential.keys.secretKey);
  if (options.tamper) signature = options.tamper(signature, statement);
  const response = encodeMessage("AuthResponse", { ...fields, signature: encodeSignature(signature) });
  const transcript = [challengeBytes, withoutOperator(response)];
  const permit = decodePermit(challenge.permit);
  const key = vehicleSessionKey(b, {
    ephemeral,
    lagEphemeralKey: challenge.lagEphemeralKey,
    lagStaticKey: permit.aggregatorKey,
    transcriptHash: transcriptHash(transcript),
  });
  response.set(authOperator(key, AUTH_LABELS.response, transcript), response.length - 32);
  return response;
}

/**
 * A dishonest signer: runs the real ring walk with its own key at its own index but escrows
 * `escrowedKey` instead of its own. A sound proof makes it fail verification.
 */
export function dishonestEscrow(b: Backend, statement: EscrowStatement, signer: KeyPair, escrowedKey: Uint8Array): EscrowSignature {
  const n = statement.ring.length;
  const index = statement.ring.findIndex((m) => Buffer.from(m).equals(Buffer.from(signer.publicKey)));
  const members = statement.ring.map((m) => b.decode(m));
  const Y = b.decode(statement.caKey, "fixed");
  const baseBytes = scopeBaseBytes(b, statement.scope);
  const B = b.decode(baseBytes, n);
  const keyImage = b.encode(b.mul(signer.secretKey, B)).slice();
  const r = b.scalarReduceWide(sha512(Uint8Array.of(7, 7, 7)));
  const e1 = b.encode(b.mulBase(r)).slice();
  const e2 = b.encode(b.add(b.decode(escrowedKey), b.mul(r, Y))).slice();
  const hasher = escrowChallengeHasher(encodeGroupItems(statement.group), statement.caKey, encodeFixedList(statement.ring, 32), baseBytes, keyImage, e1, e2, statement.message);
  const walk = signWalk(
    b,
    { members, B, I: b.decode(keyImage, n), escrow: { Y, E1: b.decode(e1, n), E2: b.decode(e2, n) }, hasher },
    { index, x: signer.secretKey, r },
    new NonceStream(b, sha512(Uint8Array.of(9))),
  );
  if (walk === undefined) throw new Error("walk failed");
  return { kind: "lsag-escrow", c1: walk.c1, s: walk.s, t: walk.t, keyImage, e1, e2 };
}
