/** Compiled contract artifacts (ABI and bytecode) written by `hardhat build`. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EvidenceError } from "../evidence/errors.js";

export interface Artifact {
  contractName: string;
  abi: readonly unknown[];
  bytecode: string;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const cache = new Map<string, Artifact>();

/** Loads `artifacts/contracts/<file>/<name>.json`; `file` defaults to `<name>.sol`. */
export function loadArtifact(name: string, file = `${name}.sol`): Artifact {
  const key = `${file}:${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const path = `${ROOT}artifacts/contracts/${file}/${name}.json`;
  let artifact: Artifact;
  try {
    artifact = JSON.parse(readFileSync(path, "utf8")) as Artifact;
  } catch (cause) {
    throw new EvidenceError("CHAIN", `artifact of ${name} not found: run the build first`, { name }, cause);
  }
  cache.set(key, artifact);
  return artifact;
}
