import { expect } from "chai";
import { encodeBytes32String, hexlify, keccak256, randomBytes } from "ethers";
import fc from "fast-check";
import {
  as,
  balances,
  claimAmounts,
  closePeriod,
  currentPeriod,
  FIXTURE_PERIOD,
  INITIAL_DEPOSIT,
  proofOf,
  requestAndWait,
  settlementSuite,
  type SettlementFixture,
} from "./fixture.js";

const PERIOD = FIXTURE_PERIOD;
const MAX_CLAIM = (1n << 96n) - 1n;
const MAX_PAIR = (1n << 100n) - 1n;
const REASON = encodeBytes32String("ENERGY_MISMATCH");
const BUNDLE = keccak256(encodeBytes32String("bundle"));

describe("RoamingSettlement: netting per pair, reservations and shortfalls", () => {
  const suite = settlementSuite();
  const fixture = () => suite.load();

  /** `host` claims `amount` from `home` in `period` as one CDR, or as one CDR per amount of a list. */
  const claim = (f: SettlementFixture, host: number, home: number, amount: bigint | bigint[], period = PERIOD) => claimAmounts(f, host, home, amount, period);

  /** Leaves `keep` of `supplier`'s balance in the contract (the rest is withdrawn after the notice). */
  async function drainTo(f: SettlementFixture, supplier: number, keep: bigint) {
    const s = f.suppliers[supplier]!;
    await requestAndWait(suite.connection, f.settlement, s, INITIAL_DEPOSIT);
    await as(f.settlement, s).withdraw(INITIAL_DEPOSIT - keep);
  }

  it("should net both directions of a pair into one move of the difference", async () => {
    const f = await fixture();
    const [A, B] = [f.supplierA.address, f.supplierB.address];
    await claim(f, 1, 0, 100n); // A owes B 100
    await claim(f, 0, 1, 30n); // B owes A 30
    await claim(f, 1, 0, 5n); // A owes B 5 more
    const [pair, bFromA, aFromB] = await f.settlement.pairOf(PERIOD, B, A);
    expect([pair.claims, pair.pending, pair.holds, pair.nettedAt]).to.deep.equal([3n, 3n, 0n, 0n]);
    expect([bFromA.amount, bFromA.reserved, aFromB.amount, aFromB.reserved]).to.deep.equal([105n, 105n, 30n, 30n]);
    await closePeriod(suite.connection, PERIOD);
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
      .to.emit(f.settlement, "PairNetted")
      .withArgs(PERIOD, B, A, 75n, 75n, 0n);
    expect(await balances(f)).to.deep.equal([INITIAL_DEPOSIT - 75n, INITIAL_DEPOSIT + 75n, INITIAL_DEPOSIT, INITIAL_DEPOSIT]);
    for (const s of [A, B]) expect(await f.settlement.lockedOf(s)).to.equal(0n);
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, B, A))
      .to.be.revertedWithCustomError(f.settlement, "SettlementPairNetted")
      .withArgs(PERIOD, B, A);
  });

  it("should refuse to net an open period, an empty pair, and a pair whose claims are not final", async () => {
    const f = await fixture();
    const [A, B, C] = [f.supplierA.address, f.supplierB.address, f.supplierC.address];
    const c = await claim(f, 1, 0, 100n);
    const [, closesAt] = await f.settlement.periodOf(PERIOD);
    await suite.connection.networkHelpers.time.setNextBlockTimestamp(closesAt);
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
      .to.be.revertedWithCustomError(f.settlement, "SettlementPeriodOpen")
      .withArgs(PERIOD, closesAt);
    await suite.connection.networkHelpers.time.setNextBlockTimestamp(closesAt + 1n);
    // Closed to claims, but the claim's window (3 days) is still open.
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
      .to.be.revertedWithCustomError(f.settlement, "SettlementPairNotFinal")
      .withArgs(PERIOD, A, B);
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, C))
      .to.be.revertedWithCustomError(f.settlement, "SettlementEmptyPair")
      .withArgs(PERIOD, A, C);
    await as(f.settlement, f.supplierA).acceptClaim(c.claimId);
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B)).to.emit(f.settlement, "PairNetted");
  });

  it("should pay what collateral covers, record the rest as the debtor's shortfall, and recover it from free money later", async () => {
    const f = await fixture();
    const [A, B] = [f.supplierA.address, f.supplierB.address];
    await drainTo(f, 0, 400n);
    const PERIOD = await currentPeriod(suite.connection);
    await claim(f, 1, 0, 1_000n, PERIOD); // A owes B 1,000 with 400 to cover it: 400 reserved
    expect(await f.settlement.lockedOf(A)).to.equal(400n);
    expect(await f.settlement.availableOf(A)).to.equal(0n);
    await closePeriod(suite.connection, PERIOD);
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
      .to.emit(f.settlement, "PairNetted")
      .withArgs(PERIOD, B, A, 1_000n, 400n, 600n);
    expect(await f.settlement.shortfallOf(PERIOD, A, B)).to.equal(600n);
    expect(await f.settlement.debtOf(A)).to.equal(600n);
    await expect(as(f.settlement, f.supplierC).recoverShortfall(PERIOD, A, B))
      .to.be.revertedWithCustomError(f.settlement, "SettlementNothingToRecover")
      .withArgs(PERIOD, A, B);
    // A deposits 250: its debt comes first, so none of it is available to withdraw.
    await as(f.token, f.supplierA).approve(await f.settlement.getAddress(), 250n);
    await f.token.mint(A, 250n);
    await as(f.settlement, f.supplierA).deposit(250n);
    expect(await f.settlement.availableOf(A)).to.equal(0n);
    await expect(as(f.settlement, f.supplierC).recoverShortfall(PERIOD, A, B))
      .to.emit(f.settlement, "ShortfallRecovered")
      .withArgs(PERIOD, A, B, 250n);
    expect(await f.settlement.shortfallOf(PERIOD, A, B)).to.equal(350n);
    expect(await f.settlement.debtOf(A)).to.equal(350n);
    expect(await f.settlement.balanceOf(B)).to.equal(INITIAL_DEPOSIT + 650n);
    expect(await f.token.balanceOf(await f.settlement.getAddress())).to.equal(3n * INITIAL_DEPOSIT + 650n);
  });

  it("should match the gross obligations of each pair for random obligation matrices (property)", async function () {
    this.timeout(120_000);
    const matrix = fc.array(
      fc.record({
        host: fc.integer({ min: 0, max: 3 }),
        home: fc.integer({ min: 0, max: 3 }),
        amount: fc.bigInt({ min: 1n, max: 50_000_000n }),
        accept: fc.boolean(),
      }),
      { minLength: 1, maxLength: 8 },
    );
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(matrix, async (obligations) => {
        const f = await fixture();
        const claims = obligations.filter((o) => o.host !== o.home);
        fc.pre(claims.length > 0);
        const net = [0n, 0n, 0n, 0n];
        const pairs = new Set<string>();
        for (const o of claims) {
          const c = await claim(f, o.host, o.home, o.amount);
          if (o.accept) await as(f.settlement, f.suppliers[o.home]!).acceptClaim(c.claimId);
          net[o.host]! += o.amount;
          net[o.home]! -= o.amount;
          pairs.add([Math.min(o.host, o.home), Math.max(o.host, o.home)].join(","));
        }
        const before = await balances(f);
        await closePeriod(suite.connection, PERIOD);
        for (const p of pairs) {
          const [x, y] = p.split(",").map(Number);
          await as(f.settlement, f.supplierA).netPair(PERIOD, f.suppliers[x!]!.address, f.suppliers[y!]!.address);
        }
        const after = await balances(f);
        expect(after.map((b, i) => b - before[i]!)).to.deep.equal(net);
        for (const s of f.suppliers) expect(await f.settlement.lockedOf(s.address)).to.equal(0n);
        expect(await f.token.balanceOf(await f.settlement.getAddress())).to.equal(4n * INITIAL_DEPOSIT);
        ++checked;
      }),
      { numRuns: 20, seed: 20_260_101 },
    );
    expect(checked).to.be.greaterThan(10);
  });

  // A direction's totals share one packed slot (docs/settlement.md, "Limits and bytecode").
  it("should keep a direction at exactly 2^100 - 1 exact through a dispute, a ruling and netting", async function () {
    this.timeout(120_000);
    const f = await fixture();
    const [A, B] = [f.supplierA.address, f.supplierB.address];
    // B claims 16 * (2^96 - 1) + 15 = 2^100 - 1 from A; A's 1,000 tEUR cover only the first claim.
    for (let i = 0; i < 16; ++i) await claim(f, 1, 0, [MAX_CLAIM]);
    const last = await claim(f, 1, 0, [5n, 5n, 5n]);
    const reverse = await claim(f, 0, 1, [70n, 30n]); // A claims 100 from B, reserved in full
    let [pair, bFromA, aFromB] = await f.settlement.pairOf(PERIOD, B, A);
    expect([pair.claims, pair.pending, pair.holds, pair.nettedAt]).to.deep.equal([18n, 18n, 0n, 0n]);
    expect([bFromA.amount, bFromA.reserved, aFromB.amount, aFromB.reserved]).to.deep.equal([MAX_PAIR, INITIAL_DEPOSIT, 100n, 100n]);
    // The pair's latest window is the later of its two directions' latest windows.
    const [lastStart, reverseStart] = await Promise.all([last, reverse].map(async (c) => (await f.settlement.claimOf(c.claimId)).windowStart as bigint));
    expect(reverseStart).to.be.greaterThan(lastStart!);
    expect(pair.lastWindowStart).to.equal(reverseStart);

    // One unit more is refused by name and changes nothing.
    const root = hexlify(randomBytes(32));
    const evidence = hexlify(randomBytes(32));
    await as(f.ledger, f.supplierB).anchorBatch(evidence, 1, 2);
    await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, A, 1n, root, 1, evidence, root))
      .to.be.revertedWithCustomError(f.settlement, "SettlementPairCapExceeded")
      .withArgs(PERIOD, B, A);
    expect((await f.settlement.pairOf(PERIOD, B, A))[1].amount).to.equal(MAX_PAIR);

    // A dispute next to the full amount counts into the same slot, and its ruling comes out of it.
    await as(f.settlement, f.supplierA).disputeCdr(last.claimId, last.cdrs[1]!.digest, 5n, proofOf(last, 1), REASON);
    [pair, bFromA] = await f.settlement.pairOf(PERIOD, A, B);
    expect([pair.claims, pair.pending, pair.holds]).to.deep.equal([18n, 18n, 1n]);
    expect(bFromA.amount).to.equal(100n); // seen from A: what A claims from B
    await as(f.settlement, f.arbiter).resolveDispute(1n, true, BUNDLE);
    [pair, bFromA, aFromB] = await f.settlement.pairOf(PERIOD, B, A);
    expect([pair.claims, pair.pending, pair.holds]).to.deep.equal([18n, 18n, 0n]);
    expect([bFromA.amount, bFromA.reserved, aFromB.amount, aFromB.reserved]).to.deep.equal([MAX_PAIR - 5n, INITIAL_DEPOSIT, 100n, 100n]);

    // Netting pays what A's reservation covers and records the rest as A's shortfall towards B.
    await closePeriod(suite.connection, PERIOD);
    const owed = MAX_PAIR - 5n - 100n;
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
      .to.emit(f.settlement, "PairNetted")
      .withArgs(PERIOD, B, A, owed, INITIAL_DEPOSIT, owed - INITIAL_DEPOSIT);
    expect(await f.settlement.shortfallOf(PERIOD, A, B)).to.equal(owed - INITIAL_DEPOSIT);
    expect(await f.settlement.shortfallOf(PERIOD, B, A)).to.equal(0n);
    expect(await f.settlement.debtOf(A)).to.equal(owed - INITIAL_DEPOSIT);
    for (const s of [A, B]) expect(await f.settlement.lockedOf(s)).to.equal(0n);
    [pair, bFromA, aFromB] = await f.settlement.pairOf(PERIOD, B, A);
    expect(pair.nettedAt).to.not.equal(0n);
    expect([pair.claims, pair.pending, pair.holds]).to.deep.equal([18n, 18n, 0n]);
    expect([bFromA.amount, bFromA.reserved, aFromB.amount, aFromB.reserved]).to.deep.equal([MAX_PAIR - 5n, INITIAL_DEPOSIT, 100n, 100n]);
    await expect(as(f.settlement, f.supplierC).netPair(PERIOD, B, A))
      .to.be.revertedWithCustomError(f.settlement, "SettlementPairNetted")
      .withArgs(PERIOD, B, A);
  });
});
