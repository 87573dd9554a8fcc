/**
 * Gas of roaming settlement on the in-process Hardhat network. Writes
 * bench/results/settlement.json and prints a table:
 *
 *   gas_per_cdr_claim_1000           submitClaim + acceptClaim of one claim of 1,000 CDRs, per CDR
 *                                    (a fresh pair in a fresh period: every slot written is new)
 *   gas_dispute_one_cdr              disputeCdr of one CDR of that claim (a proof of depth 10)
 *   gas_resolve_dispute              the arbiter's ruling on it (upheld, no fee)
 *   gas_dispute_claim                disputeClaim of a whole claim whose package never came
 *   gas_resolve_claim_dispute        the arbiter's ruling on it (upheld: the claim is rejected, no fee)
 *   gas_prove_claim_sum_1000         proveClaimSum of an inflated 1,000-CDR claim (every leaf in calldata)
 *   gas_netting_10_suppliers         netPair of every pair of 10 suppliers who each claim from each
 *                                    other one (90 claims of 1 to 8 CDRs, 45 pairs), summed
 *   gas_netting_worst_case           the dearest single netPair of a period where half the debtors are
 *                                    short (a shortfall recorded, both directions reserved); every
 *                                    transaction starts with cold storage, and a pair's netting reads
 *                                    only its totals, so no period the contract accepts costs more
 *   gas_netting_worst_case_cap_ratio gas_netting_worst_case / 16,777,216 (the per-transaction cap)
 *   gas_per_cdr_naive_transfer       the peer: one ERC-20 transfer per CDR, median of 101
 *   naive_over_claim_ratio           gas_per_cdr_naive_transfer / gas_per_cdr_claim_1000
 *
 * plus, for context, the two transactions of the claim (gas_submit_claim_1000, gas_accept_claim) and
 * the evidence anchoring that precedes it (gas_evidence_anchor_1000, not counted above).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeBytes32String, hexlify, id, randomBytes, TypedDataEncoder, type BaseContract, type ContractRunner } from "ethers";
import { network } from "hardhat";
import { AnchorKind, evidenceDomain, messageTypes } from "../src/evidence/types.js";
import { median, writeMetrics, type Metrics } from "./metrics.js";

type Contract = Omit<BaseContract, "connect"> & {
  connect(runner: ContractRunner | null): Contract;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [method: string]: any;
};

const CDRS_PER_CLAIM = 1_000;
const SUPPLIERS = 10;
const NAIVE_TRANSFERS = 101;
const WINDOW = 3n * 24n * 3600n;
const PERIOD_SECONDS = 24n * 3600n;
const GRACE = 24n * 3600n;
const TIMING = { challengeWindow: WINDOW, periodSeconds: PERIOD_SECONDS, claimGrace: GRACE, withdrawalNotice: 6n * 24n * 3600n };
const TX_GAS_CAP = 16_777_216;
const CDR_AMOUNT = 4_250_000n; // 4.25 tEUR, six decimals

const { ethers, networkHelpers } = await network.create();
const signers = await ethers.getSigners();
const [admin] = signers;
const suppliers = signers.slice(1, 1 + SUPPLIERS);
if (!admin || suppliers.length < SUPPLIERS) throw new Error(`need ${SUPPLIERS + 1} accounts`);

async function deploy(name: string, args: unknown[] = []): Promise<Contract> {
  return (await ethers.deployContract(name, args)) as unknown as Contract;
}
async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint; logs: unknown[] } | null> }>) {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

const registry = await deploy("ParticipantRegistry", [0, admin.address, admin.address]);
const ledger = await deploy("EvidenceLedger", [await registry.getAddress()]);
const token = await deploy("SettlementTestToken");
const settlement = await deploy("RoamingSettlement", [
  await registry.getAddress(),
  await ledger.getAddress(),
  await token.getAddress(),
  TIMING,
  0,
  admin.address,
]);
const settlementAddress = await settlement.getAddress();
for (const s of suppliers) {
  await registry.grantRole(await registry.SUPPLIER_ROLE(), s.address);
  await registry.grantRole(await registry.SUBMITTER_ROLE(), s.address);
  await token.mint(s.address, 1_000_000_000_000n);
  await token.connect(s).approve(settlementAddress, 1_000_000_000_000n);
  await settlement.connect(s).deposit(100_000_000_000n);
}
/** The period the chain is in now. */
const periodNow = async () => Number(BigInt(await networkHelpers.time.latest()) / PERIOD_SECONDS);
await registry.grantRole(await registry.ARBITER_ROLE(), admin.address);
const { chainId } = await ethers.provider.getNetwork();
const domain = evidenceDomain(chainId, await ledger.getAddress());

