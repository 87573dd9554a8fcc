/**
 * The demo on the embedded Hardhat network (or `--network <name>`): an end-to-end evidence
 * session, from registration to anchoring, on-chain NRO/NRR, a recorded refusal, and the
 * session's evidence bundle written to out/ and verified.
 */
import { mkdirSync } from "node:fs";
import { network } from "hardhat";
import { writeBundle } from "../src/evidence/bundle.js";
import { runEvidenceSession } from "../src/scenario/evidenceSession.js";

const started = Date.now();
const { ethers, networkHelpers } = await network.create();
const signers = await ethers.getSigners();
const result = await runEvidenceSession(signers, (line) => console.log(`• ${line}`), async (s) => {
  await networkHelpers.time.increase(s);
});
mkdirSync("out", { recursive: true });
const bundlePath = `out/bundle-${result.sessionId.slice(2, 10)}.json`;
writeBundle(bundlePath, result.bundle);

console.log("");
console.log(`session ${result.sessionId}`);
console.log(`messages ${result.messages.length}, receipts ${result.receipts.length}, batches ${result.batches.length}`);
console.log(`gas: ${Object.entries(result.gas).map(([k, v]) => `${k} ${v}`).join(", ")}`);
console.log(`evidence bundle ${bundlePath}: ${result.verdicts.offline.summary.valid}/${result.verdicts.offline.summary.items} items valid`);
console.log(`verify it again with: npm run cli -- verify ${bundlePath}`);
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (!result.verdicts.offline.ok || !result.verdicts.online.ok) process.exitCode = 1;
