/**
 * One LAG process of a race: opens the shared key-image store named on the command line, waits
 * for the common start time, claims one image in one scope, and prints the outcome as JSON.
 *
 *   claimProcess.ts <sqlite|postgres> <path-or-url> <startAtMs> <imageHex>
 */
import { fileURLToPath } from "node:url";
import { hexToBytes } from "../../../src/crypto/index.js";
import type { KeyImageStore } from "../../../src/protocol/index.js";
import { PostgresKeyImageStore } from "../../../src/services/stores/postgresKeyImages.js";
import { SqliteKeyImageStore } from "../../../src/services/stores/sqliteKeyImages.js";

async function main(): Promise<void> {
  const [kind, location, startAt, imageHex] = process.argv.slice(2) as [string, string, string, string];
  const store: KeyImageStore = kind === "sqlite" ? new SqliteKeyImageStore(location) : await PostgresKeyImageStore.open(location);
  const scope = { lagId: new TextEncoder().encode("LAG-Race-1"), epoch: 81_018n };
  const wait = Number(startAt) - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const claimed = await store.claim(scope, hexToBytes(imageHex));
  await store.close();
  process.stdout.write(`${JSON.stringify({ pid: process.pid, claimed })}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
