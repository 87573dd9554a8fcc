import { expect } from "chai";
import { ContractFactory, getCreateAddress } from "ethers";
import { EvidenceLedgerAbi, EvidenceLedgerBytecode } from "../../src/chain/abi/index.js";
import {
  anchorNextBatch,
  recordOriginOnChain,
  recordReceiptOnChain,
  recordRefusalOnChain,
} from "../../src/evidence/anchor.js";
import { EvidenceError } from "../../src/evidence/errors.js";
import { ledgerAt } from "../../src/evidence/contracts.js";
import { buildBatch } from "../../src/evidence/merkle.js";
import { signReceipt } from "../../src/evidence/sign.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { AnchorKind } from "../../src/evidence/types.js";
import { createNetwork } from "../helpers/network.js";
import { randomId } from "./offline.js";
import { sessionTools } from "./session.js";

const conn = await createNetwork();
async function chainWithParties() {
  return sessionTools(conn);
}

async function chainError(p: Promise<unknown>, name: string): Promise<EvidenceError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(EvidenceError);
    expect((e as EvidenceError).code).to.equal("CHAIN");
    expect((e as EvidenceError).details.error).to.equal(name);
    return e as EvidenceError;
  }
  return expect.fail(`expected a ${name} revert`);
}

describe("Anchoring and on-chain records", function () {
  this.timeout(60_000);

  /** A fresh store with two messages of one session and their receipts. */
  async function setup() {
    const t = await conn.networkHelpers.loadFixture(chainWithParties);
    const store = EvidenceStore.open(":memory:", {
      domain: { chainId: t.fx.chainId, verifyingContract: t.fx.ledgerAddress },
    });
    const sid = randomId();
    const now = BigInt(await conn.networkHelpers.time.latest());
    const ms = [await t.sign("aggregator", "Csev", sid, 0n, now), await t.sign("aggregator", "Csev", sid, 1n, now)];
    store.putMessages(ms);
    const rs = [await t.receipt("meter", ms[0]!), await t.receipt("meter", ms[1]!)];
    store.putReceipts(rs);
    return { ...t, store, ms, rs };
  }

  it("should anchor a batch, record its transaction, block and time, and then have nothing left", async () => {
    const { store, fx, account, rs } = await setup();
    const batch = await anchorNextBatch(store, account("aggregator"), { kind: "Receipts" });
    expect(batch?.count).to.equal(2);
    expect(batch?.leaves).to.have.members(rs.map((r) => r.digest));
    const onChain = await fx.ledger.anchorOf(fx.participants.aggregator.address, batch!.root);
    expect(onChain.count).to.equal(2n);
    expect(onChain.kind).to.equal(BigInt(AnchorKind.Receipts));
    const tx = await conn.ethers.provider.getTransactionReceipt(batch!.anchor!.txHash);
    expect(tx?.blockNumber).to.equal(batch!.anchor!.blockNumber);
    expect(BigInt(batch!.anchor!.blockTime)).to.equal(onChain.anchoredAt);
    expect(batch!.anchor!.submitter).to.equal(fx.participants.aggregator.address);
    expect(await anchorNextBatch(store, account("aggregator"), { kind: "Receipts" })).to.equal(null);
  });

  it("should resume a batch anchored before a crash without sending it again", async () => {
    const { store, fx, account } = await setup();
    const pending = store.batches.insert("Messages", buildBatch(store.batches.unbatched("Messages")));
    const agg = account("aggregator");
    const tx = await fx.ledger.connect(agg).anchorBatch(pending.root, pending.count, AnchorKind.Messages);
    await tx.wait();
    const nonce = await conn.ethers.provider.getTransactionCount(fx.participants.aggregator.address);
    const batch = await anchorNextBatch(store, agg, { kind: "Messages" });
    expect(batch?.root).to.equal(pending.root);
    expect(batch?.anchor?.txHash).to.equal(tx.hash);
    expect(await conn.ethers.provider.getTransactionCount(fx.participants.aggregator.address)).to.equal(nonce);
  });

  it("should follow a batch's recorded send to its anchor after a crash before the store recorded the anchor", async () => {
    const { store, fx, account } = await setup();
    const agg = account("aggregator");
    const pending = store.batches.insert("Receipts", buildBatch(store.batches.unbatched("Receipts")));
    const tx = await fx.ledger.connect(agg).anchorBatch(pending.root, pending.count, AnchorKind.Receipts);
    store.batches.markSent(pending.root, tx.hash);
    const minedAt = (await tx.wait())!.blockNumber;
    const nonce = await conn.ethers.provider.getTransactionCount(fx.participants.aggregator.address);
    const batch = await anchorNextBatch(store, agg, { kind: "Receipts", fromBlock: fx.ledgerBlock });
    expect(batch?.anchor).to.deep.include({ txHash: tx.hash, blockNumber: minedAt });
    expect(await conn.ethers.provider.getTransactionCount(fx.participants.aggregator.address)).to.equal(nonce);
  });

  it("should find this account's earlier anchor of a root made before the store's last anchor, and ignore another account's", async () => {
    const { store, fx, account, ms } = await setup();
    const agg = account("aggregator");
    const provider = conn.ethers.provider;
    const second = buildBatch([ms[1]!.digest]);
    // Another account anchoring the same root first makes it no evidence of this store.
    await (await fx.ledger.connect(account("supplierA")).anchorBatch(second.root, 1, AnchorKind.Messages)).wait();
    // A run that crashed before recording it anchored the second message with this account...
    const crashed = await fx.ledger.connect(agg).anchorBatch(second.root, 1, AnchorKind.Messages);
    const crashedAt = (await crashed.wait())!.blockNumber;
    // ...and this run anchors the first message, in a later block: the store's last known anchor.
    const options = { kind: "Messages", limit: 1, fromBlock: fx.ledgerBlock } as const;
    const first = await anchorNextBatch(store, agg, options);
    expect(first?.leaves).to.deep.equal([ms[0]!.digest]);
    expect(first!.anchor!.blockNumber).to.be.greaterThan(crashedAt);
    const nonce = await provider.getTransactionCount(fx.participants.aggregator.address);
    const resumed = await anchorNextBatch(store, agg, options);
    expect(resumed?.root).to.equal(second.root);
    expect(resumed?.anchor).to.deep.include({ txHash: crashed.hash, blockNumber: crashedAt, submitter: fx.participants.aggregator.address });
    expect(await provider.getTransactionCount(fx.participants.aggregator.address)).to.equal(nonce);
  });

  it("should find an anchor mined in the ledger's deployment block, and fail rather than miss one before its search range", async () => {
    const { fx, account } = await setup();
    const agg = account("aggregator");
    const provider = conn.ethers.provider;
    const batch = buildBatch([randomId(), randomId()]);
    // The ledger's deployment and an anchoring through it, mined in one block.
    await provider.send("evm_setAutomine", [false]);
    let deployHash: string, anchorHash: string;
    try {
      const deploy = await new ContractFactory(EvidenceLedgerAbi, EvidenceLedgerBytecode, fx.admin).getDeployTransaction(fx.registryAddress);
      const sent = await fx.admin.sendTransaction({ ...deploy, gasLimit: 10_000_000 });
      deployHash = sent.hash;
      const address = getCreateAddress({ from: fx.admin.address, nonce: sent.nonce });
      anchorHash = (await ledgerAt(address, agg).anchorBatch!(batch.root, 2, AnchorKind.Messages, { gasLimit: 300_000 })).hash;
      await provider.send("evm_mine", []);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    const deployed = (await provider.getTransactionReceipt(deployHash))!;
    expect((await provider.getTransactionReceipt(anchorHash))?.blockNumber).to.equal(deployed.blockNumber);
    const store = EvidenceStore.open(":memory:", { domain: { chainId: fx.chainId, verifyingContract: deployed.contractAddress! } });
    store.batches.insert("Messages", batch);
    // A search range that starts after the anchor cannot find it: a typed failure, nothing recorded.
    await chainError(anchorNextBatch(store, agg, { kind: "Messages", fromBlock: deployed.blockNumber + 1 }), "EvidenceAlreadyAnchored");
    expect(store.batches.pending().map((b) => b.root)).to.deep.equal([batch.root]);
    const nonce = await provider.getTransactionCount(fx.participants.aggregator.address);
    const found = await anchorNextBatch(store, agg, { kind: "Messages", fromBlock: deployed.blockNumber });
    expect(found?.anchor).to.deep.include({ txHash: anchorHash, blockNumber: deployed.blockNumber });
    expect(await provider.getTransactionCount(fx.participants.aggregator.address)).to.equal(nonce);
    store.close();
  });

  it("should keep a batch pending when the send reverts, decode the error, and anchor it on retry", async () => {
    const { store, fx, account } = await setup();
    await chainError(anchorNextBatch(store, fx.outsider, { kind: "Messages" }), "AccessControlUnauthorizedAccount");
    const [pending] = store.batches.pending();
    expect(pending?.kind).to.equal(AnchorKind.Messages);
    const batch = await anchorNextBatch(store, account("aggregator"), { kind: "Messages" });
    expect(batch?.root).to.equal(pending!.root);
    expect(store.batches.pending()).to.deep.equal([]);
  });

  it("should record origin and receipt with the same digests as the ledger, and decode replays", async () => {
    const { ms, rs, fx, account, t0 } = await setup();
    const origin = await (await recordOriginOnChain(account("meter"), fx.ledgerAddress, ms[0]!)).wait();
    expect(origin.digest).to.equal(ms[0]!.digest);
    await chainError(
      recordOriginOnChain(account("meter"), fx.ledgerAddress, ms[0]!),
      "EvidenceAlreadyRecorded",
    );
    const forged = await signReceipt(fx.keys.supplierA!, fx.participants.meter.address, fx.domain, rs[0]!.receipt);
    await chainError(recordReceiptOnChain(account("meter"), fx.ledgerAddress, forged), "EvidenceInvalidSigner");
    const receipt = await (await recordReceiptOnChain(account("supplierA"), fx.ledgerAddress, rs[0]!)).wait();
    expect(receipt.digest).to.equal(rs[0]!.digest);
    expect(receipt.blockTime).to.be.greaterThan(Number(t0));
  });

  it("should refuse a receipt only after its deadline, and store the refusal", async () => {
    const { store, fx, account, sign } = await setup();
    const sid = randomId();
    const now = BigInt(await conn.networkHelpers.time.latest());
    const payment = await sign("supplierB", "Payment", sid, 0n, now, 86_400n, "supplierA", now + 600n);
    store.putMessage(payment);
    await (await recordOriginOnChain(account("supplierB"), fx.ledgerAddress, payment)).wait();
    const refuse = (who: "supplierA" | "supplierB") =>
      recordRefusalOnChain(account(who), fx.ledgerAddress, payment.digest, store);
    await chainError(refuse("supplierB"), "EvidenceDeadlineNotReached");
    await conn.networkHelpers.time.increase(700);
    await chainError(refuse("supplierA"), "EvidenceNotOrigin");
    const refusal = await (await refuse("supplierB")).wait();
    expect(refusal.deadline).to.equal(Number(now + 600n));
    expect(store.session(sid).refusals).to.deep.equal([{ ...refusal, sessionId: sid }]);
  });
});
