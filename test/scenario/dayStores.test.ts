/**
 * The anchoring cadence of the day's stores (`DayStores.anchorDue`): a round anchors exactly the
 * stores holding a message not yet anchored that would expire before the next round (plus its
 * margin), at the day's time and before that expiry; a round whose chain clock is already past an
 * expiry is a typed failure, never evidence anchored too late in silence.
 */
import { join } from "node:path";
import { expect } from "chai";
import { buildBatch } from "../../src/evidence/merkle.js";
import { AnchorKind } from "../../src/evidence/types.js";
import { DayClock } from "../../src/scenario/day/clock.js";
import { DayError } from "../../src/scenario/day/errors.js";
import { GasBook } from "../../src/scenario/day/gas.js";
import { ANCHOR_ROUND_MARGIN_SECONDS, DayStores } from "../../src/scenario/day/stores.js";
import type { DayChain } from "../../src/scenario/day/world.js";
import { randomId } from "../evidence/offline.js";
import { sessionTools } from "../evidence/session.js";
import { createNetwork } from "../helpers/network.js";

const conn = await createNetwork();

describe("Scenario: the anchoring cadence of the day's stores", function () {
  this.timeout(120_000);

  async function cadence() {
    const t = await sessionTools(conn);
    const stores = new DayStores(join(t.dir, "day-stores"), { chainId: t.fx.chainId, verifyingContract: t.fx.ledgerAddress }, t.fx.ledgerBlock);
    const aggregator = stores.open("A1", "aggregator.sqlite", t.account("aggregator"));
    const supplier = stores.open("S1", "supplier.sqlite", t.account("supplierA"));
    const user = stores.open("user", "user.sqlite");
    const now = BigInt(await conn.networkHelpers.time.latest()) + 10n;
    const clock = new DayClock(now);
    const chain = { name: "test", provider: conn.ethers.provider, operator: t.account("aggregator") } as unknown as DayChain;
    return { t, stores, aggregator, supplier, user, clock, chain, gas: new GasBook(), now };
  }

  /** The `DayError("FAILED")` that `run` rejects with (fails the test if it resolves or rejects otherwise). */
  const dayFailure = async (run: Promise<unknown>): Promise<DayError> => {
    const error = await run.then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(DayError);
    expect((error as DayError).code).to.equal("FAILED");
    return error as DayError;
  };

  const pending = (store: { batches: { unanchoredExpiring(before: bigint): { digest: string }[] } }) => store.batches.unanchoredExpiring(2n ** 62n).map((m) => m.digest);

  it("should anchor only the stores with a message expiring before the next round, before it expires", async () => {
    const c = await cadence();
    const session = randomId();
    const csev = await c.t.sign("aggregator", "Csev", session, 0n, c.now, 300n);
    const reading = await c.t.sign("supplierA", "MeterReading", session, 0n, c.now, 86_400n);
    c.aggregator.putMessage(csev);
    c.supplier.putMessage(reading);
    c.user.putMessage(csev);
    const next = c.now + 900n;
    expect(await c.stores.anchorDue(next, c)).to.equal(1);
    const [batch] = c.aggregator.batches.containing(csev.digest);
    expect(batch!.batch.anchor!.blockTime).to.be.at.least(Number(c.now)).and.at.most(Number(csev.header.expiresAt));
    expect(pending(c.aggregator)).to.deep.equal([]);
    // The reading lives a day: it waits for a later round; the user's store has no anchoring account.
    expect(pending(c.supplier)).to.deep.equal([reading.digest]);
    expect(pending(c.user)).to.deep.equal([csev.digest]);
    expect(await c.stores.anchorDue(next, c)).to.equal(0);
    // Within the margin of the next round's time it is due now.
    expect(await c.stores.anchorDue(reading.header.expiresAt - ANCHOR_ROUND_MARGIN_SECONDS + 1n, c)).to.equal(1);
    expect(pending(c.supplier)).to.deep.equal([]);
    expect(await c.stores.anchorAll(c.gas)).to.deep.equal({ batches: 2, roots: 2, atEnd: 0 });
    c.stores.close();
  });

  it("should anchor a message held by two stores once, by the store opened first", async () => {
    const c = await cadence();
    const site = c.stores.open("site", "site.sqlite", c.t.account("meter"));
    const csev = await c.t.sign("aggregator", "Csev", randomId(), 0n, c.now, 300n);
    c.aggregator.putMessage(csev);
    site.putMessage(csev);
    expect(await c.stores.anchorDue(c.now + 900n, c)).to.equal(1);
    expect(pending(c.aggregator)).to.deep.equal([]);
    expect(pending(site)).to.deep.equal([csev.digest]);
    // Later rounds do not take it again: the day's first anchor of it stands.
    expect(await c.stores.anchorDue(c.now + 1800n, c)).to.equal(0);
    c.stores.close();
  });

  it("should fail with a typed error rather than anchor a message after its expiry", async () => {
    const c = await cadence();
    const csev = await c.t.sign("aggregator", "Csev", randomId(), 0n, c.now, 300n);
    c.aggregator.putMessage(csev);
    await conn.networkHelpers.time.increaseTo(csev.header.expiresAt + 60n);
    const error = await dayFailure(c.stores.anchorDue(c.now + 900n, c));
    expect(error.details).to.include({ party: "A1", expiresAt: csev.header.expiresAt.toString() });
    c.stores.close();
  });

  it("should record a due batch that a crashed run anchored with the store's account, without sending it again", async () => {
    const c = await cadence();
    const csev = await c.t.sign("aggregator", "Csev", randomId(), 0n, c.now, 300n);
    c.aggregator.putMessage(csev);
    const pendingBatch = c.aggregator.batches.insert("Messages", buildBatch([csev.digest]));
    const crashed = await c.t.fx.ledger.connect(c.t.account("aggregator")).anchorBatch(pendingBatch.root, 1, AnchorKind.Messages);
    const crashedAt = (await crashed.wait())!.blockNumber;
    const account = c.t.fx.participants.aggregator.address;
    const nonce = await conn.ethers.provider.getTransactionCount(account);
    expect(await c.stores.anchorDue(c.now + 900n, c)).to.equal(1);
    expect(c.aggregator.batches.get(pendingBatch.root)?.anchor).to.deep.include({ txHash: crashed.hash, blockNumber: crashedAt });
    expect(await conn.ethers.provider.getTransactionCount(account)).to.equal(nonce);
    c.stores.close();
  });

  it("should fail with a typed error when a store's anchoring leaves a due message out", async () => {
    const c = await cadence();
    const session = randomId();
    const older = await c.t.sign("aggregator", "Csev", session, 0n, c.now, 86_400n);
    const csev = await c.t.sign("aggregator", "Csev", session, 1n, c.now, 300n);
    c.aggregator.putMessage(older);
    // A batch recorded before (say, before a crash) and never anchored is resumed first.
    c.aggregator.batches.insert("Messages", buildBatch([older.digest]));
    c.aggregator.putMessage(csev);
    const error = await dayFailure(c.stores.anchorDue(c.now + 900n, c));
    expect(error.details).to.include({ party: "A1", digest: csev.digest });
    c.stores.close();
  });
});
