/**
 * A dishonest supplier's moves against the money rules, one block per rule (docs/settlement.md):
 * each test plays the attack and shows the defence with the exact custom error.
 */
import { expect } from "chai";
import { encodeBytes32String, hexlify, keccak256, randomBytes, toBeHex, zeroPadValue } from "ethers";
import {
  as,
  closePeriod,
  currentPeriod,
  FIXTURE_PERIOD,
  fund,
  INITIAL_DEPOSIT,
  makeCdrs,
  NOTICE,
  PERIOD_SECONDS,
  proofOf,
  settlementSuite,
  submitClaim,
  WINDOW,
  type SettlementFixture,
  type SubmittedClaim,
} from "./fixture.js";

const PERIOD = FIXTURE_PERIOD;
const REASON = encodeBytes32String("ENERGY_MISMATCH");
const BUNDLE = keccak256(encodeBytes32String("bundle"));
const MAX_CLAIM = (1n << 96n) - 1n;

describe("RoamingSettlement: a dishonest supplier's attacks", () => {
  const suite = settlementSuite();
  const fixture = () => suite.load();
  const time = () => suite.time();

  /** A claim of `amount` (not the sum of its CDRs) by `host` against `debtor`. */
  async function claimFor(f: SettlementFixture, host: number, debtor: number, amount: bigint, cdrCount = 3, period = PERIOD) {
    const [h, d] = [f.suppliers[host]!, f.suppliers[debtor]!];
    return submitClaim(f, h, d, period, makeCdrs(f, h.address, d.address, cdrCount), amount);
  }

  /** The complete leaf set of a claim, in the order of a multiproof of every leaf. */
  function allLeaves(claim: SubmittedClaim) {
    const all = claim.tree.getMultiProof([...Array(claim.cdrs.length).keys()]);
    expect(all.proof).to.deep.equal([]);
    return all.leaves.map(([digest, amount]) => ({ digest, amount }));
  }

  describe("1. an inflated claim is cut to the sum of its CDRs, with no arbiter", () => {
    it("should cut a 900 tEUR claim over 3.003 tEUR of CDRs to 3.003 tEUR, and net that only", async () => {
      const f = await fixture();
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      const claim = await claimFor(f, 1, 0, 900_000_000n); // B claims 900 tEUR from A
      const sum = claim.cdrs.reduce((s, c) => s + c.amount, 0n);
      expect(sum).to.equal(3_003_000n);
      // Anyone may prove it: here a third supplier.
      await expect(as(f.settlement, f.supplierC).proveClaimSum(claim.claimId, allLeaves(claim)))
        .to.emit(f.settlement, "ClaimSumProven")
        .withArgs(claim.claimId, f.supplierC.address, 900_000_000n, sum, sum);
      const c = await f.settlement.claimOf(claim.claimId);
      expect([c.amount, c.claimedAmount, c.reserved]).to.deep.equal([sum, sum, sum]);
      expect(await f.settlement.lockedOf(A)).to.equal(sum);
      await closePeriod(suite.connection, PERIOD);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, B, A, sum, sum, 0n);
      expect(await f.settlement.balanceOf(A)).to.equal(INITIAL_DEPOSIT - sum);
    });

    it("should keep what upheld CDR disputes took, and refuse a partial leaf set or a sum that is not below the claim", async () => {
      const f = await fixture();
      const claim = await claimFor(f, 1, 0, 900_000_000n);
      const a = as(f.settlement, f.supplierA);
      // The home disputes every failing leaf in one transaction (one multiproof).
      const two = claim.tree.getMultiProof([0, 2]);
      const cdrs = two.leaves.map(([digest, amount]) => ({ digest, amount }));
      await expect(a.disputeCdrs(claim.claimId, cdrs, two.proof, two.proofFlags, [REASON]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementBatchTooLarge")
        .withArgs(2n, 64n);
      await expect(a.disputeCdrs(claim.claimId, cdrs, two.proof, two.proofFlags, [REASON, REASON]))
        .to.emit(f.settlement, "CdrDisputed")
        .withArgs(2n, claim.claimId, cdrs[1]!.digest, cdrs[1]!.amount, REASON);
      await as(f.settlement, f.arbiter).resolveDispute(1, true, BUNDLE);
      const taken = cdrs[0]!.amount;
      const sum = claim.cdrs.reduce((s, c) => s + c.amount, 0n);
      const leaves = allLeaves(claim);
      await expect(a.proveClaimSum(claim.claimId, leaves.slice(1)))
        .to.be.revertedWithCustomError(f.settlement, "SettlementIncompleteLeafSet")
        .withArgs(claim.claimId);
      await expect(a.proveClaimSum(claim.claimId, [...leaves].reverse()))
        .to.be.revertedWithCustomError(f.settlement, "SettlementIncompleteLeafSet")
        .withArgs(claim.claimId);
      await a.proveClaimSum(claim.claimId, leaves);
      expect((await f.settlement.claimOf(claim.claimId)).amount).to.equal(sum - taken);
      await expect(a.proveClaimSum(claim.claimId, leaves))
        .to.be.revertedWithCustomError(f.settlement, "SettlementSumNotBelowClaim")
        .withArgs(claim.claimId, sum, sum);
      const honest = await submitClaim(f, f.supplierC, f.supplierA, PERIOD);
      const honestLeaves = allLeaves(honest);
      await expect(a.proveClaimSum(honest.claimId, honestLeaves))
        .to.be.revertedWithCustomError(f.settlement, "SettlementSumNotBelowClaim")
        .withArgs(honest.claimId, honest.amount, honest.amount);
      // A forged multiproof of the batch is refused.
      await expect(a.disputeCdrs(honest.claimId, honestLeaves.slice(0, 1), [hexlify(randomBytes(32))], [false], [REASON]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidProof")
        .withArgs(honest.claimId, honestLeaves[0]!.digest);
    });

    it("should refuse a claim declaring more CDRs than one sum proof can carry", async () => {
      const f = await fixture();
      const root = hexlify(randomBytes(32));
      const evidence = hexlify(randomBytes(32));
      await as(f.ledger, f.supplierB).anchorBatch(evidence, 1, 2);
      await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, f.supplierA.address, 1n, root, 1025, evidence, root))
        .to.be.revertedWithCustomError(f.settlement, "SettlementTooManyCdrs")
        .withArgs(1025n, 1024n);
    });
  });

  describe("2. collateral reserved for a claim serves that claim", () => {
    it("should pay an honest earlier claim in full although a colluding supplier claims the debtor's whole balance later", async () => {
      const f = await fixture();
      const [A, B, C] = [f.supplierA.address, f.supplierB.address, f.supplierC.address];
      // A claims 600 tEUR from B; B's collateral is 1,000 tEUR, so all 600 is reserved.
      const honest = await claimFor(f, 0, 1, 600_000_000n);
      expect((await f.settlement.claimOf(honest.claimId)).reserved).to.equal(600_000_000n);
      // Next period: B's accomplice C claims B's whole balance and B accepts at once.
      await time().increase(PERIOD_SECONDS);
      const colluding = await claimFor(f, 2, 1, INITIAL_DEPOSIT, 3, PERIOD + 1);
      expect((await f.settlement.claimOf(colluding.claimId)).reserved).to.equal(INITIAL_DEPOSIT - 600_000_000n);
      await as(f.settlement, f.supplierB).acceptClaim(colluding.claimId);
      await closePeriod(suite.connection, PERIOD + 1);
      // C nets first: it gets only what A's claim did not reserve.
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD + 1, B, C))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD + 1, C, B, INITIAL_DEPOSIT, INITIAL_DEPOSIT - 600_000_000n, 600_000_000n);
      await expect(as(f.settlement, f.supplierA).netPair(PERIOD, A, B))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, A, B, 600_000_000n, 600_000_000n, 0n);
      expect(await f.settlement.balanceOf(A)).to.equal(INITIAL_DEPOSIT + 600_000_000n);
    });

    it("should keep the earlier claim's reservation when a huge claim lands in the same period", async () => {
      const f = await fixture();
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      await claimFor(f, 0, 1, 300_000_000n);
      const huge = await claimFor(f, 2, 1, MAX_CLAIM);
      await as(f.settlement, f.supplierB).acceptClaim(huge.claimId);
      await closePeriod(suite.connection, PERIOD);
      // The colluder nets first and takes what A's claim did not reserve.
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, B, f.supplierC.address))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, f.supplierC.address, B, MAX_CLAIM, INITIAL_DEPOSIT - 300_000_000n, MAX_CLAIM - (INITIAL_DEPOSIT - 300_000_000n));
      await expect(as(f.settlement, f.supplierA).netPair(PERIOD, A, B))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, A, B, 300_000_000n, 300_000_000n, 0n);
    });

    it("should not let a debtor front-run a claim with a withdrawal: it needs a request, and the notice lets claims reserve", async () => {
      const f = await fixture();
      const b = as(f.settlement, f.supplierB);
      await expect(b.withdraw(INITIAL_DEPOSIT))
        .to.be.revertedWithCustomError(f.settlement, "SettlementWithdrawalNotRequested")
        .withArgs(f.supplierB.address, INITIAL_DEPOSIT, 0n);
      await b.requestWithdrawal(INITIAL_DEPOSIT);
      const [, readyAt] = await f.settlement.withdrawalOf(f.supplierB.address);
      await time().setNextBlockTimestamp(readyAt - 1n);
      await expect(b.withdraw(INITIAL_DEPOSIT))
        .to.be.revertedWithCustomError(f.settlement, "SettlementWithdrawalNotReady")
        .withArgs(f.supplierB.address, readyAt);
      await suite.connection.networkHelpers.mine(); // the last second of the notice
      // Then A's claim arrives and reserves its amount, before B's withdrawal.
      const claim = await claimFor(f, 0, 1, 250_000_000n, 3, await currentPeriod(suite.connection));
      await expect(b.withdraw(INITIAL_DEPOSIT))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInsufficientAvailable")
        .withArgs(f.supplierB.address, INITIAL_DEPOSIT, INITIAL_DEPOSIT - claim.amount);
      await expect(b.withdraw(INITIAL_DEPOSIT - claim.amount)).to.emit(f.settlement, "Withdrawn");
      expect(await f.settlement.balanceOf(f.supplierB.address)).to.equal(claim.amount);
      expect(NOTICE).to.be.greaterThan(PERIOD_SECONDS + WINDOW);
    });
  });

  describe("3. amounts are capped so that netting never overflows", () => {
    it("should refuse a claim above 2^96 - 1 with a named error, and keep netting two maximal claims", async () => {
      const f = await fixture();
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      const root = hexlify(randomBytes(32));
      const evidence = hexlify(randomBytes(32));
      await as(f.ledger, f.supplierB).anchorBatch(evidence, 1, 2);
      await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, A, (1n << 128n) - 1n, root, 1, evidence, root))
        .to.be.revertedWithCustomError(f.settlement, "SettlementAmountTooLarge")
        .withArgs((1n << 128n) - 1n, MAX_CLAIM);
      await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, A, MAX_CLAIM + 1n, root, 1, evidence, root))
        .to.be.revertedWithCustomError(f.settlement, "SettlementAmountTooLarge")
        .withArgs(MAX_CLAIM + 1n, MAX_CLAIM);
      await claimFor(f, 1, 0, MAX_CLAIM);
      await claimFor(f, 1, 0, MAX_CLAIM);
      // Another claim against the same victim still goes through.
      const other = await claimFor(f, 2, 0, 1_000n);
      expect((await f.settlement.claimOf(other.claimId)).reserved).to.equal(0n);
      await closePeriod(suite.connection, PERIOD);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, B, A, 2n * MAX_CLAIM, INITIAL_DEPOSIT, 2n * MAX_CLAIM - INITIAL_DEPOSIT);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, f.supplierC.address)).to.emit(f.settlement, "PairNetted");
    });

    it("should refuse the claim that would take a pair's period total above 2^100 - 1", async function () {
      this.timeout(60_000);
      const f = await fixture();
      for (let i = 0; i < 16; ++i) await claimFor(f, 1, 0, MAX_CLAIM, 1);
      const root = hexlify(randomBytes(32));
      const evidence = hexlify(randomBytes(32));
      await as(f.ledger, f.supplierB).anchorBatch(evidence, 1, 2);
      await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, f.supplierA.address, 16n, root, 1, evidence, root))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPairCapExceeded")
        .withArgs(PERIOD, f.supplierB.address, f.supplierA.address);
      // The exact boundary: 16 * (2^96 - 1) + 15 = 2^100 - 1 still fits.
      await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, f.supplierA.address, 15n, root, 1, evidence, root)).to.emit(
        f.settlement,
        "ClaimSubmitted",
      );
    });

    it("should refuse a deposit that would bring the contract's token balance to 2^128", async () => {
      const f = await fixture();
      const held = 4n * INITIAL_DEPOSIT;
      const amount = (1n << 128n) - held;
      await f.token.mint(f.supplierA.address, amount);
      await as(f.token, f.supplierA).approve(await f.settlement.getAddress(), amount);
      await expect(as(f.settlement, f.supplierA).deposit(amount))
        .to.be.revertedWithCustomError(f.settlement, "SettlementDepositTooLarge")
        .withArgs(1n << 128n);
      await expect(as(f.settlement, f.supplierA).deposit(amount - 1n)).to.emit(f.settlement, "Deposited");
    });
  });

  describe("4. late and junk claims cannot hold up honest netting", () => {
    it("should close a period to claims one second after its end plus grace", async () => {
      const f = await fixture();
      const [, closesAt] = await f.settlement.periodOf(PERIOD);
      await time().setNextBlockTimestamp(closesAt - 1n); // anchoring takes this block
      const late = hexlify(randomBytes(32));
      await as(f.ledger, f.supplierB).anchorBatch(late, 1, 2);
      await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, f.supplierA.address, 1n, late, 1, late, late)).to.emit(
        f.settlement,
        "ClaimSubmitted",
      ); // at closesAt exactly
      const root = hexlify(randomBytes(32));
      await time().setNextBlockTimestamp(closesAt + 1n);
      await expect(as(f.settlement, f.supplierB).submitClaim(PERIOD, f.supplierA.address, 1n, root, 1, late, root))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPeriodClosed")
        .withArgs(PERIOD, closesAt);
      const next = PERIOD + 10;
      await expect(as(f.settlement, f.supplierB).submitClaim(next, f.supplierA.address, 1n, root, 1, late, root))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPeriodNotStarted")
        .withArgs(next, BigInt(next) * PERIOD_SECONDS);
    });

    it("should net an honest pair while another pair of the debtor still waits on a junk claim's window", async () => {
      const f = await fixture();
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      const honest = await claimFor(f, 0, 1, 100n);
      await as(f.settlement, f.supplierB).acceptClaim(honest.claimId);
      const [, closesAt] = await f.settlement.periodOf(PERIOD);
      await time().setNextBlockTimestamp(closesAt - 1n);
      const junk = await claimFor(f, 2, 1, 5n); // the last second of the grace: its window runs 3 more days
      await time().setNextBlockTimestamp(closesAt + 1n);
      await expect(as(f.settlement, f.supplierA).netPair(PERIOD, A, B)).to.emit(f.settlement, "PairNetted");
      expect(await f.settlement.isFinal(junk.claimId)).to.equal(false);
    });

    it("should take more claims in a period than the old 128-claim limit: capacity is per pair", async function () {
      this.timeout(120_000);
      const f = await fixture();
      const pairs: [number, number][] = [];
      for (let h = 0; h < 4; ++h) for (let d = 0; d < 4; ++d) if (h !== d) pairs.push([h, d]);
      for (let i = 0; i < 132; ++i) {
        const [h, d] = pairs[i % pairs.length]!;
        await claimFor(f, h, d, 1_000n, 1);
      }
      const [count] = await f.settlement.periodOf(PERIOD);
      expect(count).to.equal(132n);
    });
  });

  describe("5. a pause does not eat the challenge window", () => {
    it("should extend the window by the time spent paused, to the exact second", async () => {
      const f = await fixture();
      const claim = await claimFor(f, 1, 0, 100n);
      const deadline = (await f.settlement.challengeDeadline(claim.claimId)) as bigint;
      const pausedAt = (await (await as(f.settlement, f.pauser).pause()).getBlock()).timestamp;
      await time().increase(WINDOW + 86_400n);
      const unpausedAt = (await (await as(f.settlement, f.pauser).unpause()).getBlock()).timestamp;
      const extended = (await f.settlement.challengeDeadline(claim.claimId)) as bigint;
      expect(extended).to.equal(deadline + BigInt(unpausedAt - pausedAt));
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false);
      const a = as(f.settlement, f.supplierA);
      const cdr = claim.cdrs[0]!;
      await time().setNextBlockTimestamp(extended);
      await expect(a.disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, 0), REASON)).to.emit(f.settlement, "CdrDisputed");
      const later = claim.cdrs[1]!;
      await time().setNextBlockTimestamp(extended + 1n);
      await expect(a.disputeCdr(claim.claimId, later.digest, later.amount, proofOf(claim, 1), REASON)).to.be.revertedWithCustomError(
        f.settlement,
        "SettlementChallengeWindowClosed",
      );
    });
  });

  describe("6. losing a dispute costs its bond", () => {
    it("should refuse a dispute the debtor cannot bond, and hand the bond of a lost dispute to the host", async () => {
      const f = await fixture();
      const FEE = 5_000_000n;
      await f.settlement.setDisputeFee(FEE);
      // The claim reserves all of A's collateral.
      const claim = await claimFor(f, 1, 0, INITIAL_DEPOSIT);
      const a = as(f.settlement, f.supplierA);
      const cdr = claim.cdrs[0]!;
      await expect(a.disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, 0), REASON))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInsufficientAvailable")
        .withArgs(f.supplierA.address, FEE, 0n);
      await fund(f.token, f.settlement, f.supplierA, FEE);
      await a.disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, 0), REASON);
      await expect(as(f.settlement, f.arbiter).resolveDispute(1, false, BUNDLE))
        .to.emit(f.settlement, "DisputeFeeCharged")
        .withArgs(1n, f.supplierA.address, f.supplierB.address, FEE, FEE);
      expect(await f.settlement.balanceOf(f.supplierB.address)).to.equal(INITIAL_DEPOSIT + FEE);
      expect(await f.settlement.balanceOf(f.supplierA.address)).to.equal(INITIAL_DEPOSIT);
    });
  });

  describe("7. a claim-level ruling against the debtor gives it a fresh window", () => {
    it("should let the debtor dispute a CDR of the package it sees only at the ruling, after the first window", async () => {
      const f = await fixture();
      const claim = await claimFor(f, 1, 0, 100n);
      const a = as(f.settlement, f.supplierA);
      await a.disputeClaim(claim.claimId, encodeBytes32String("PACKAGE_MISSING"));
      await time().increase(WINDOW + 10n);
      await as(f.settlement, f.arbiter).resolveClaimDispute(1, false, BUNDLE);
      const cdr = claim.cdrs[2]!;
      await expect(a.disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, 2), REASON)).to.emit(f.settlement, "CdrDisputed");
    });
  });

  describe("8. a debtor whose role was revoked can still defend its claims", () => {
    it("should let it dispute and accept", async () => {
      const f = await fixture();
      const first = await claimFor(f, 1, 0, 100n);
      const second = await claimFor(f, 1, 0, 200n);
      await as(f.registry, f.registrar).revokeRole(f.roles.SUPPLIER, f.supplierA.address);
      const a = as(f.settlement, f.supplierA);
      const cdr = first.cdrs[0]!;
      await expect(a.disputeCdr(first.claimId, cdr.digest, cdr.amount, proofOf(first, 0), REASON)).to.emit(f.settlement, "CdrDisputed");
      await expect(a.disputeClaim(second.claimId, REASON)).to.emit(f.settlement, "ClaimDisputed");
      const third = await claimFor(f, 2, 0, 1n).catch((e: Error) => e);
      expect(third).to.be.instanceOf(Error); // no new claims against a revoked supplier
      const fourth = await claimFor(f, 1, 3, 1n);
      await as(f.registry, f.registrar).revokeRole(f.roles.SUPPLIER, f.supplierD.address);
      await expect(as(f.settlement, f.supplierD).acceptClaim(fourth.claimId)).to.emit(f.settlement, "ClaimAccepted");
    });
  });

  describe("9. netting a pair costs the same whatever its number of claims", () => {
    it("should spend the same gas netting a pair of 1 claim and of 40 claims, both short of collateral", async function () {
      this.timeout(120_000);
      const f = await fixture();
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      await claimFor(f, 1, 0, 2n * INITIAL_DEPOSIT, 1);
      await time().increase(PERIOD_SECONDS);
      for (let i = 0; i < 40; ++i) await claimFor(f, 1, 0, INITIAL_DEPOSIT, 1, PERIOD + 1);
      await closePeriod(suite.connection, PERIOD + 1);
      const one = await (await as(f.settlement, f.supplierC).netPair(PERIOD, A, B)).wait();
      const forty = await (await as(f.settlement, f.supplierC).netPair(PERIOD + 1, A, B)).wait();
      // The second netting finds the debtor's account warm-written by the first: same storage shape otherwise.
      expect(forty.gasUsed).to.be.at.most(one.gasUsed);
      expect(one.gasUsed).to.be.lessThan(150_000n);
    });
  });

  describe("dispute records for escrow openings", () => {
    it("should name the opener and opening time of a dispute, and nobody for an unknown one", async () => {
      const f = await fixture();
      const claim = await claimFor(f, 1, 0, 100n);
      await as(f.settlement, f.supplierA).disputeClaim(claim.claimId, REASON);
      const openedAt = BigInt(await time().latest());
      const id = zeroPadValue(toBeHex(1n), 32);
      expect(await f.settlement.disputeRecordOf(id)).to.deep.equal([f.supplierA.address, openedAt]);
      for (const unknown of [zeroPadValue(toBeHex(2n), 32), zeroPadValue(toBeHex(0n), 32), keccak256("0x01")]) {
        expect(await f.settlement.disputeRecordOf(unknown)).to.deep.equal([suite.connection.ethers.ZeroAddress, 0n]);
      }
      const records = new suite.connection.ethers.Interface(["function disputeRecordOf(bytes32) view returns (address,uint40)"]);
      const selector = records.getFunction("disputeRecordOf")!.selector;
      expect(await f.settlement.supportsInterface(selector)).to.equal(true);
    });
  });
});
