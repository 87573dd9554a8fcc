/**
 * Writes the typed ABI modules `src/chain/abi/<Contract>.ts` from the Hardhat artifacts (run after
 * `hardhat build`: `npm run abi`). Removes modules of contracts no longer listed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { ABI_DIR, renderAbiModules } from "../src/chain/artifacts.js";

const files = renderAbiModules();
mkdirSync(ABI_DIR, { recursive: true });
let written = 0;
for (const [file, text] of files) {
  let current: string | undefined;
  try {
    current = readFileSync(`${ABI_DIR}${file}`, "utf8");
  } catch {
    current = undefined;
  }
  if (current === text) continue;
  writeFileSync(`${ABI_DIR}${file}`, text);
  written++;
  console.log(`wrote src/chain/abi/${file}`);
}
for (const file of readdirSync(ABI_DIR)) {
  if (file.endsWith(".ts") && !files.has(file)) {
    rmSync(`${ABI_DIR}${file}`);
    console.log(`removed src/chain/abi/${file}`);
  }
}
console.log(`${files.size} ABI modules, ${written} changed`);
