/**
 * Domain-separation tags of the protocol layer, one per use (the crypto layer's tags are in
 * `src/crypto/tags.ts`; none is reused here). Every hash input goes through `frame(tag, items)`.
 */
export const PROTOCOL_TAGS = {
  /** SHA-256: digest of an authentication transcript (the evidence leaf, the dispute's subject). */
  transcriptDigest: "v2g/protocol/transcript",
  /** Ring-signature message of a storage-BV answer. */
  storageMessage: "v2g/protocol/storage/message",
  /** Scope suffix of storage answers: linkable per request only. */
  storageScope: "v2g/protocol/storage/scope",
  /** HKDF info: the key a storage-BV shares with the CA for the verdict operator. */
  storageKey: "v2g/protocol/storage/key",
  /** Schnorr challenge and nonce of CA statements (discharge requests, aggregates, verdicts). */
  caStatementChallenge: "v2g/protocol/ca/c",
  caStatementNonce: "v2g/protocol/ca/nonce",
  /** Encodings of the CA statements. */
  caAggregate: "v2g/protocol/ca/aggregate",
  caVerdict: "v2g/protocol/ca/verdict",
  /** HKDF info: the encryption key of one direction of a session channel. */
  sessionEncryption: "v2g/protocol/session/enc",
  /** HKDF salt/info and id of the LAG–CA channel. */
  lagCaKey: "v2g/protocol/lag-ca/key",
  lagCaId: "v2g/protocol/lag-ca/id",
  /** Associated data of the envelopes of each protocol. */
  dischargeAad: "v2g/protocol/discharge/aad",
  statusAad: "v2g/protocol/status/aad",
  statusReply: "v2g/protocol/status/reply",
  /** Ring-signature message and scope suffix of a status entry (one slot per vehicle and round). */
  statusMessage: "v2g/protocol/status/message",
  statusScope: "v2g/protocol/status/scope",
  /** Ring-signature message and scope suffix of a discharge answer (one slot per vehicle and request). */
  dischargeMessage: "v2g/protocol/discharge/message",
  dischargeScope: "v2g/protocol/discharge/scope",
  /** Home network: pre-shared-key hint, session key. */
  homeHint: "v2g/protocol/home/hint",
  homeKey: "v2g/protocol/home/key",
} as const;
