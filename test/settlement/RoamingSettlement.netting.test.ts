import { expect } from "chai";
import fc from "fast-check";
import type { Log } from "ethers";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { as, deploySettlement, INITIAL_DEPOSIT, makeCdrs, submitClaim, WINDOW, type SettlementFixture } from "./fixture.js";

const PERIOD = 42;

describe("RoamingSettlement: multilateral netting", () => {
  let connection: TestConnection;
  before(async () => {
    connection = await createNetwork();
  });
  async function settlementFixture() {
    return deploySettlement(connection);
  }
  const fixture = () => connection.networkHelpers.loadFixture(settlementFixture);

  /** Claims of fixed amounts: `host` claims `amount` from `home` in `period` as one CDR. */
  async function claim(f: SettlementFixture, host: number, home: number, amount: bigint, period = PERIOD) {
    const [h, d] = [f.suppliers[host]!, f.suppliers[home]!];
    return submitClaim(f, h, d, period, makeCdrs(f, h.address, d.address, 1, () => amount));
  }

  async function balances(f: SettlementFixture): Promise<bigint[]> {
    return Promise.all(f.suppliers.map(async (s) => (await f.settlement.balanceOf(s.address)) as bigint));
  }

  function netTransfers(f: SettlementFixture, logs: readonly Log[]) {
    return logs
      .map((l) => f.settlement.interface.parseLog(l))
      .filter((e) => e?.name === "NetTransfer")
      .map((e) => ({ from: e!.args.from as string, to: e!.args.to as string, amount: e!.args.amount as bigint }));
  }

  it("should settle five gross claims with at most n - 1 transfers of the net positions", async () => {
    const f = await fixture();
    const [A, B, C, D] = f.suppliers.map((s) => s.address);
    await claim(f, 1, 0, 100n); // A owes B 100
    await claim(f, 2, 1, 60n); // B owes C 60
    await claim(f, 0, 2, 30n); // C owes A 30
    await claim(f, 0, 3, 50n); // D owes A 50
    await claim(f, 3, 1, 20n); // B owes D 20
    // Net: A -20, B +20, C +30, D -30; supplier order of first appearance: B, A, C, D.
    const before = await balances(f);
    await connection.networkHelpers.time.increase(WINDOW + 1n);
    const tx = await as(f.settlement, f.supplierC).netPeriod(PERIOD);
    const receipt = await tx.wait();
    const transfers = netTransfers(f, receipt!.logs);
    expect(transfers).to.deep.equal([
      { from: A, to: B, amount: 20n },
      { from: D, to: C, amount: 30n },
    ]);
    await expect(tx).to.emit(f.settlement, "PeriodNetted").withArgs(PERIOD, 5n, 4n, 2n, 50n, 0n);
    const after = await balances(f);
    expect(after.map((b, i) => b - before[i]!)).to.deep.equal([-20n, 20n, 30n, -30n]);
    for (const s of [A, B, C, D]) expect(await f.settlement.lockedOf(s)).to.equal(0n);
    expect((await f.settlement.periodOf(PERIOD)).nettedAt).to.equal(
      BigInt((await connection.ethers.provider.getBlock(receipt!.blockNumber))!.timestamp),
    );
  });

  it("should net a period once, refuse late claims, empty periods and claims that are not final", async () => {
    const f = await fixture();
    await expect(as(f.settlement, f.supplierA).netPeriod(PERIOD))
      .to.be.revertedWithCustomError(f.settlement, "SettlementEmptyPeriod")
      .withArgs(PERIOD);
    const c1 = await claim(f, 1, 0, 100n);
    const c2 = await claim(f, 2, 0, 100n);
    await as(f.settlement, f.supplierA).acceptClaim(c1.claimId);
    await expect(as(f.settlement, f.supplierA).netPeriod(PERIOD))
      .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotFinal")
      .withArgs(c2.claimId);
    await as(f.settlement, f.supplierA).acceptClaim(c2.claimId);
    await as(f.settlement, f.supplierA).netPeriod(PERIOD);
    await expect(as(f.settlement, f.supplierB).netPeriod(PERIOD))
      .to.be.revertedWithCustomError(f.settlement, "SettlementPeriodNetted")
      .withArgs(PERIOD);
    await expect(claim(f, 3, 0, 5n))
      .to.be.revertedWithCustomError(f.settlement, "SettlementPeriodNetted")
      .withArgs(PERIOD);
    // The same claim cannot be used again: it is netted.
    await expect(as(f.settlement, f.supplierA).acceptClaim(c1.claimId))
      .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotPending")
      .withArgs(c1.claimId, 3n);
    expect(await balances(f)).to.deep.equal([INITIAL_DEPOSIT - 200n, INITIAL_DEPOSIT + 100n, INITIAL_DEPOSIT + 100n, INITIAL_DEPOSIT]);
  });

  it("should settle what collateral covers pro rata, record the rest, and recover it exactly later", async () => {
    const f = await fixture();
    const [A, B, C] = f.suppliers.map((s) => s.address);
    // A has deposited 1,000 tEUR but owes B 1,200 and C 600.
    await claim(f, 1, 0, 1_200_000_000n);
    await claim(f, 2, 0, 600_000_000n);
    await connection.networkHelpers.time.increase(WINDOW + 1n);
    const tx = as(f.settlement, f.supplierB).netPeriod(PERIOD);
    // B gets floor(1200 * 1000 / 1800) = 666.666666, C floor(600 * 1000 / 1800) = 333.333333 tEUR;
    // the one unit of dust stays with A as part of its shortfall.
    await expect(tx).to.emit(f.settlement, "NetTransfer").withArgs(PERIOD, A, B, 666_666_666n);
    await expect(tx).to.emit(f.settlement, "NetTransfer").withArgs(PERIOD, A, C, 333_333_333n);
    await expect(tx).to.emit(f.settlement, "ShortfallRecorded").withArgs(PERIOD, A, 800_000_001n);
    await expect(tx).to.emit(f.settlement, "EntitlementRecorded").withArgs(PERIOD, B, 533_333_334n);
    await expect(tx).to.emit(f.settlement, "EntitlementRecorded").withArgs(PERIOD, C, 266_666_667n);
    await expect(tx).to.emit(f.settlement, "PeriodNetted").withArgs(PERIOD, 2n, 3n, 2n, 999_999_999n, 800_000_001n);
    expect(await f.settlement.balanceOf(A)).to.equal(1n);
    expect(await f.settlement.lockedOf(A)).to.equal(800_000_001n);
    expect(await f.settlement.availableOf(A)).to.equal(0n);
    expect(await f.settlement.shortfallOf(PERIOD, A)).to.equal(800_000_001n);
    const pool = await f.settlement.poolOf(PERIOD);
    expect([pool.totalEntitlement, pool.recovered, pool.distributed]).to.deep.equal([800_000_001n, 0n, 0n]);

    // The unit of dust is recovered, but a share of 1 / 800,000,001 rounds down to nothing.
    await expect(as(f.settlement, f.supplierC).recoverShortfall(PERIOD, A))
      .to.emit(f.settlement, "ShortfallRecovered")
      .withArgs(PERIOD, A, 1n);
    await expect(as(f.settlement, f.supplierB).claimRecovery(PERIOD))
      .to.be.revertedWithCustomError(f.settlement, "SettlementNothingToRecover")
      .withArgs(PERIOD, B);
    await expect(as(f.settlement, f.supplierC).recoverShortfall(PERIOD, A))
      .to.be.revertedWithCustomError(f.settlement, "SettlementNothingToRecover")
      .withArgs(PERIOD, A);

    // A tops up: its new deposit is held for the shortfall, then recovered into the pool.
    await f.token.mint(A, 900_000_000n);
    await as(f.token, f.supplierA).approve(await f.settlement.getAddress(), 900_000_000n);
    await as(f.settlement, f.supplierA).deposit(900_000_000n);
    expect(await f.settlement.availableOf(A)).to.equal(100_000_000n);
    await as(f.settlement, f.supplierC).recoverShortfall(PERIOD, A);
    expect(await f.settlement.shortfallOf(PERIOD, A)).to.equal(0n);
    expect(await f.settlement.lockedOf(A)).to.equal(0n);
    const entitlementB = await f.settlement.entitlementOf(PERIOD, B);
    expect([entitlementB.entitlement, entitlementB.taken, entitlementB.claimable]).to.deep.equal([
      533_333_334n,
      0n,
      533_333_334n,
    ]);
    await expect(as(f.settlement, f.supplierB).claimRecovery(PERIOD))
      .to.emit(f.settlement, "RecoveryClaimed")
      .withArgs(PERIOD, B, 533_333_334n);
    await as(f.settlement, f.supplierC).claimRecovery(PERIOD);
    await expect(as(f.settlement, f.supplierC).claimRecovery(PERIOD))
      .to.be.revertedWithCustomError(f.settlement, "SettlementNothingToRecover")
      .withArgs(PERIOD, C);
    expect(await balances(f)).to.deep.equal([
      INITIAL_DEPOSIT + 900_000_000n - 1_800_000_000n,
      INITIAL_DEPOSIT + 1_200_000_000n,
      INITIAL_DEPOSIT + 600_000_000n,
      INITIAL_DEPOSIT,
    ]);
    const drained = await f.settlement.poolOf(PERIOD);
    expect(drained.distributed).to.equal(drained.recovered);
  });

  it("should match gross obligations for random obligation matrices (property)", async function () {
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
    let period = 1000;
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(matrix, async (obligations) => {
        const f = await fixture();
        const claims = obligations.filter((o) => o.host !== o.home);
        fc.pre(claims.length > 0);
        const net = [0n, 0n, 0n, 0n];
        ++period;
        for (const o of claims) {
          const c = await claim(f, o.host, o.home, o.amount, period);
          if (o.accept) await as(f.settlement, f.suppliers[o.home]!).acceptClaim(c.claimId);
          net[o.host]! += o.amount;
          net[o.home]! -= o.amount;
        }
        const before = await balances(f);
        await connection.networkHelpers.time.increase(WINDOW + 1n);
        const receipt = await (await as(f.settlement, f.supplierA).netPeriod(period)).wait();
        const after = await balances(f);
        expect(after.map((b, i) => b - before[i]!)).to.deep.equal(net);
        const involved = new Set(claims.flatMap((o) => [o.host, o.home])).size;
        expect(netTransfers(f, receipt!.logs).length).to.be.at.most(involved - 1);
        expect(await f.token.balanceOf(await f.settlement.getAddress())).to.equal(4n * INITIAL_DEPOSIT);
        ++checked;
      }),
      { numRuns: 20, seed: 20_260_101 },
    );
    expect(checked).to.be.greaterThan(10);
  });
});
