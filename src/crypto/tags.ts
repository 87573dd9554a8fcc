/**
 * Domain-separation tags: one per use, never reused across contexts.
 * Every hash in this layer is computed over `frame(tag, items)` (see `encoding.ts`);
 * hash-to-group additionally uses the RFC 9380 DST given by `hashToGroupDst(tag)`.
 */
export const TAGS = {
  /** Hp: base of key images, B = Hp(keyImage, scope). */
  keyImage: "v2g/keyimage",
  /** Hs: ring challenge of plain bLSAG. */
  lsagChallenge: "v2g/lsag/c",
  /** Hs: ring challenge of bLSAG with identity escrow. */
  escrowChallenge: "v2g/lsag-escrow/c",
  /** SHA-512: hedged nonce seed of plain bLSAG. */
  lsagNonce: "v2g/lsag/nonce",
  /** SHA-512: hedged nonce seed of bLSAG with escrow. */
  escrowNonce: "v2g/lsag-escrow/nonce",
  /** SHA-512: hedged ElGamal randomness r of the escrow. */
  escrowRandomness: "v2g/lsag-escrow/r",
  /** SHA-512: expansion of a nonce seed into individual scalars. */
  nonceExpand: "v2g/nonce/expand",
  /** SHA-512: secret key from a seed. */
  keygen: "v2g/keygen",
  /** Hs: challenge of a CA permit signature (Schnorr). */
  permitChallenge: "v2g/permit/c",
  /** SHA-512: hedged nonce of a CA permit signature. */
  permitNonce: "v2g/permit/nonce",
  /** SHA-256: session transcript hash. */
  sessionTranscript: "v2g/session/transcript",
  /** HKDF info: session key. */
  sessionKey: "v2g/session/key",
  /** Encoding of the signed authentication message m. */
  authMessage: "v2g/auth/message",
  /** HMAC input: authentication operator. */
  authOperator: "v2g/auth/operator",
  /** HKDF info: envelope key and nonce. */
  envelopeKey: "v2g/envelope/key",
  /** HKDF salt: envelope. */
  envelopeSalt: "v2g/envelope/salt",
  /** SHA-512: hedged ephemeral secret of an envelope. */
  envelopeEphemeral: "v2g/envelope/ephemeral",
  /** Encoding of the associated data of an envelope. */
  envelopeAad: "v2g/envelope/aad",
} as const;

/** A tag of this layer. */
export type Tag = (typeof TAGS)[keyof typeof TAGS];

/** Suite identifier of RFC 9380/RFC 9496 hash_to_ristretto255 with SHA-512. */
export const HASH_TO_GROUP_SUITE = "ristretto255_XMD:SHA-512_R255MAP_RO_";

/**
 * RFC 9380 domain-separation tag for hash-to-group under `tag`, in the
 * recommended `<application>-V<xx>-CS<yy>-with-<suite ID>` form.
 */
export function hashToGroupDst(tag: string): string {
  return `${tag}-V01-CS01-with-${HASH_TO_GROUP_SUITE}`;
}