/** `count` CDR digests (EIP-712 ChargeDetailRecord messages) of `host` against `home`. */
function cdrDigests(host: string, home: string, count: number): string[] {
  const types = messageTypes("ChargeDetailRecord");
  return Array.from({ length: count }, (_, i) =>
    TypedDataEncoder.hash(domain, types, {
      header: {
        sessionId: hexlify(randomBytes(32)),
        seq: 0n,
        nonce: hexlify(randomBytes(32)),
        issuedAt: 1_767_225_600n + BigInt(i),
        expiresAt: 1_769_817_600n,
        receiver: home,
        receiptDeadline: 1_767_225_600n + BigInt(i) + 86_400n,
      },
      body: {
        cdrId: hexlify(randomBytes(32)),
        hostSupplier: host,
        homeSupplier: home,
        start: 1_767_225_600n + BigInt(i),
        end: 1_767_227_400n + BigInt(i),
        energyWh: 11_000n,
        amount: CDR_AMOUNT,
        readingsRoot: hexlify(randomBytes(32)),
      },
    }),
  );
}

/** The host anchors its evidence and claims the CDRs; returns the tree and the gas of each step. */
async function claim(period: number, hostIndex: number, homeIndex: number, count: number, inflation = 1n) {
  const host = suppliers[hostIndex]!;
  const home = suppliers[homeIndex]!;
  const digests = cdrDigests(host.address, home.address, count);
  const tree = StandardMerkleTree.of(
    digests.map((d) => [d, CDR_AMOUNT]),
    ["bytes32", "uint256"],
  );
  const evidence = StandardMerkleTree.of(
    digests.map((d) => [d]),
    ["bytes32"],
  );
  const anchored = await gasOf(ledger.connect(host).anchorBatch(evidence.root, count, AnchorKind.ChargeDetailRecords));
  const submitted = await gasOf(
    settlement
      .connect(host)
      .submitClaim(period, home.address, inflation * CDR_AMOUNT * BigInt(count), tree.root, count, evidence.root, id(`package ${tree.root}`)),
  );
  const claimId = submitted.logs
    .map((l) => settlement.interface.parseLog(l as Parameters<typeof settlement.interface.parseLog>[0]))
    .find((e) => e?.name === "ClaimSubmitted")!.args.claimId as bigint;
  return { claimId, tree, digests, anchorGas: anchored.gasUsed, submitGas: submitted.gasUsed };
}

const metrics: Metrics = {};

// 1. One claim of 1,000 CDRs: submission and acceptance (the debtor's NRR).
const P = await periodNow();
const big = await claim(P, 0, 1, CDRS_PER_CLAIM);
const accepted = await gasOf(settlement.connect(suppliers[1]!).acceptClaim(big.claimId));
const claimGasPerCdr = Number(big.submitGas + accepted.gasUsed) / CDRS_PER_CLAIM;
metrics.gas_per_cdr_claim_1000 = { value: claimGasPerCdr, unit: "gas/CDR" };
metrics.gas_submit_claim_1000 = { value: Number(big.submitGas), unit: "gas" };
metrics.gas_accept_claim = { value: Number(accepted.gasUsed), unit: "gas" };
metrics.gas_evidence_anchor_1000 = { value: Number(big.anchorGas), unit: "gas (once per batch)" };

// 2. Dispute of one CDR of a 1,000-CDR claim, and the ruling.
const disputed = await claim(P, 2, 3, CDRS_PER_CLAIM);
const index = 617;
const dispute = await gasOf(
  settlement
    .connect(suppliers[3]!)
    .disputeCdr(disputed.claimId, disputed.digests[index], CDR_AMOUNT, disputed.tree.getProof(index), hexlify(randomBytes(32))),
);
metrics.gas_dispute_one_cdr = { value: Number(dispute.gasUsed), unit: "gas" };
const ruling = await gasOf(settlement.connect(admin).resolveDispute(1, true, hexlify(randomBytes(32))));
metrics.gas_resolve_dispute = { value: Number(ruling.gasUsed), unit: "gas" };

// 2b. Dispute of a whole 1,000-CDR claim whose package never came, and the ruling that rejects it.
const held = await claim(P, 4, 5, CDRS_PER_CLAIM);
const claimDispute = await gasOf(
  settlement.connect(suppliers[5]!).disputeClaim(held.claimId, encodeBytes32String("PACKAGE_MISSING")),
);
const claimDisputeId = (claimDispute.logs as Parameters<typeof settlement.interface.parseLog>[0][])
  .map((l) => settlement.interface.parseLog(l))
  .find((e) => e?.name === "ClaimDisputed")!.args.disputeId as bigint;
