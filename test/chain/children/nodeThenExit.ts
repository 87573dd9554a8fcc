/**
 * Child process for the local-node tests: starts a node (`anvil` or `hardhat-node`), prints its
 * PID, and exits without stopping it, as a failing test run would.
 * Runs only as a script (`node --import tsx nodeThenExit.ts <kind>`), never when imported.
 */
import { pathToFileURL } from "node:url";
import { startAnvil, startHardhatNode } from "../../../src/chain/localNode.js";

async function main(kind: string): Promise<void> {
  const node = kind === "anvil" ? await startAnvil() : await startHardhatNode();
  process.stdout.write(`pid ${node.pid}\n`);
  process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] ?? "anvil");
}
