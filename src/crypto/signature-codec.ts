/**
 * Wire format of ring signatures (version 1, fixed layout, big-endian header):
 *
 *   offset  size  field
 *   0       1     version = 0x01
 *   1       1     kind: 0x01 plain bLSAG, 0x02 bLSAG with escrow
 *   2       2     n, ring size (u16be, 2..MAX_RING_SIZE)
 *   4       32    c_1
 *   36      32    I (key image)
 *   68      32    E1                    (escrow only)
 *   100     32    E2                    (escrow only)
 *   …       32·n  s_1..s_n
 *   …       32·n  t_1..t_n              (escrow only)
 *
 * Plain: 68 + 32·n bytes; escrow: 132 + 64·n bytes. The parser accepts exactly
 * this length, rejects unknown versions and kinds, non-canonical or zero scalars
 * and identity or non-canonical point encodings (`CryptoInputError`).
 */
import { assertBytes, concatBytes, u16be } from "./bytes.js";
import { CryptoInputError } from "./errors.js";
import { MAX_RING_SIZE, MIN_RING_SIZE, ringSizeBound, type RingLimits } from "./ring.js";
import {
  checkEscrowShape,
  checkLsagShape,
  type EscrowSignature,
  type LsagSignature,
  type RingSignature,
} from "./signature.js";

/** Current wire version. */
export const SIGNATURE_VERSION = 1;
/** Kind byte of a plain bLSAG signature. */
export const KIND_LSAG = 1;
/** Kind byte of a bLSAG signature with escrow. */
export const KIND_LSAG_ESCROW = 2;
const HEADER = 4;

/** Encoded length of a signature of the given kind over a ring of `n`. */
export function signatureLength(kind: RingSignature["kind"], n: number): number {
  return kind === "lsag" ? HEADER + 64 + 32 * n : HEADER + 128 + 64 * n;
}

/** Serialises a signature (shape-checked first). */
export function encodeSignature(signature: RingSignature): Uint8Array {
  if (typeof signature !== "object" || signature === null) {
    throw new CryptoInputError("INVALID_TYPE", "signature must be an object");
  }
  const n = Array.isArray(signature.s) ? signature.s.length : 0;
  if (n < MIN_RING_SIZE || n > MAX_RING_SIZE) {
    throw new CryptoInputError("RING_SIZE", `ring size must be ${MIN_RING_SIZE}..${MAX_RING_SIZE}`);
  }
  if (signature.kind === "lsag") {
    checkLsagShape(signature, n);
    const header = Uint8Array.of(SIGNATURE_VERSION, KIND_LSAG, ...u16be(n));
    return concatBytes(header, signature.c1, signature.keyImage, ...signature.s);
  }
  checkEscrowShape(signature, n);
  const header = Uint8Array.of(SIGNATURE_VERSION, KIND_LSAG_ESCROW, ...u16be(n));
  return concatBytes(header, signature.c1, signature.keyImage, signature.e1, signature.e2, ...signature.s, ...signature.t);
}

/** Strict parser of either kind. */
export function decodeSignature(bytes: Uint8Array, limits: RingLimits = {}): RingSignature {
  assertBytes(bytes, "signature");
  if (bytes.length < HEADER) throw new CryptoInputError("INVALID_LENGTH", "signature is shorter than its header");
  const version = bytes[0] as number;
  const kindByte = bytes[1] as number;
  const n = ((bytes[2] as number) << 8) | (bytes[3] as number);
  if (version !== SIGNATURE_VERSION) {
    throw new CryptoInputError("UNSUPPORTED_VERSION", `unsupported signature version ${version}`);
  }
  if (kindByte !== KIND_LSAG && kindByte !== KIND_LSAG_ESCROW) {
    throw new CryptoInputError("INVALID_ENCODING", `unknown signature kind ${kindByte}`);
  }
  const max = ringSizeBound(limits);
  if (n < MIN_RING_SIZE || n > max) {
    throw new CryptoInputError("RING_SIZE", `ring size must be ${MIN_RING_SIZE}..${max}`, { details: `got ${n}` });
  }
  const kind = kindByte === KIND_LSAG ? "lsag" : "lsag-escrow";
  const expected = signatureLength(kind, n);
  if (bytes.length !== expected) {
    throw new CryptoInputError("INVALID_LENGTH", `signature must be ${expected} bytes for its header`, {
      details: `got ${bytes.length} bytes`,
    });
  }
  let offset = HEADER;
  const take = (): Uint8Array => bytes.slice(offset, (offset += 32));
  const c1 = take();
  const keyImage = take();
  if (kind === "lsag") {
    const s = Array.from({ length: n }, take);
    const signature: LsagSignature = { kind, c1, s, keyImage };
    checkLsagShape(signature, n);
    return signature;
  }
  const e1 = take();
  const e2 = take();
  const s = Array.from({ length: n }, take);
  const t = Array.from({ length: n }, take);
  const signature: EscrowSignature = { kind, c1, s, t, keyImage, e1, e2 };
  checkEscrowShape(signature, n);
  return signature;
}

/** Parses and insists on a plain signature. */
export function decodeLsagSignature(bytes: Uint8Array, limits: RingLimits = {}): LsagSignature {
  const signature = decodeSignature(bytes, limits);
  if (signature.kind !== "lsag") throw new CryptoInputError("INVALID_ENCODING", "expected a plain ring signature");
  return signature;
}

/** Parses and insists on an escrow signature. */
export function decodeEscrowSignature(bytes: Uint8Array, limits: RingLimits = {}): EscrowSignature {
  const signature = decodeSignature(bytes, limits);
  if (signature.kind !== "lsag-escrow") {
    throw new CryptoInputError("INVALID_ENCODING", "expected an escrow ring signature");
  }
  return signature;
}

