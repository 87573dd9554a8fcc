/**
 * Regenerates `lsag.json` (run with `npx tsx test/crypto/vectors/generate.ts`).
 * Loaded by the test runner too, where it does nothing.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createSodiumBackend } from "../../../src/crypto/index.js";
import type { AnyBackend } from "../helpers/fixtures.js";
import { signVector, VECTOR_CASES } from "../helpers/vectors.js";

async function main(): Promise<void> {
  const b = (await createSodiumBackend()) as AnyBackend;
  const vectors = VECTOR_CASES.map((c) => signVector(b, c));
  const target = fileURLToPath(new URL("./lsag.json", import.meta.url));
  writeFileSync(target, `${JSON.stringify({ description: "bLSAG test vectors (deterministic)", vectors }, null, 2)}\n`);
  console.log(`wrote ${vectors.length} vectors to ${target}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
