/**
 * Hidden answers carried in envelopes to the CA: a sequence number (the latest
 * answer wins), a kind and a body, in one fixed layout:
 *
 *   u64be(sequence) ‖ u8 kind (1 accept, 2 decline, 3 status) ‖ body
 *
 * Inside an envelope every answer has the same ciphertext length.
 */
import { assertBytes, concatBytes, readUintBE, toUint, u64be } from "./bytes.js";
import { ENVELOPE_PLAINTEXT_MAX } from "./envelope.js";
import { CryptoInputError } from "./errors.js";

/** What an answer says. */
export type AnswerKind = "accept" | "decline" | "status";

/** A hidden answer. */
export interface Answer {
  readonly sequence: bigint;
  readonly kind: AnswerKind;
  readonly body: Uint8Array;
}

const KIND_CODES: Readonly<Record<AnswerKind, number>> = { accept: 1, decline: 2, status: 3 };
/** Largest answer body. */
export const ANSWER_BODY_MAX = ENVELOPE_PLAINTEXT_MAX - 9;

/** Encodes an answer as envelope plaintext. */
export function encodeAnswer(answer: Answer): Uint8Array {
  const code = KIND_CODES[answer.kind];
  if (code === undefined) throw new CryptoInputError("INVALID_ENCODING", "unknown answer kind");
  assertBytes(answer.body, "answer body", { min: 0, max: ANSWER_BODY_MAX });
  return concatBytes(u64be(toUint(answer.sequence, 64, "sequence")), Uint8Array.of(code), answer.body);
}

/** Strict parser of `encodeAnswer`. */
export function decodeAnswer(bytes: Uint8Array): Answer {
  assertBytes(bytes, "answer", { min: 9, max: ENVELOPE_PLAINTEXT_MAX });
  const code = bytes[8] as number;
  const kind = (Object.keys(KIND_CODES) as AnswerKind[]).find((k) => KIND_CODES[k] === code);
  if (kind === undefined) throw new CryptoInputError("INVALID_ENCODING", `unknown answer kind ${code}`);
  return { sequence: readUintBE(bytes, 0, 8), kind, body: bytes.slice(9) };
}
