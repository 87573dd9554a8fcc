/**
 * The demo on the embedded Hardhat network (or `--network <name>`): an end-to-end evidence
 * session, from registration to anchoring, on-chain NRO/NRR and a recorded refusal.
 */
import { network } from "hardhat";
import { runEvidenceSession } from "../src/scenario/evidenceSession.js";

const started = Date.now();
const { ethers, networkHelpers } = await network.create();
const signers = await ethers.getSigners();
const result = await runEvidenceSession(signers, (line) => console.log(`• ${line}`), async (s) => {
  await networkHelpers.time.increase(s);
});
console.log("");
console.log(`session ${result.sessionId}`);
console.log(`messages ${result.messages.length}, receipts ${result.receipts.length}, batch root ${result.batch.root}`);
console.log(`gas: ${Object.entries(result.gas).map(([k, v]) => `${k} ${v}`).join(", ")}`);
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
