import { expect } from "chai";
import { anchor, anchoredState, openAnchorsReader } from "./anchors.js";
import { harness, type Harness } from "./harness.js";

describe("chain: confirmations and reorgs", function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => h.close());

  it("should finalize nothing before its confirmations, and resend a transaction whose block a reorg removed", async () => {
    const outbox = await h.openOutbox(h.openDb(), { confirmations: 3 });
    const intent = h.anchorIntent("anchor-reorged");
    const snapshot = await h.hh("evm_snapshot");
    outbox.enqueue(intent);
    await outbox.tick();
    const first = outbox.get(intent.key)!;
    expect(first.status).to.equal("mined");
    await h.hh("evm_mine");
    await outbox.poll();
    expect(outbox.get(intent.key)!).to.include({ status: "mined", confirmations: 2 });

    // A reorg: the chain forks below the transaction's block and grows past it without it.
    await h.hh("evm_revert", [snapshot]);
    await h.hh("hardhat_mine", ["0x3"]);
    expect(await h.anchoredLogs(intent.root)).to.have.length(0);
    await outbox.poll();
    const reorged = outbox.get(intent.key)!;
    expect(reorged.status).to.equal("signed");
    expect(reorged.lastError).to.match(/reorg/);
    expect(reorged.blockNumber).to.equal(null);

    await outbox.tick();
    expect(outbox.get(intent.key)!.status).to.equal("mined");
    await h.hh("evm_mine");
    await outbox.poll();
    expect(outbox.get(intent.key)!.status, "2 of 3 confirmations").to.equal("mined");
    await h.hh("evm_mine");
    await outbox.poll();
    const final = outbox.get(intent.key)!;
    expect(final.status).to.equal("final");
    expect(final.minedHash).to.equal(first.txHash);
    expect(final.blockHash).to.not.equal(first.blockHash);
    expect(outbox.history(intent.key).map((t) => t.to)).to.deep.equal(["queued", "signed", "sent", "mined", "signed", "sent", "mined", "final"]);
    const logs = await h.anchoredLogs(intent.root);
    expect(logs.map((l) => l.transactionHash)).to.deep.equal([first.txHash]);
  });

  it("should roll the event cursor back to the fork point and re-read to the state a fresh reader derives", async () => {
    const db = h.openDb();
    const rollbacks: number[] = [];
    const reader = await openAnchorsReader(h, db, {
      onRollback(fromBlock, tx) {
        rollbacks.push(fromBlock);
        tx.run("DELETE FROM anchored WHERE block >= ?", fromBlock);
      },
    });
    const snapshot = await h.hh("evm_snapshot");
    const forkBlock = Number(await h.hh("eth_blockNumber")) + 1;
    const roots = [await anchor(h), await anchor(h), await anchor(h)];
    await h.hh("evm_mine");
    await reader.sync();
    expect(anchoredState(db).map((r) => (r as { root: string }).root)).to.deep.equal(roots);

    await h.hh("evm_revert", [snapshot]);
    const replacement = await anchor(h);
    await h.hh("evm_mine");
    await anchor(h, roots[1]);
    await h.hh("hardhat_mine", ["0x3"]);
    const result = await reader.sync();
    expect(result.rolledBackTo).to.be.a("number").and.to.be.at.most(forkBlock);
    expect(rollbacks).to.deep.equal([result.rolledBackTo]);
    const state = anchoredState(db) as { root: string }[];
    expect(state.map((r) => r.root)).to.deep.equal([replacement, roots[1]]);

    const freshDb = h.openDb("fresh.sqlite");
    const fresh = await openAnchorsReader(h, freshDb);
    await fresh.sync();
    expect(anchoredState(freshDb)).to.deep.equal(state);
    const keys = (d: typeof db) => d.all("SELECT tx_hash, log_index, block_number, block_hash FROM event_logs ORDER BY block_number, log_index");
    expect(keys(db)).to.deep.equal(keys(freshDb));
    expect(await reader.sync()).to.include({ rolledBackTo: null, events: 0 });
  });
});
