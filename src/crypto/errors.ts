/**
 * Typed errors of the crypto layer.
 *
 * Every error carries a short message, optional details and an optional cause.
 * `CryptoInputError` is thrown for malformed input only (wrong type or length,
 * non-canonical or identity encodings, out-of-range scalars, bad ring sizes…);
 * a well-formed but invalid signature makes a verifier return `false` instead.
 */

/** Options shared by every crypto error. */
export interface CryptoErrorOptions {
  /** Longer explanation, appended to the message. */
  readonly details?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** Base class of all errors thrown by `src/crypto`. */
export class CryptoError extends Error {
  override name = "CryptoError";
  /** The message without details. */
  readonly shortMessage: string;
  /** Longer explanation, when there is one. */
  readonly details: string | undefined;

  constructor(shortMessage: string, options: CryptoErrorOptions = {}) {
    const message = options.details === undefined ? shortMessage : `${shortMessage}\n\nDetails: ${options.details}`;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = options.details;
  }
}

/** Why an input was refused. */
export type CryptoInputErrorCode =
  | "INVALID_TYPE"
  | "INVALID_LENGTH"
  | "OUT_OF_RANGE"
  | "IDENTITY_POINT"
  | "NON_CANONICAL_POINT"
  | "INVALID_POINT"
  | "NON_CANONICAL_SCALAR"
  | "ZERO_SCALAR"
  | "RING_SIZE"
  | "DUPLICATE_MEMBER"
  | "NOT_A_MEMBER"
  | "INVALID_ENCODING"
  | "UNSUPPORTED_VERSION";

/** Thrown for malformed input: the caller sent bytes that are not a valid encoding of anything. */
export class CryptoInputError extends CryptoError {
  override name = "CryptoInputError";
  readonly code: CryptoInputErrorCode;

  constructor(code: CryptoInputErrorCode, shortMessage: string, options: CryptoErrorOptions = {}) {
    super(shortMessage, options);
    this.code = code;
  }
}

/** Why a well-formed ciphertext or key could not be used. */
export type CryptoAuthErrorCode = "DECRYPTION_FAILED";

/** Thrown when authenticated decryption fails (wrong key, tampered ciphertext or associated data). */
export class CryptoAuthError extends CryptoError {
  override name = "CryptoAuthError";
  readonly code: CryptoAuthErrorCode;

  constructor(code: CryptoAuthErrorCode, shortMessage: string, options: CryptoErrorOptions = {}) {
    super(shortMessage, options);
    this.code = code;
  }
}

/** What went wrong inside the crypto layer itself. */
export type CryptoFailureCode = "SELF_CHECK_FAILED" | "BACKEND_FAILURE" | "NONCE_EXHAUSTED" | "RANDOMNESS";

/** Thrown when an internal invariant fails (a signature that does not verify after signing, a backend fault). */
export class CryptoFailureError extends CryptoError {
  override name = "CryptoFailureError";
  readonly code: CryptoFailureCode;

  constructor(code: CryptoFailureCode, shortMessage: string, options: CryptoErrorOptions = {}) {
    super(shortMessage, options);
    this.code = code;
  }
}
