import { expect } from "chai";
import { encodeBytes32String, keccak256, ZeroHash } from "ethers";
import {
  as,
  balances,
  closePeriod,
  FIXTURE_PERIOD,
  INITIAL_DEPOSIT,
  proofOf,
  settlementSuite,
  submitClaim,
  WINDOW,
  type SettlementFixture,
} from "./fixture.js";

const PERIOD = FIXTURE_PERIOD;
const MISSING = encodeBytes32String("PACKAGE_MISSING");
const MISMATCH = encodeBytes32String("PACKAGE_MISMATCH");
const CDR_REASON = encodeBytes32String("ENERGY_MISMATCH");
const BUNDLE = keccak256(encodeBytes32String("package shown to the arbiter"));
const FEE = 25_000_000n;

/** ClaimStatus and DisputeKind / DisputeStatus values as the ABI returns them. */
const Claim = { Pending: 1n, Accepted: 2n, Netted: 3n, Rejected: 4n } as const;
const Kind = { Cdr: 0n, Claim: 1n } as const;
const Ruling = { Open: 1n, Upheld: 2n, Rejected: 3n } as const;

describe("RoamingSettlement: claim-level disputes (evidence never shown)", () => {
  const suite = settlementSuite();
  const fixture = () => suite.load();
  const time = () => suite.time();

  /** Host B claims three CDRs from home supplier A. */
  const claimBA = (f: SettlementFixture) => submitClaim(f, f.supplierB, f.supplierA, PERIOD);

  /** Internal balances plus nothing held elsewhere equal the token balance: nothing created or lost. */
  async function expectConserved(f: SettlementFixture): Promise<void> {
    const sum = (await balances(f)).reduce((a, b) => a + b, 0n);
    expect(sum).to.equal(4n * INITIAL_DEPOSIT);
    expect(await f.token.balanceOf(await f.settlement.getAddress())).to.equal(sum);
  }

  describe("disputing a whole claim", () => {
    it("should record the dispute, emit ClaimDisputed and put the claim on hold", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const a = as(f.settlement, f.supplierA);
      await expect(a.disputeClaim(claim.claimId, MISSING))
        .to.emit(f.settlement, "ClaimDisputed")
        .withArgs(1n, claim.claimId, f.supplierA.address, claim.amount, MISSING);
      const c = await f.settlement.claimOf(claim.claimId);
      expect([c.status, c.claimDisputed, c.openDisputes, c.amount]).to.deep.equal([Claim.Pending, true, 1n, claim.amount]);
      const d = await f.settlement.disputeOf(1);
      expect([d.claimId, d.kind, d.status, d.amount, d.bond]).to.deep.equal([claim.claimId, Kind.Claim, Ruling.Open, claim.amount, 0n]);
      expect([d.cdrDigest, d.reason, d.bundleDigest]).to.deep.equal([ZeroHash, MISSING, ZeroHash]);
      expect(d.openedAt).to.equal(BigInt(await time().latest()));
      expect(await f.settlement.lockedOf(f.supplierA.address)).to.equal(claim.amount);

      // On hold: not final even after the window, not nettable, and the debtor cannot accept it.
      await time().increase(WINDOW + 1n);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false);
      await closePeriod(suite.connection, PERIOD);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, f.supplierA.address, f.supplierB.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPairNotFinal")
        .withArgs(PERIOD, f.supplierA.address, f.supplierB.address);
      await expect(a.acceptClaim(claim.claimId))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimOnHold")
        .withArgs(claim.claimId);
      await expect(a.acceptClaims([claim.claimId]))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimOnHold")
        .withArgs(claim.claimId);
    });

    it("should accept a claim-level dispute one second before the deadline and at the deadline", async () => {
      const f = await fixture();
      const first = await claimBA(f);
      const second = await submitClaim(f, f.supplierC, f.supplierA, PERIOD);
      const a = as(f.settlement, f.supplierA);
      const deadline1 = (await f.settlement.challengeDeadline(first.claimId)) as bigint;
      const deadline2 = (await f.settlement.challengeDeadline(second.claimId)) as bigint;
      await time().setNextBlockTimestamp(deadline1 - 1n);
      await expect(a.disputeClaim(first.claimId, MISSING)).to.emit(f.settlement, "ClaimDisputed");
      await time().setNextBlockTimestamp(deadline2);
      await expect(a.disputeClaim(second.claimId, MISMATCH))
        .to.emit(f.settlement, "ClaimDisputed")
        .withArgs(2n, second.claimId, f.supplierA.address, second.amount, MISMATCH);
    });

    it("should refuse a claim-level dispute one second after the deadline", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const deadline = (await f.settlement.challengeDeadline(claim.claimId)) as bigint;
      await time().setNextBlockTimestamp(deadline + 1n);
      await expect(as(f.settlement, f.supplierA).disputeClaim(claim.claimId, MISSING))
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeWindowClosed")
        .withArgs(claim.claimId, deadline);
    });

    it("should let only the claim's debtor dispute it, and only while it is pending", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      for (const s of [f.supplierB, f.supplierC]) {
        await expect(as(f.settlement, s).disputeClaim(claim.claimId, MISSING))
          .to.be.revertedWithCustomError(f.settlement, "SettlementNotDebtor")
          .withArgs(claim.claimId, s.address);
      }
      await expect(as(f.settlement, f.outsider).disputeClaim(claim.claimId, MISSING))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotDebtor")
        .withArgs(claim.claimId, f.outsider.address);
      const a = as(f.settlement, f.supplierA);
      await expect(a.disputeClaim(claim.claimId + 1n, MISSING))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownClaim")
        .withArgs(claim.claimId + 1n);
      await a.acceptClaim(claim.claimId);
      await expect(a.disputeClaim(claim.claimId, MISSING))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotPending")
        .withArgs(claim.claimId, Claim.Accepted);
    });

    it("should refuse a second claim-level dispute, while the first is open and after its ruling", async () => {
      const f = await fixture();
      const upheld = await claimBA(f);
      const notUpheld = await submitClaim(f, f.supplierC, f.supplierA, PERIOD);
      const a = as(f.settlement, f.supplierA);
      await a.disputeClaim(upheld.claimId, MISSING);
      await a.disputeClaim(notUpheld.claimId, MISSING);
      await expect(a.disputeClaim(upheld.claimId, MISMATCH))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimAlreadyDisputed")
        .withArgs(upheld.claimId);
      const arb = as(f.settlement, f.arbiter);
      await arb.resolveClaimDispute(1, true, BUNDLE);
      await arb.resolveClaimDispute(2, false, BUNDLE);
      await expect(a.disputeClaim(upheld.claimId, MISMATCH))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotPending")
        .withArgs(upheld.claimId, Claim.Rejected);
      // Not upheld, the claim is pending again, but its one claim-level dispute is spent.
      await expect(a.disputeClaim(notUpheld.claimId, MISMATCH))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimAlreadyDisputed")
        .withArgs(notUpheld.claimId);
    });
  });

  describe("rulings on claim-level disputes", () => {
    it("should accept rulings only from an arbiter who is not a party, once, with a bundle, of the right kind", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const a = as(f.settlement, f.supplierA);
      const cdr = claim.cdrs[0]!;
      await a.disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, 0), CDR_REASON); // dispute 1
      await a.disputeClaim(claim.claimId, MISSING); // dispute 2
      for (const s of [f.supplierA, f.supplierB, f.outsider, f.registrar, f.admin, f.pauser]) {
        await expect(as(f.settlement, s).resolveClaimDispute(2, true, BUNDLE))
          .to.be.revertedWithCustomError(f.settlement, "AccessControlUnauthorizedAccount")
          .withArgs(s.address, f.roles.ARBITER);
      }
      await as(f.registry, f.admin).grantRole(f.roles.ARBITER, f.supplierB.address);
      await expect(as(f.settlement, f.supplierB).resolveClaimDispute(2, false, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementArbiterIsParty")
        .withArgs(2n, f.supplierB.address);
      const arb = as(f.settlement, f.arbiter);
      await expect(arb.resolveClaimDispute(2, true, ZeroHash))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidBundle")
        .withArgs(2n);
      await expect(arb.resolveClaimDispute(3, true, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownDispute")
        .withArgs(3n);
      // Each ruling function rules on its own kind only.
      await expect(arb.resolveClaimDispute(1, true, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementWrongDisputeKind")
        .withArgs(1n, Kind.Cdr);
      await expect(arb.resolveDispute(2, true, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementWrongDisputeKind")
        .withArgs(2n, Kind.Claim);
      await arb.resolveClaimDispute(2, false, BUNDLE);
      await expect(arb.resolveClaimDispute(2, true, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementDisputeClosed")
        .withArgs(2n);
      const d = await f.settlement.disputeOf(2);
      expect([d.status, d.bundleDigest, d.resolvedAt]).to.deep.equal([Ruling.Rejected, BUNDLE, BigInt(await time().latest())]);
    });

    it("should reject the claim when upheld: lock released, left out of netting, money conserved", async () => {
      const f = await fixture();
      const [A, B, C] = [f.supplierA.address, f.supplierB.address, f.supplierC.address];
      const rejected = await claimBA(f);
      const honest = await submitClaim(f, f.supplierC, f.supplierA, PERIOD);
      const a = as(f.settlement, f.supplierA);
      await a.disputeClaim(rejected.claimId, MISSING);
      await a.acceptClaim(honest.claimId);
      await expect(as(f.settlement, f.arbiter).resolveClaimDispute(1, true, BUNDLE))
        .to.emit(f.settlement, "ClaimDisputeResolved")
        .withArgs(1n, rejected.claimId, f.arbiter.address, true, BUNDLE, rejected.amount);
      const c = await f.settlement.claimOf(rejected.claimId);
      expect([c.status, c.amount, c.claimedAmount, c.openDisputes]).to.deep.equal([Claim.Rejected, 0n, rejected.amount, 0n]);
      expect(await f.settlement.lockedOf(A)).to.equal(honest.amount);
      expect((await f.settlement.disputeOf(1)).status).to.equal(Ruling.Upheld);
      // Decided for good, inside the window: it no longer holds up the period.
      expect(await f.settlement.isFinal(rejected.claimId)).to.equal(true);

      await closePeriod(suite.connection, PERIOD);
      await expect(as(f.settlement, f.supplierB).netPair(PERIOD, A, B))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, A, B, 0n, 0n, 0n);
      await expect(as(f.settlement, f.supplierB).netPair(PERIOD, C, A))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, C, A, honest.amount, honest.amount, 0n);
      expect(await balances(f)).to.deep.equal([
        INITIAL_DEPOSIT - honest.amount,
        INITIAL_DEPOSIT,
        INITIAL_DEPOSIT + honest.amount,
        INITIAL_DEPOSIT,
      ]);
      for (const s of [A, B, C]) expect(await f.settlement.lockedOf(s)).to.equal(0n);
      expect((await f.settlement.claimOf(rejected.claimId)).status).to.equal(Claim.Rejected); // never netted
      expect((await f.settlement.claimOf(honest.claimId)).status).to.equal(Claim.Netted);
      await expect(a.acceptClaim(rejected.claimId))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotPending")
        .withArgs(rejected.claimId, Claim.Rejected);
      await expectConserved(f);
    });

    it("should put the claim back to pending with a fresh window when not upheld, and net it in full after that window", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      await as(f.settlement, f.supplierA).disputeClaim(claim.claimId, MISMATCH);
      await time().increase(WINDOW); // the ruling comes after the first window
      await expect(as(f.settlement, f.arbiter).resolveClaimDispute(1, false, BUNDLE))
        .to.emit(f.settlement, "ClaimDisputeResolved")
        .withArgs(1n, claim.claimId, f.arbiter.address, false, BUNDLE, 0n);
      const c = await f.settlement.claimOf(claim.claimId);
      expect([c.status, c.onHold, c.amount, c.openDisputes]).to.deep.equal([Claim.Pending, false, claim.amount, 0n]);
      expect(c.windowStart).to.equal(BigInt(await time().latest()));
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false);
      const deadline = (await f.settlement.challengeDeadline(claim.claimId)) as bigint;
      expect(deadline).to.equal(BigInt(await time().latest()) + WINDOW);
      await time().setNextBlockTimestamp(deadline);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, f.supplierA.address, f.supplierB.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPairNotFinal")
        .withArgs(PERIOD, f.supplierA.address, f.supplierB.address);
      await time().setNextBlockTimestamp(deadline + 1n);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, f.supplierA.address, f.supplierB.address))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, f.supplierB.address, f.supplierA.address, claim.amount, claim.amount, 0n);
      expect((await f.settlement.claimOf(claim.claimId)).status).to.equal(Claim.Netted);
      await expectConserved(f);
    });
  });

  describe("bond of claim-level disputes", () => {
    it("should return the bond and charge the host when upheld, and give the bond to the host when not", async () => {
      const f = await fixture();
      await f.settlement.setDisputeFee(FEE);
      const byB = await claimBA(f);
      const byC = await submitClaim(f, f.supplierC, f.supplierA, PERIOD);
      const a = as(f.settlement, f.supplierA);
      await a.disputeClaim(byB.claimId, MISSING);
      await a.disputeClaim(byC.claimId, MISSING);
      expect((await f.settlement.disputeOf(1)).bond).to.equal(FEE);
      expect(await f.settlement.balanceOf(f.supplierA.address)).to.equal(INITIAL_DEPOSIT - 2n * FEE);
      const arb = as(f.settlement, f.arbiter);
      await expect(arb.resolveClaimDispute(1, true, BUNDLE))
        .to.emit(f.settlement, "DisputeFeeCharged")
        .withArgs(1n, f.supplierB.address, f.supplierA.address, FEE, FEE);
      await expect(arb.resolveClaimDispute(2, false, BUNDLE))
        .to.emit(f.settlement, "DisputeFeeCharged")
        .withArgs(2n, f.supplierA.address, f.supplierC.address, FEE, FEE);
      expect(await balances(f)).to.deep.equal([INITIAL_DEPOSIT, INITIAL_DEPOSIT - FEE, INITIAL_DEPOSIT + FEE, INITIAL_DEPOSIT]);
      await expectConserved(f);
    });
  });

  describe("CDR disputes and a claim-level dispute of the same claim", () => {
    it("should release a rejected claim at once but hold its pair until an open CDR dispute is ruled, whose ruling takes nothing but settles its bond", async () => {
      const f = await fixture();
      await f.settlement.setDisputeFee(FEE);
      const claim = await claimBA(f);
      const a = as(f.settlement, f.supplierA);
      const cdr = claim.cdrs[0]!;
      await a.disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, 0), CDR_REASON); // dispute 1
      await expect(a.disputeClaim(claim.claimId, MISMATCH)).to.emit(f.settlement, "ClaimDisputed"); // dispute 2
      expect((await f.settlement.claimOf(claim.claimId)).openDisputes).to.equal(2n);
      const arb = as(f.settlement, f.arbiter);
      await arb.resolveClaimDispute(2, true, BUNDLE);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(true);
      expect(await f.settlement.lockedOf(f.supplierA.address)).to.equal(0n);
      await closePeriod(suite.connection, PERIOD);
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPairNotFinal")
        .withArgs(PERIOD, A, B);
      // The CDR dispute still gets its ruling: nothing is left to take off, the bond rule still applies.
      await expect(arb.resolveDispute(1, true, BUNDLE))
        .to.emit(f.settlement, "DisputeResolved")
        .withArgs(1n, claim.claimId, f.arbiter.address, true, BUNDLE, 0n);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, A, B, 0n, 0n, 0n);
      const c = await f.settlement.claimOf(claim.claimId);
      expect([c.status, c.amount, c.openDisputes]).to.deep.equal([Claim.Rejected, 0n, 0n]);
      expect(await balances(f)).to.deep.equal([INITIAL_DEPOSIT + 2n * FEE, INITIAL_DEPOSIT - 2n * FEE, INITIAL_DEPOSIT, INITIAL_DEPOSIT]);
      await expectConserved(f);
    });

    it("should let the debtor dispute a CDR of a claim on hold, and apply both rulings when the claim-level one fails", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const a = as(f.settlement, f.supplierA);
      await a.disputeClaim(claim.claimId, MISSING); // dispute 1
      const cdr = claim.cdrs[1]!;
      await expect(a.disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, 1), CDR_REASON)) // dispute 2
        .to.emit(f.settlement, "CdrDisputed")
        .withArgs(2n, claim.claimId, cdr.digest, cdr.amount, CDR_REASON);
      const arb = as(f.settlement, f.arbiter);
      await arb.resolveClaimDispute(1, false, BUNDLE);
      // Pending again, and its CDR dispute still waits for its own ruling.
      await closePeriod(suite.connection, PERIOD);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false);
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPairNotFinal")
        .withArgs(PERIOD, A, B);
      await arb.resolveDispute(2, true, BUNDLE);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, A, B))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, B, A, claim.amount - cdr.amount, claim.amount - cdr.amount, 0n);
      await expectConserved(f);
    });
  });
});
