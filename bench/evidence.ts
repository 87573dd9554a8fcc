/**
 * Gas and time of evidence anchoring, against the Ethereum Attestation Service (EAS) deployed
 * from its published artifacts in the same run. Writes bench/results/evidence.json.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { network } from "hardhat";
import { ContractFactory, hexlify, keccak256, randomBytes, ZeroAddress, ZeroHash, AbiCoder, concat, type Signer } from "ethers";
import { deployCore, type DynamicContract } from "../src/chain/deploy.js";
import { buildBatch } from "../src/evidence/merkle.js";
import { AnchorKind } from "../src/evidence/types.js";
import { SnapshotChainView } from "../src/evidence/chainView.js";
import { verifyBundle } from "../src/evidence/verify.js";
import { runEvidenceSession } from "../src/scenario/evidenceSession.js";
import { median, writeMetrics, type Metrics } from "./metrics.js";

const require = createRequire(import.meta.url);
const coder = AbiCoder.defaultAbiCoder();

function easFactory(name: "EAS" | "SchemaRegistry", signer: Signer): ContractFactory {
  const path = require.resolve(`@ethereum-attestation-service/eas-contracts/artifacts/contracts/${name}.sol/${name}.json`);
  const artifact = JSON.parse(readFileSync(path, "utf8")) as { abi: never[]; bytecode: string };
  return new ContractFactory(artifact.abi, artifact.bytecode, signer);
}

const randomDigests = (n: number) => Array.from({ length: n }, () => hexlify(randomBytes(32)));

/** A root over `leaf` with `depth` random siblings, hashed as OpenZeppelin MerkleProof does. */
function syntheticProof(leafValue: string, depth: number): { root: string; proof: string[] } {
  let node = keccak256(keccak256(coder.encode(["bytes32"], [leafValue])));
  const proof: string[] = [];
  for (let i = 0; i < depth; i++) {
    const sibling = hexlify(randomBytes(32));
    proof.push(sibling);
    node = BigInt(node) < BigInt(sibling) ? keccak256(concat([node, sibling])) : keccak256(concat([sibling, node]));
  }
  return { root: node, proof };
}

const { ethers, networkHelpers } = await network.create();
const [admin, submitter] = await ethers.getSigners();
const core = await deployCore(admin!);
await core.registry.grantRole(await core.registry.SUBMITTER_ROLE(), submitter!.address);
const ledger = core.ledger.connect(submitter!) as typeof core.ledger;
const metrics: Metrics = {};

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const receipt = await (await tx).wait();
  return Number(receipt!.gasUsed);
}

for (const n of [1000, 10000]) {
  const batch = buildBatch(randomDigests(n));
  const gas = await gasOf(ledger.anchorBatch(batch.root, n, AnchorKind.Receipts));
  metrics[`gas_per_receipt_batch_${n}`] = { value: gas / n, unit: "gas/receipt" };
}
metrics.gas_per_receipt_single_anchor = {
  value: await gasOf(ledger.anchorDigest(hexlify(randomBytes(32)), AnchorKind.Receipts)),
  unit: "gas/receipt",
};

const leaf = hexlify(randomBytes(32));
const d20 = syntheticProof(leaf, 20);
await ledger.anchorBatch(d20.root, 1 << 20, AnchorKind.Receipts);
if (!(await ledger.verifyInclusion(submitter!.address, d20.root, leaf, d20.proof))) throw new Error("depth-20 proof did not verify");
metrics.gas_inclusion_check_depth_20 = {
  value: Number(await ledger.verifyInclusion.estimateGas(submitter!.address, d20.root, leaf, d20.proof)),
  unit: "gas (as a transaction)",
};

// The peer: EAS, one attestation per receipt digest.
const schemaRegistry = await easFactory("SchemaRegistry", admin!).deploy();
await schemaRegistry.waitForDeployment();
const eas = (await easFactory("EAS", admin!).deploy(await schemaRegistry.getAddress())) as unknown as DynamicContract;
await eas.waitForDeployment();
const registerTx = await (schemaRegistry as unknown as DynamicContract).register("bytes32 receiptDigest", ZeroAddress, false);
const registered = await registerTx.wait();
const schemaUid = registered.logs[0].topics[1] as string;
const attestation = () => ({
  recipient: ZeroAddress,
  expirationTime: 0n,
  revocable: false,
  refUID: ZeroHash,
  data: coder.encode(["bytes32"], [hexlify(randomBytes(32))]),
  value: 0n,
});
// Warm-up: the first attestation of an account touches storage the next ones find warm.
await gasOf(eas.connect(submitter!).attest({ schema: schemaUid, data: attestation() }));
metrics.gas_eas_attest = { value: await gasOf(eas.connect(submitter!).attest({ schema: schemaUid, data: attestation() })), unit: "gas/receipt" };
const multi = await gasOf(
  eas.connect(submitter!).multiAttest([{ schema: schemaUid, data: Array.from({ length: 100 }, attestation) }]),
);
metrics.gas_eas_multi_attest_100_per_item = { value: multi / 100, unit: "gas/receipt" };

metrics.ratio_eas_attest_over_batch_1000 = {
  value: metrics.gas_eas_attest.value / metrics.gas_per_receipt_batch_1000!.value,
  unit: "x",
};
metrics.ratio_eas_multi_attest_over_batch_1000 = {
  value: metrics.gas_eas_multi_attest_100_per_item.value / metrics.gas_per_receipt_batch_1000!.value,
  unit: "x",
};

// Offline verification of a whole session's evidence bundle (the demo's session: 13 items).
const session = await runEvidenceSession(await ethers.getSigners(), () => {}, async (s) => {
  await networkHelpers.time.increase(s);
});
const view = new SnapshotChainView(session.bundle.chainState!);
const times: number[] = [];
for (let i = 0; i < 60; i++) {
  const t0 = performance.now();
  const verdict = await verifyBundle(session.bundle, view);
  times.push(performance.now() - t0);
  if (!verdict.ok) throw new Error("the session bundle did not verify");
}
metrics.bundle_verify_ms_median = { value: median(times.slice(10)), unit: "ms" };
metrics.bundle_items = { value: session.verdicts.offline.summary.items, unit: "items" };

writeMetrics("bench/results/evidence.json", metrics);
