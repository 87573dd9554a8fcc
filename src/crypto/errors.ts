/**
 * Typed errors of the crypto layer.
 *
 * Every error carries a short message, optional details and an optional cause.
 * `CryptoInputError` is thrown for malformed input only (wrong type or length,
 * non-canonical or identity encodings, out-of-range scalars, bad ring sizes…);
 * a well-formed but invalid signature makes a verifier return `false` instead.
 */

import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

/** Options shared by every crypto error. */
export interface CryptoErrorOptions {
  /** Longer explanation, appended to the message. */
  readonly details?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** Every code of the crypto layer: those of the three subclasses, and `CRYPTO` for the base class. */
export type CryptoErrorCode = "CRYPTO" | CryptoInputErrorCode | CryptoAuthErrorCode | CryptoFailureCode;

/** Where each crypto-layer code stands in the exit-code table. */
export const CRYPTO_EXIT_CODES: ExitCodeTable<CryptoErrorCode> = {
  CRYPTO: ExitCode.Internal,
  INVALID_TYPE: ExitCode.Usage,
  INVALID_LENGTH: ExitCode.Usage,
  OUT_OF_RANGE: ExitCode.Usage,
  IDENTITY_POINT: ExitCode.Usage,
  NON_CANONICAL_POINT: ExitCode.Usage,
  INVALID_POINT: ExitCode.Usage,
  NON_CANONICAL_SCALAR: ExitCode.Usage,
  ZERO_SCALAR: ExitCode.Usage,
  RING_SIZE: ExitCode.Usage,
  DUPLICATE_MEMBER: ExitCode.Usage,
  NOT_A_MEMBER: ExitCode.Usage,
  INVALID_ENCODING: ExitCode.Usage,
  UNSUPPORTED_VERSION: ExitCode.Usage,
  DECRYPTION_FAILED: ExitCode.Negative,
  SELF_CHECK_FAILED: ExitCode.Internal,
  BACKEND_FAILURE: ExitCode.Internal,
  NONCE_EXHAUSTED: ExitCode.Internal,
  RANDOMNESS: ExitCode.Internal,
};

/**
 * Base class of all errors thrown by `src/crypto`. `details` holds the longer explanation (as
 * `details.explanation`) when there is one.
 */
export class CryptoError extends CodedError<CryptoErrorCode> {
  override name = "CryptoError";
  /** The message without details. */
  readonly shortMessage: string;
  /** Longer explanation, when there is one. */
  readonly explanation: string | undefined;

  constructor(shortMessage: string, options: CryptoErrorOptions = {}) {
    const message = options.details === undefined ? shortMessage : `${shortMessage}\n\nDetails: ${options.details}`;
    super("CRYPTO", message, options.details === undefined ? {} : { explanation: options.details }, options.cause);
    this.shortMessage = shortMessage;
    this.explanation = options.details;
  }

  protected get exitCodes(): ExitCodeTable<CryptoErrorCode> {
    return CRYPTO_EXIT_CODES;
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
  declare readonly code: CryptoInputErrorCode;

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
  declare readonly code: CryptoAuthErrorCode;

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
  declare readonly code: CryptoFailureCode;

  constructor(code: CryptoFailureCode, shortMessage: string, options: CryptoErrorOptions = {}) {
    super(shortMessage, options);
    this.code = code;
  }
}
