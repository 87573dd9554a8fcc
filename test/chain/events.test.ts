import { expect } from "chai";
import type { ChainEvent } from "../../src/chain/events.js";
import { anchor, anchoredState, anchorsHandlers, openAnchorsReader } from "./anchors.js";
import { harness, rejection, type Harness } from "./harness.js";

describe("chain/events: the event reader", function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => h.close());

  it("should process each log once, in bounded ranges, only up to latest − confirmations", async () => {
    const roots = [];
    for (let i = 0; i < 5; i++) roots.push(await anchor(h));
    const db = h.openDb();
    const seen: ChainEvent[] = [];
    const reader = await openAnchorsReader(h, db, { ...anchorsHandlers(seen) });
    const result = await reader.sync();
    const head = Number(await h.hh("eth_blockNumber"));
    expect(result.toBlock).to.equal(head - 1);
    expect(seen.map((e) => e.named.root)).to.deep.equal(roots.slice(0, 4));
    for (const call of h.proxy.callsOf("eth_getLogs")) {
      const { fromBlock, toBlock } = call.params[0] as { fromBlock: string; toBlock: string };
      expect(Number(toBlock) - Number(fromBlock)).to.be.lessThan(2);
    }
    expect(seen[0]).to.include({ name: "BatchAnchored" });
    expect(seen[0]!.named.submitter).to.equal(h.f.participants.aggregator.address);

    await h.hh("evm_mine");
    await reader.sync();
    const restarted = await openAnchorsReader(h, db, { ...anchorsHandlers(seen) });
    await restarted.sync();
    expect(seen.map((e) => e.named.root)).to.deep.equal(roots);
    expect(anchoredState(db)).to.have.length(5);
    expect(Number(db.get("SELECT count(*) AS n FROM event_logs")!.n)).to.equal(5);
  });

  it("should leave the cursor and the processed keys untouched when a handler fails, then process each log once", async () => {
    await anchor(h);
    await anchor(h);
    await h.hh("evm_mine");
    const db = h.openDb();
    let fail = true;
    const handlers = anchorsHandlers();
    const reader = await openAnchorsReader(h, db, {
      maxRange: 100,
      onEvent(event, tx) {
        handlers.onEvent(event, tx);
        if (fail && Number(tx.get("SELECT count(*) AS n FROM anchored")!.n) === 2) throw new Error("handler failed");
      },
    });
    const start = reader.nextBlock();
    expect((await rejection(reader.sync())).message).to.equal("handler failed");
    expect(reader.nextBlock()).to.equal(start);
    expect(anchoredState(db)).to.deep.equal([]);
    expect(db.get("SELECT count(*) AS n FROM event_logs")!.n).to.equal(0);
    fail = false;
    expect((await reader.sync()).events).to.equal(2);
    expect(anchoredState(db)).to.have.length(2);
  });

  it("should halve its block range while the node refuses a log query", async () => {
    for (let i = 0; i < 3; i++) await anchor(h);
    await h.hh("evm_mine");
    h.proxy.inject({ method: "eth_getLogs", fault: { kind: "error", code: -32005, message: "query returned more than 10000 results" }, times: 2 });
    const db = h.openDb();
    const reader = await openAnchorsReader(h, db, { maxRange: 8 });
    expect((await reader.sync()).events).to.equal(3);
    const spans = h.proxy.callsOf("eth_getLogs").map((c) => {
      const { fromBlock, toBlock } = c.params[0] as { fromBlock: string; toBlock: string };
      return Number(toBlock) - Number(fromBlock) + 1;
    });
    expect(spans.slice(0, 3)).to.deep.equal([8, 4, 2]);
  });

  it("should refuse another chain, and a cursor recorded for another start block", async () => {
    const db = h.openDb();
    expect((await rejection(openAnchorsReader(h, db, { chainId: 5n }))).code).to.equal("WRONG_CHAIN");
    await openAnchorsReader(h, db);
    expect((await rejection(openAnchorsReader(h, db, { startBlock: 0 }))).code).to.equal("CONFIG");
  });
});
