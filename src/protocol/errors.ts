/**
 * Typed errors of the protocol layer: a short message, a machine-readable code, details and a
 * cause. Every public handler of a state machine throws `ProtocolError` and nothing else
 * (`guard` converts errors of the crypto layer), so a malformed or hostile message can never
 * escape as an untyped exception.
 */
import { CryptoAuthError, CryptoInputError } from "../crypto/index.js";
import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

/** Why a message or an action was refused. */
export type ProtocolErrorCode =
  /** The bytes are not a valid encoding of any message (lengths, bounds, trailing bytes, points…). */
  | "MALFORMED"
  /** The version byte is not one this implementation speaks. */
  | "UNSUPPORTED_VERSION"
  /** The message-type byte is unknown. */
  | "UNKNOWN_MESSAGE_TYPE"
  /** A well-formed message of another type than the state machine expects now. */
  | "UNEXPECTED_MESSAGE"
  /** A message that is valid but arrives before the step it depends on. */
  | "OUT_OF_ORDER"
  /** A message for a session this party does not hold (or for another session than this one). */
  | "WRONG_SESSION"
  /** The message, permit, challenge or session is past its validity window. */
  | "EXPIRED"
  /** The message is dated before its validity window. */
  | "NOT_YET_VALID"
  /** A message, nonce, counter or envelope seen before. */
  | "REPLAYED"
  /** A key image already seen in this scope: the same vehicle authenticates twice. */
  | "DOUBLE_AUTHENTICATION"
  /** The LAG's permit is forged, expired, or names another LAG or key. */
  | "BAD_PERMIT"
  /** An authentication operator (MAC) does not verify. */
  | "BAD_OPERATOR"
  /** A ring signature, escrow proof or CA signature does not verify. */
  | "BAD_SIGNATURE"
  /** The group version named by a ring is not committed, or not known to the verifier. */
  | "UNKNOWN_GROUP"
  /** A ring member is not in the committed group version. */
  | "NOT_IN_GROUP"
  /** The group version was superseded (members revoked) longer ago than the grace period. */
  | "SUPERSEDED_GROUP"
  /** The party holds as much pending work as it is configured to; try again later. */
  | "OVERLOADED"
  /** A configuration value is outside its allowed range. */
  | "INVALID_CONFIG"
  /** A store this party depends on did not answer; nothing was recorded. */
  | "UNAVAILABLE"
  /** A discharge request, batch or round this party did not issue or does not know. */
  | "UNKNOWN_REQUEST"
  /** The scope (LAG id, epoch) is not the one the verifier expects. */
  | "WRONG_SCOPE"
  /** The service is not offered in this network context (advanced services in a visiting network). */
  | "SERVICE_REFUSED"
  /** An aggregate over too few vehicles would reveal an individual status. */
  | "BATCH_TOO_SMALL"
  /** An envelope or reply does not decrypt (wrong key, tampered). */
  | "DECRYPTION_FAILED"
  /** The CA's real status reply disagrees with what the vehicle reported. */
  | "STATUS_MISMATCH"
  /** Escrow opening asked without a dispute recorded on-chain. */
  | "NO_DISPUTE"
  /** The on-chain dispute names another authentication than the one presented. */
  | "DISPUTE_MISMATCH"
  /** The escrow of this dispute was already opened. */
  | "ALREADY_OPENED"
  /** A batch acknowledgement does not cover the vehicle's authentication. */
  | "NOT_ACKNOWLEDGED"
  /** The caller of an operator's route did not present the operator's credential. */
  | "UNAUTHORIZED"
  /** A chain call failed. */
  | "CHAIN"
  /** A bug or an unexpected fault below this layer (never expected for any input). */
  | "INTERNAL";

/** Options of a protocol error. */
export interface ProtocolErrorOptions {
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** Where each protocol code stands in the exit-code table. */
export const PROTOCOL_EXIT_CODES: ExitCodeTable<ProtocolErrorCode> = {
  MALFORMED: ExitCode.Usage,
  UNSUPPORTED_VERSION: ExitCode.Usage,
  UNKNOWN_MESSAGE_TYPE: ExitCode.Usage,
  UNEXPECTED_MESSAGE: ExitCode.Refused,
  OUT_OF_ORDER: ExitCode.Refused,
  WRONG_SESSION: ExitCode.Refused,
  EXPIRED: ExitCode.Negative,
  NOT_YET_VALID: ExitCode.Negative,
  REPLAYED: ExitCode.Refused,
  DOUBLE_AUTHENTICATION: ExitCode.Refused,
  BAD_PERMIT: ExitCode.Negative,
  BAD_OPERATOR: ExitCode.Negative,
  BAD_SIGNATURE: ExitCode.Negative,
  UNKNOWN_GROUP: ExitCode.NotFound,
  NOT_IN_GROUP: ExitCode.Negative,
  SUPERSEDED_GROUP: ExitCode.Negative,
  OVERLOADED: ExitCode.Unavailable,
  INVALID_CONFIG: ExitCode.Usage,
  UNAVAILABLE: ExitCode.Unavailable,
  UNKNOWN_REQUEST: ExitCode.NotFound,
  WRONG_SCOPE: ExitCode.Negative,
  SERVICE_REFUSED: ExitCode.Refused,
  BATCH_TOO_SMALL: ExitCode.Refused,
  DECRYPTION_FAILED: ExitCode.Negative,
  STATUS_MISMATCH: ExitCode.Negative,
  NO_DISPUTE: ExitCode.NotFound,
  DISPUTE_MISMATCH: ExitCode.Negative,
  ALREADY_OPENED: ExitCode.Refused,
  NOT_ACKNOWLEDGED: ExitCode.Negative,
  UNAUTHORIZED: ExitCode.Refused,
  CHAIN: { causeOr: ExitCode.Unavailable },
  INTERNAL: ExitCode.Internal,
};

/** The one error type the protocol layer throws; its message is `<code>: <short message>`. */
export class ProtocolError extends CodedError<ProtocolErrorCode> {
  override readonly name = "ProtocolError";
  /** The message without details. */
  readonly shortMessage: string;

  constructor(code: ProtocolErrorCode, shortMessage: string, options: ProtocolErrorOptions = {}) {
    super(code, `${code}: ${shortMessage}`, options.details ?? {}, options.cause);
    this.shortMessage = shortMessage;
  }

  protected get exitCodes(): ExitCodeTable<ProtocolErrorCode> {
    return PROTOCOL_EXIT_CODES;
  }
}

/** Converts anything thrown below the protocol layer into a `ProtocolError`. */
export function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof CryptoInputError) {
    const code = error.code === "UNSUPPORTED_VERSION" ? "UNSUPPORTED_VERSION" : "MALFORMED";
    return new ProtocolError(code, error.shortMessage, { details: { crypto: error.code }, cause: error });
  }
  if (error instanceof CryptoAuthError) {
    return new ProtocolError("DECRYPTION_FAILED", error.shortMessage, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProtocolError("INTERNAL", "unexpected failure", { details: { message }, cause: error });
}

/** Runs `fn` and rethrows any failure as a `ProtocolError`. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toProtocolError(error);
  }
}

/** Async variant of `guard`. */
export async function guardAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toProtocolError(error);
  }
}
