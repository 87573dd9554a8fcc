/** Cryptography of anonymous, context-aware vehicle authentication. See docs/crypto.md. */
export * from "./errors.js";
export {
  assertBytes,
  bytesToHex,
  concatBytes,
  ctEqual,
  hexToBytes,
  systemRandom,
  u16be,
  u32be,
  u64be,
  type RandomSource,
} from "./bytes.js";
export {
  encodeFixedList,
  encodeGroupItems,
  encodeScope,
  frame,
  GROUP_ID_MAX_BYTES,
  LAG_ID_MAX_BYTES,
  type GroupContext,
  type Scope,
} from "./encoding.js";
export { HASH_TO_GROUP_SUITE, hashToGroupDst, TAGS, type Tag } from "./tags.js";
export {
  assertScalar,
  GROUP_ORDER,
  isCanonicalScalar,
  reduceWide,
  SCALAR_BYTES,
  scalarFromBigint,
  scalarToBigint,
} from "./scalar.js";
export { hashToGroup, hashToScalar, hashToUniform, Hp, Hs, PrefixedScalarHasher, taggedSha512 } from "./hash.js";
export { checkPointEncoding, POINT_BYTES, type GroupBackend, type Reuse } from "./backend.js";
export { createNobleBackend, windowForUses, type NobleBackendOptions, type NoblePoint } from "./backend-noble.js";
export { createSodiumBackend } from "./backend-sodium.js";
export { generateKeyPair, KEY_SEED_BYTES, keyPairFromSeed, publicKeyOf, type KeyPair } from "./keys.js";
export { keyImageOf, scopeBase, scopeBaseBytes } from "./scope.js";
export {
  checkRing,
  MAX_MESSAGE_BYTES,
  MAX_RING_SIZE,
  MIN_RING_SIZE,
  ringSizeBound,
  type EscrowStatement,
  type RingLimits,
  type RingStatement,
} from "./ring.js";
export type { EscrowSignature, LsagSignature, RingSignature } from "./signature.js";
export type { HedgeOptions } from "./lsag-core.js";
export { lsagSign, lsagVerify, type LsagSignOptions } from "./lsag.js";
export { escrowOpen, escrowOpenVerified, escrowSign, escrowVerify, type EscrowSignOptions } from "./lsag-escrow.js";
export {
  decodeEscrowSignature,
  decodeLsagSignature,
  decodeSignature,
  encodeSignature,
  KIND_LSAG,
  KIND_LSAG_ESCROW,
  SIGNATURE_VERSION,
  signatureLength,
} from "./signature-codec.js";
export { encodeAuthMessage, type AuthMessageFields } from "./auth-message.js";
export {
  diffieHellman,
  lagSessionKey,
  SESSION_KEY_BYTES,
  transcriptHash,
  vehicleSessionKey,
  type LagKeyAgreement,
  type VehicleKeyAgreement,
} from "./session.js";
export { authOperator, OPERATOR_TAG_BYTES, verifyAuthOperator } from "./operators.js";
export { SCHNORR_SIGNATURE_BYTES, schnorrSign, schnorrVerify, type SchnorrDomain } from "./schnorr.js";
export {
  checkPermit,
  decodePermit,
  encodePermit,
  encodePermitBody,
  issuePermit,
  PERMIT_NONCE_BYTES,
  PERMIT_VERSION,
  type Permit,
  type PermitBody,
  type PermitStatus,
} from "./permit.js";
export {
  ENVELOPE_BYTES,
  ENVELOPE_PADDED_BYTES,
  ENVELOPE_PLAINTEXT_MAX,
  ENVELOPE_VERSION,
  openEnvelope,
  sealEnvelope,
} from "./envelope.js";
export { ANSWER_BODY_MAX, decodeAnswer, encodeAnswer, type Answer, type AnswerKind } from "./answer.js";
export {
  decodeMask,
  DEFAULT_MASK_MODULUS,
  encodeMask,
  maskStatus,
  randomMask,
  sumMasked,
  unmaskAggregate,
  type MaskedStatus,
} from "./masking.js";
export {
  checkAnonymousAuth,
  committedMembers,
  type AnonymousAuthCheck,
  type AnonymousAuthResult,
  type CommittedMembers,
} from "./lag-check.js";
