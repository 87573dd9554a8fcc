/**
 * How a protocol refusal travels over HTTP: a status code and a JSON body `{ code, message }`
 * the vehicle client turns back into the same `ProtocolError`. Overload is 503 with Retry-After.
 */
import type { ProtocolErrorCode } from "../protocol/index.js";

/** The HTTP status of a refusal. */
export function httpStatusOf(code: ProtocolErrorCode): number {
  switch (code) {
    case "MALFORMED":
    case "UNSUPPORTED_VERSION":
    case "UNKNOWN_MESSAGE_TYPE":
    case "UNEXPECTED_MESSAGE":
      return 400;
    case "BAD_PERMIT":
    case "BAD_OPERATOR":
    case "BAD_SIGNATURE":
    case "UNKNOWN_GROUP":
    case "NOT_IN_GROUP":
    case "SUPERSEDED_GROUP":
    case "WRONG_SCOPE":
    case "UNAUTHORIZED":
      return 401;
    case "WRONG_SESSION":
    case "UNKNOWN_REQUEST":
      return 404;
    case "REPLAYED":
    case "DOUBLE_AUTHENTICATION":
    case "OUT_OF_ORDER":
      return 409;
    case "EXPIRED":
    case "NOT_YET_VALID":
      return 410;
    case "OVERLOADED":
    case "UNAVAILABLE":
      return 503;
    default:
      return code === "INTERNAL" ? 500 : 422;
  }
}

/** Seconds a client should wait after a 503 before trying again. */
export const RETRY_AFTER_SECONDS = 1;

/** The JSON body of a refusal. */
export interface RefusalBody {
  readonly code: ProtocolErrorCode;
  readonly message: string;
}
