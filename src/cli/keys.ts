/**
 * Keys for the commands that sign: only from a key file or an environment variable, never from
 * an argument. A key file holds one hex private key (0x optional) and nothing else.
 */
import { readFileSync, statSync } from "node:fs";
import { Wallet } from "ethers";
import { parseExistingFile, PRIVATE_KEY_PATTERN, UsageError } from "./args.js";

/** Where one key comes from: `--<prefix>key-file <path>` or `--<prefix>key-env <NAME>`. */
export interface KeySource {
  file?: string;
  env?: string;
}

function parseKey(raw: string, from: string): Wallet {
  const text = raw.trim();
  if (!PRIVATE_KEY_PATTERN.test(text)) throw new UsageError(`${from} does not hold a 32-byte hex private key`);
  try {
    return new Wallet(text.startsWith("0x") ? text : `0x${text}`);
  } catch {
    throw new UsageError(`${from} does not hold a valid secp256k1 private key`);
  }
}

/** The key of `source`; `option` names the options in messages (e.g. "--key" for --key-file/--key-env). */
export function loadKey(source: KeySource, option: string, env: Readonly<Record<string, string | undefined>> = process.env): Wallet {
  if (source.file !== undefined && source.env !== undefined) {
    throw new UsageError(`give ${option}-file or ${option}-env, not both`);
  }
  if (source.file !== undefined) {
    const path = parseExistingFile(source.file, `${option}-file`);
    if (statSync(path).size > 4096) throw new UsageError(`${option}-file is too large to be a key file: ${source.file}`);
    return parseKey(readFileSync(path, "utf8"), `${option}-file ${source.file}`);
  }
  if (source.env !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(source.env)) throw new UsageError(`${option}-env must name an environment variable, got "${source.env}"`);
    const raw = env[source.env];
    if (raw === undefined || raw.trim() === "") throw new UsageError(`environment variable ${source.env} (${option}-env) is not set`);
    return parseKey(raw, `environment variable ${source.env}`);
  }
  throw new UsageError(`this command signs: give ${option}-file <path> or ${option}-env <NAME>`);
}