metrics.gas_dispute_claim = { value: Number(claimDispute.gasUsed), unit: "gas" };
const claimRuling = await gasOf(settlement.connect(admin).resolveClaimDispute(claimDisputeId, true, hexlify(randomBytes(32))));
metrics.gas_resolve_claim_dispute = { value: Number(claimRuling.gasUsed), unit: "gas" };

// 2c. A 1,000-CDR claim asking twice its CDRs' sum, cut down by the proof of the sum.
const inflated = await claim(P, 6, 7, CDRS_PER_CLAIM, 2n);
const all = inflated.tree.getMultiProof([...Array(CDRS_PER_CLAIM).keys()]);
const proven = await gasOf(
  settlement.connect(suppliers[7]!).proveClaimSum(inflated.claimId, all.leaves.map(([digest, amount]) => ({ digest, amount }))),
);
metrics.gas_prove_claim_sum_1000 = { value: Number(proven.gasUsed), unit: "gas" };

// 3. Netting of 10 suppliers in the next period: every supplier claims from every other one (90
// claims) a pseudo-random number of CDRs derived from the pair, so every run nets the same matrix.
// Half the suppliers first withdraw nearly all their collateral: as debtors they are short.
for (const s of suppliers.slice(0, SUPPLIERS / 2)) await settlement.connect(s).requestWithdrawal(1n << 100n);
await networkHelpers.time.increase(TIMING.withdrawalNotice);
for (const s of suppliers.slice(0, SUPPLIERS / 2)) {
  const keep = CDR_AMOUNT; // about one CDR of collateral left
  await settlement.connect(s).withdraw((await settlement.availableOf(s.address)) - keep);
}
const NET2 = await periodNow();
const cdrCount = (h: number, d: number) => 1 + (parseInt(id(`${h}->${d}`).slice(2, 6), 16) % 8);
for (let h = 0; h < SUPPLIERS; h++) {
  for (let d = 0; d < SUPPLIERS; d++) {
    if (h !== d) await claim(NET2, h, d, cdrCount(h, d), h < d ? 2n : 1n);
  }
}
await networkHelpers.time.increase(GRACE + PERIOD_SECONDS + WINDOW + 1n);
const nettingGas: number[] = [];
let short = 0;
for (let a = 0; a < SUPPLIERS; a++) {
  for (let b = a + 1; b < SUPPLIERS; b++) {
    const receipt = await gasOf(settlement.connect(suppliers[0]!).netPair(NET2, suppliers[a]!.address, suppliers[b]!.address));
    nettingGas.push(Number(receipt.gasUsed));
    const event = (receipt.logs as Parameters<typeof settlement.interface.parseLog>[0][])
      .map((l) => settlement.interface.parseLog(l))
      .find((e) => e?.name === "PairNetted")!;
    if ((event.args.shortfall as bigint) > 0n) ++short;
  }
}
if (short === 0) throw new Error("no netting was short: the worst case was not reached");
metrics.gas_netting_10_suppliers = { value: nettingGas.reduce((x, y) => x + y, 0), unit: "gas (90 claims, 45 pairs)" };
metrics.nettings_short_10_suppliers = { value: short, unit: "pairs with a shortfall" };
const worst = Math.max(...nettingGas);
metrics.gas_netting_worst_case = { value: worst, unit: "gas (one pair, cold, short)" };
metrics.gas_netting_worst_case_cap_ratio = { value: worst / TX_GAS_CAP, unit: "of 16,777,216" };
if (worst >= TX_GAS_CAP) throw new Error(`worst-case netting needs ${worst} gas`);

// 4. The peer: paying each CDR with its own ERC-20 transfer (home supplier to host).
const payer = suppliers[4]!;
const payee = suppliers[5]!;
const naive: number[] = [];
for (let i = 0; i < NAIVE_TRANSFERS; i++) {
  naive.push(Number((await gasOf(token.connect(payer).transfer(payee.address, CDR_AMOUNT))).gasUsed));
}
const naivePerCdr = median(naive);
metrics.gas_per_cdr_naive_transfer = { value: naivePerCdr, unit: "gas/CDR (median)" };
metrics.naive_over_claim_ratio = { value: naivePerCdr / claimGasPerCdr, unit: "x" };

console.table(
  Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, { value: v.value, unit: v.unit }])),
);
writeMetrics("bench/results/settlement.json", metrics);
