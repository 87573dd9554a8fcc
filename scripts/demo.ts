/**
 * The demo on the embedded Hardhat network (or `--network <name>`): an end-to-end evidence
 * session, from registration to anchoring, on-chain NRO/NRR, a recorded refusal, and the
 * session's evidence bundle written to out/ and verified; then anonymous authentication of
 * vehicles at the aggregator against a group committed on-chain, acknowledged and anchored.
 */
import { mkdirSync } from "node:fs";
import { network } from "hardhat";
import { writeBundle } from "../src/evidence/bundle.js";
import { evidenceDomain } from "../src/evidence/types.js";
import { runAuthentication } from "../src/scenario/authentication.js";
import { runEvidenceSession } from "../src/scenario/evidenceSession.js";

const started = Date.now();
const { ethers, networkHelpers } = await network.create();
const signers = await ethers.getSigners();
const result = await runEvidenceSession(signers, (line) => console.log(`• ${line}`), async (s) => {
  await networkHelpers.time.increase(s);
});
console.log("");
const { core, parties } = result;
const auth = await runAuthentication(
  {
    registry: core.registry,
    ledger: core.ledger,
    domain: evidenceDomain(core.chainId, core.ledgerAddress),
    registrar: signers[0]!,
    lagAccount: parties.aggregator.account,
    lagKey: parties.aggregator.key,
    now: BigInt(await networkHelpers.time.latest()),
  },
  (line) => console.log(`• ${line}`),
);
mkdirSync("out", { recursive: true });
const bundlePath = `out/bundle-${result.sessionId.slice(2, 10)}.json`;
writeBundle(bundlePath, result.bundle);

console.log("");
console.log(`session ${result.sessionId}`);
console.log(`messages ${result.messages.length}, receipts ${result.receipts.length}, batches ${result.batches.length}`);
console.log(`gas: ${Object.entries(result.gas).map(([k, v]) => `${k} ${v}`).join(", ")}`);
console.log(`evidence bundle ${bundlePath}: ${result.verdicts.offline.summary.valid}/${result.verdicts.offline.summary.items} items valid`);
console.log(`anonymous authentications ${auth.authenticated}, refused replays ${auth.refusedReplays}, LAG learned: ${auth.attributesSeen.join(", ")}`);
console.log(`verify it again with: npm run cli -- verify ${bundlePath}`);
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (!result.verdicts.offline.ok || !result.verdicts.online.ok) process.exitCode = 1;
