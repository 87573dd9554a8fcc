/**
 * How the CA's operator authenticates on the CA service's operator routes: a bearer token
 * (`Authorization: Bearer <token>`) read from a key file or an environment variable, at least
 * `MIN_TOKEN_CHARS` characters. The service keeps only the token's SHA-256 digest and compares
 * the digest of what a caller presents with `timingSafeEqual`, so the comparison takes the same
 * time whatever the presented token and however much of it is right. Loopback is not trusted:
 * every caller presents the token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { ProtocolError } from "../protocol/index.js";
import { readSecretText, type SecretSource } from "./deployment.js";

/** Shortest token accepted (32 hex characters are 128 bits). */
export const MIN_TOKEN_CHARS = 32;
/** Longest `Authorization` header read. */
const MAX_HEADER_CHARS = 1024;

const digestOf = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** The operator's token as the service holds it: only its digest. */
export class OperatorToken {
  private constructor(private readonly digest: Buffer) {}

  /** From a token's text; `INVALID_CONFIG` when it is shorter than `MIN_TOKEN_CHARS` or holds white space. */
  static of(token: string): OperatorToken {
    if (token.length < MIN_TOKEN_CHARS || /\s/.test(token)) {
      throw new ProtocolError("INVALID_CONFIG", `the operator token must be at least ${MIN_TOKEN_CHARS} characters without white space`);
    }
    return new OperatorToken(digestOf(token));
  }

  /** From a key file or an environment variable (never echoed). */
  static read(source: SecretSource, env: Readonly<Record<string, string | undefined>> = process.env): OperatorToken {
    return OperatorToken.of(readSecretText(source, env));
  }

  /** Checks an `Authorization` header; `UNAUTHORIZED` unless it is `Bearer <the token>`. */
  check(header: string | string[] | undefined): void {
    const value = typeof header === "string" && header.length <= MAX_HEADER_CHARS ? header : "";
    const presented = /^Bearer (\S+)$/.exec(value)?.[1] ?? "";
    // Digests have one length, so the comparison is constant-time for any presented token.
    if (!timingSafeEqual(digestOf(presented), this.digest)) throw new ProtocolError("UNAUTHORIZED", "the operator's bearer token is missing or wrong");
  }
}

/** A fresh token (256 bits, base64url) for a new deployment's key file. */
export function newOperatorToken(): string {
  return randomBytes(32).toString("base64url");
}
