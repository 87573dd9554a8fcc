/**
 * Validation of command-line arguments. Each parser returns the clean value or throws a
 * `UsageError` whose message says what was expected.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { UsageError } from "../errors.js";

export { UsageError };

/** What a secp256k1 private key looks like when pasted: 32 bytes of hex, with or without 0x. */
export const PRIVATE_KEY_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;

/** Options some tools take a key in; here a key never comes from an argument. */
const KEY_OPTIONS = ["--key", "--private-key", "--privatekey", "--secret", "--mnemonic", "--seed-phrase"];

/**
 * Refuses a key given on the command line (shell history, process list): a key option, or a key
 * where a key file or a variable name belongs.
 */
export function refuseKeyArguments(argv: readonly string[]): void {
  argv.forEach((arg, i) => {
    const [name, inline] = arg.startsWith("--") ? arg.split("=", 2) : [arg, undefined];
    if (KEY_OPTIONS.includes(name!.toLowerCase())) {
      throw new UsageError(`${name} is not an option: keys come only from a key file (--key-file) or an environment variable (--key-env)`);
    }
    if (/^--(\w+-)*key-(file|env)$/.test(name!)) {
      const value = inline ?? argv[i + 1];
      if (value !== undefined && PRIVATE_KEY_PATTERN.test(value)) {
        throw new UsageError(`${name} takes a file or a variable name, not a key: never put a key in an argument`);
      }
    }
  });
}

/** A whole number in `[min, max]`. */
export function parseInteger(value: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${what} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** A positive amount of token base units (a decimal integer, at most 2^256 - 1). */
export function parseAmount(value: string, what: string): bigint {
  if (!/^[0-9]{1,78}$/.test(value) || BigInt(value) === 0n || BigInt(value) >= 2n ** 256n) {
    throw new UsageError(`${what} must be a positive whole number of token base units, got "${value}"`);
  }
  return BigInt(value);
}

/** One of `choices`. */
export function parseChoice<T extends string>(value: string, what: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${what} must be one of ${choices.join(", ")}, got "${value}"`);
  }
  return value as T;
}

export function parseHex32(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new UsageError(`${what} must be 0x followed by 64 hex digits (32 bytes), got "${value}"`);
  }
  return value.toLowerCase();
}

/** The EIP-55 spelling of a 40-hex-digit address (keccak-256 of the lower-case hex; no ethers at start-up). */
function checksummed(hex40: string): string {
  const lower = hex40.toLowerCase();
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  return `0x${[...lower].map((c, i) => (parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c)).join("")}`;
}

/** An EIP-55 checksummed address, the only spelling the bundle files accept too. */
export function parseAddressArg(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new UsageError(`${what} must be 0x followed by 40 hex digits`);
  const address = checksummed(value.slice(2));
  const mixed = value.slice(2) !== value.slice(2).toLowerCase() && value.slice(2) !== value.slice(2).toUpperCase();
  if (mixed && address !== value) throw new UsageError(`${what} has a wrong EIP-55 checksum: "${value}"`);
  if (address !== value) throw new UsageError(`${what} must be EIP-55 checksummed (as ${address}), got "${value}"`);
  return address;
}

/** A positive number of seconds, at most an hour; returned in milliseconds. */
export function parseTimeoutSeconds(value: string, what: string): number {
  const seconds = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !(seconds > 0) || seconds > 3600) {
    throw new UsageError(`${what} must be a number of seconds above 0 and at most 3600, got "${value}"`);
  }
  return Math.round(seconds * 1000);
}

/**
 * The folder relative paths are taken from: where the user stands. `npm run` starts scripts in
 * the package root and names the user's folder in INIT_CWD.
 */
export function userFolder(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

export function parseRpcUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--rpc must be a URL such as http://127.0.0.1:8545, got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--rpc must be an http:// or https:// URL, got "${url.protocol}"`);
  }
  return url.toString();
}

export function parseExistingFile(value: string, what: string): string {
  const path = resolve(userFolder(), value);
  if (!existsSync(path)) throw new UsageError(`${what} does not exist: ${value}`);
  if (!statSync(path).isFile()) throw new UsageError(`${what} is not a file: ${value}`);
  return path;
}

/** A path to write: its folder must exist; an existing file is replaced only with `force`. */
export function parseOutputFile(value: string, force: boolean): string {
  const path = resolve(userFolder(), value);
  if (!existsSync(dirname(path)) || !statSync(dirname(path)).isDirectory()) {
    throw new UsageError(`the folder of --out does not exist: ${dirname(value)}`);
  }
  if (existsSync(path) && !force) throw new UsageError(`--out already exists (pass --force to replace it): ${value}`);
  if (existsSync(path) && !statSync(path).isFile()) throw new UsageError(`--out is not a file: ${value}`);
  return path;
}
