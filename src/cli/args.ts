/**
 * Validation of command-line arguments. Each parser returns the clean value or throws a
 * `UsageError` whose message says what was expected.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { getAddress } from "ethers";
import { UsageError } from "../errors.js";

export { UsageError };

export function parseHex32(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new UsageError(`${what} must be 0x followed by 64 hex digits (32 bytes), got "${value}"`);
  }
  return value.toLowerCase();
}

/** An EIP-55 checksummed address, the only spelling the bundle files accept too. */
export function parseAddressArg(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new UsageError(`${what} must be 0x followed by 40 hex digits`);
  let address: string;
  try {
    address = getAddress(value);
  } catch {
    throw new UsageError(`${what} has a wrong EIP-55 checksum: "${value}"`);
  }
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
