import { expect } from "chai";
import { getAddress, hexlify, randomBytes, Wallet } from "ethers";
import { anchorThrough, type AnchorWrite, type AnchorWriter } from "../../src/evidence/anchor.js";
import { buildBatch } from "../../src/evidence/merkle.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import type { AnchorInfo, StoredBatch } from "../../src/evidence/storeBatches.js";

const LEDGER = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
const CHAIN = 31337n;
const us = Wallet.createRandom().address;
const them = Wallet.createRandom().address;
const digest = () => hexlify(randomBytes(32));

function anchorBy(submitter: string): AnchorInfo {
  return { txHash: hexlify(randomBytes(32)), blockNumber: 7, blockTime: 1_900_000_000, chainId: CHAIN, ledger: LEDGER, submitter };
}

/** A writer that answers `write` and `find` as told and records what it was asked. */
function writer(write: AnchorWrite, found: AnchorInfo | null = null): AnchorWriter & { finds: number } {
  const w = {
    account: us,
    finds: 0,
    write: () => Promise.resolve(write),
    find: () => {
      w.finds++;
      return Promise.resolve(found);
    },
  };
  return w;
}

describe("anchorThrough: the one anchoring of a batch root, whatever writes it", () => {
  let store: EvidenceStore;
  let batch: StoredBatch;

  beforeEach(() => {
    store = EvidenceStore.open(":memory:", { domain: { chainId: CHAIN, verifyingContract: LEDGER } });
    batch = store.batches.insert("ChargeDetailRecords", buildBatch([digest(), digest()]));
  });

  afterEach(() => store.close());

  it("records a mined anchor of this account", async () => {
    const anchor = anchorBy(us);
    const outcome = await anchorThrough(store, batch, writer({ kind: "anchored", anchor }));
    expect(outcome).to.deep.equal({ kind: "anchored", anchor });
    expect(store.batches.get(batch.root)?.anchor?.txHash).to.equal(anchor.txHash);
  });

  it("refuses an anchor by another account and records nothing (a copied root is not our evidence)", async () => {
    const mined = await anchorThrough(store, batch, writer({ kind: "anchored", anchor: anchorBy(them) }));
    expect(mined).to.deep.include({ kind: "stuck" });
    expect((mined as { note: string }).note).to.match(/anchored by another account/);
    const found = await anchorThrough(store, batch, writer({ kind: "already" }, anchorBy(them)));
    expect(found).to.deep.include({ kind: "stuck" });
    expect(store.batches.get(batch.root)?.anchor ?? null).to.equal(null);
  });

  it("looks the anchor up when the ledger already holds the root, and is stuck when it is not this account's", async () => {
    const anchor = anchorBy(us);
    const w = writer({ kind: "already" }, anchor);
    expect(await anchorThrough(store, batch, w)).to.deep.equal({ kind: "anchored", anchor });
    expect(w.finds).to.equal(1);
    const other = store.batches.insert("ChargeDetailRecords", buildBatch([digest()]));
    const none = await anchorThrough(store, other, writer({ kind: "already" }, null));
    expect(none).to.deep.include({ kind: "stuck" });
    expect(store.batches.get(other.root)?.anchor ?? null).to.equal(null);
  });

  it("records nothing while the write is in flight or stuck, and never writes an anchored batch again", async () => {
    expect(await anchorThrough(store, batch, writer({ kind: "waiting" }))).to.deep.equal({ kind: "waiting" });
    expect(await anchorThrough(store, batch, writer({ kind: "stuck", note: "given up" }))).to.deep.equal({ kind: "stuck", note: "given up" });
    expect(store.batches.get(batch.root)?.anchor ?? null).to.equal(null);
    const anchor = anchorBy(us);
    await anchorThrough(store, batch, writer({ kind: "anchored", anchor }));
    let wrote = false;
    const again = await anchorThrough(store, store.batches.get(batch.root)!, { account: us, find: () => Promise.resolve(null), write: () => {
      wrote = true;
      return Promise.resolve({ kind: "waiting" });
    } });
    expect(again.kind).to.equal("anchored");
    expect(wrote).to.equal(false);
  });

  it("refuses an anchor on another chain than the store's", async () => {
    const foreign = { ...anchorBy(us), chainId: 1n };
    const error = await anchorThrough(store, batch, writer({ kind: "anchored", anchor: foreign })).then(() => null, (e: unknown) => e);
    expect(error).to.have.property("code", "BAD_INPUT");
    expect(store.batches.get(batch.root)?.anchor ?? null).to.equal(null);
    expect(store.batches.get(batch.root)?.sentTxHash ?? null).to.equal(null);
  });
});
