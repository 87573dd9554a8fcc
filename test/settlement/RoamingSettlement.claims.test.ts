import { expect } from "chai";
import { AbiCoder, encodeBytes32String, hexlify, keccak256, randomBytes, ZeroHash } from "ethers";
import {
  as,
  cdrTree,
  claimIdOf,
  deployRoamingSettlement,
  FIXTURE_PERIOD,
  INITIAL_DEPOSIT,
  makeCdrs,
  packageHashOf,
  proofOf,
  requestAndWait,
  settlementSuite,
  submitClaim,
  TIMING,
  WINDOW,
  type SettlementFixture,
} from "./fixture.js";

const PERIOD = FIXTURE_PERIOD;
const REASON = encodeBytes32String("ENERGY_MISMATCH");
const BUNDLE = keccak256(encodeBytes32String("evidence bundle"));

describe("RoamingSettlement: claims, disputes and rulings", () => {
  const suite = settlementSuite();
  const fixture = () => suite.load();
  const time = () => suite.time();

  /** Host B claims three CDRs from home supplier A. */
  async function claimBA(f: SettlementFixture, period = PERIOD) {
    return submitClaim(f, f.supplierB, f.supplierA, period);
  }

  describe("deployment", () => {
    it("should expose its configuration, limits and interface", async () => {
      const f = await fixture();
      expect(await f.settlement.TOKEN()).to.equal(await f.token.getAddress());
      expect(await f.settlement.REGISTRY()).to.equal(await f.registry.getAddress());
      expect(await f.settlement.EVIDENCE()).to.equal(await f.ledger.getAddress());
      expect(await f.settlement.CHALLENGE_WINDOW()).to.equal(WINDOW);
      expect(await f.settlement.PERIOD_SECONDS()).to.equal(TIMING.periodSeconds);
      expect(await f.settlement.CLAIM_GRACE()).to.equal(TIMING.claimGrace);
      expect(await f.settlement.WITHDRAWAL_NOTICE()).to.equal(TIMING.withdrawalNotice);
      expect(await f.settlement.MAX_CDRS_PER_CLAIM()).to.equal(1024n);
      expect(await f.settlement.MAX_CLAIM_AMOUNT()).to.equal((1n << 96n) - 1n);
      expect(await f.settlement.MAX_PAIR_AMOUNT()).to.equal((1n << 100n) - 1n);
      expect(await f.settlement.MAX_BATCH()).to.equal(64n);
      expect(await f.settlement.supportsInterface("0x01ffc9a7")).to.equal(true);
      expect(await f.settlement.supportsInterface("0xffffffff")).to.equal(false);
    });

    it("should refuse a zero window or period, a zero token, and a notice not longer than period + grace + window", async () => {
      const f = await fixture();
      const parts: [string, string, string] = [await f.registry.getAddress(), await f.ledger.getAddress(), await f.token.getAddress()];
      const deploy = (timing: Partial<typeof TIMING>, addresses = parts) =>
        deployRoamingSettlement(suite.connection, addresses, f.admin.address, timing);
      const shortest = TIMING.periodSeconds + TIMING.claimGrace + TIMING.challengeWindow;
      for (const timing of [{ challengeWindow: 0n }, { periodSeconds: 0n }, { withdrawalNotice: shortest }]) {
        await expect(deploy(timing)).to.be.revertedWithCustomError(f.settlement, "SettlementInvalidConfig");
      }
      expect(await (await deploy({ withdrawalNotice: shortest + 1n })).WITHDRAWAL_NOTICE()).to.equal(shortest + 1n);
      await expect(deploy({}, [parts[0], parts[1], suite.connection.ethers.ZeroAddress])).to.be.revertedWithCustomError(
        f.settlement,
        "SettlementInvalidConfig",
      );
    });

    it("should compute the same CDR leaf as StandardMerkleTree", async () => {
      const f = await fixture();
      const cdrs = makeCdrs(f, f.supplierB.address, f.supplierA.address, 4);
      const tree = cdrTree(cdrs);
      for (const c of cdrs) {
        const leaf = keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [c.digest, c.amount])));
        expect(tree.leafHash([c.digest, c.amount])).to.equal(leaf);
        expect(await f.settlement.cdrLeaf(c.digest, c.amount)).to.equal(leaf);
      }
    });
  });

  describe("collateral", () => {
    it("should credit deposits and pay requested withdrawals of the available balance", async () => {
      const f = await fixture();
      const a = as(f.settlement, f.supplierA);
      expect(await f.settlement.balanceOf(f.supplierA.address)).to.equal(INITIAL_DEPOSIT);
      await requestAndWait(suite.connection, f.settlement, f.supplierA, 2n * INITIAL_DEPOSIT);
      await expect(a.withdraw(1_000n)).to.emit(f.settlement, "Withdrawn").withArgs(f.supplierA.address, 1_000n);
      expect(await f.token.balanceOf(f.supplierA.address)).to.equal(1_000n);
      await expect(a.withdraw(INITIAL_DEPOSIT))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInsufficientAvailable")
        .withArgs(f.supplierA.address, INITIAL_DEPOSIT, INITIAL_DEPOSIT - 1_000n);
      await expect(a.withdraw(0)).to.be.revertedWithCustomError(f.settlement, "SettlementZeroAmount");
      await expect(a.deposit(0)).to.be.revertedWithCustomError(f.settlement, "SettlementZeroAmount");
    });

    it("should lock a claim's amount on the debtor until netting", async () => {
      const f = await fixture();
      await as(f.settlement, f.supplierA).requestWithdrawal(INITIAL_DEPOSIT);
      const claim = await claimBA(f);
      await time().increase(TIMING.withdrawalNotice);
      expect(await f.settlement.lockedOf(f.supplierA.address)).to.equal(claim.amount);
      const available = INITIAL_DEPOSIT - claim.amount;
      expect(await f.settlement.availableOf(f.supplierA.address)).to.equal(available);
      await expect(as(f.settlement, f.supplierA).withdraw(available + 1n))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInsufficientAvailable")
        .withArgs(f.supplierA.address, available + 1n, available);
    });
  });

  describe("submitting a claim", () => {
    it("should record the claim, link its evidence and emit ClaimSubmitted", async () => {
      const f = await fixture();
      const cdrs = makeCdrs(f, f.supplierB.address, f.supplierA.address, 5);
      const claim = await submitClaim(f, f.supplierB, f.supplierA, PERIOD, cdrs);
      const c = await f.settlement.claimOf(claim.claimId);
      expect(c.creditor).to.equal(f.supplierB.address);
      expect(c.debtor).to.equal(f.supplierA.address);
      expect(c.amount).to.equal(claim.amount);
      expect(c.claimedAmount).to.equal(claim.amount);
      expect(c.cdrRoot).to.equal(claim.tree.root);
      expect(c.cdrCount).to.equal(5n);
      expect(c.reserved).to.equal(claim.amount); // the debtor's collateral covers it all
      expect(c.claimDisputed).to.equal(false);
      expect(c.period).to.equal(BigInt(PERIOD));
      expect(c.status).to.equal(1n); // Pending
      expect(await f.settlement.challengeDeadline(claim.claimId)).to.equal(c.windowStart + WINDOW);
      expect(claim.claimId).to.equal(claimIdOf(PERIOD, 0));
      expect(await f.settlement.claimIdOf(PERIOD, 0)).to.equal(claim.claimId);
      const second = await submitClaim(f, f.supplierC, f.supplierA, PERIOD);
      expect(second.claimId).to.equal(claimIdOf(PERIOD, 1));
      const period = await f.settlement.periodOf(PERIOD);
      expect([period.claimCount, period.closesAt]).to.deep.equal([2n, (BigInt(PERIOD) + 1n) * TIMING.periodSeconds + TIMING.claimGrace]);
    });

    it("should emit ClaimSubmitted with its challenge deadline", async () => {
      const f = await fixture();
      const cdrs = makeCdrs(f, f.supplierC.address, f.supplierD.address, 2);
      const tree = cdrTree(cdrs);
      const evidence = hexlify(randomBytes(32));
      await as(f.ledger, f.supplierC).anchorBatch(evidence, 2, 2);
      const at = BigInt(await time().latest()) + 10n;
      await time().setNextBlockTimestamp(at);
      const amount = cdrs[0]!.amount + cdrs[1]!.amount;
      const pkg = packageHashOf(tree.root);
      await expect(as(f.settlement, f.supplierC).submitClaim(PERIOD, f.supplierD.address, amount, tree.root, 2, evidence, pkg))
        .to.emit(f.settlement, "ClaimSubmitted")
        .withArgs(claimIdOf(PERIOD, 0), BigInt(PERIOD), f.supplierC.address, f.supplierD.address, amount, tree.root, 2n, evidence, pkg, at + WINDOW, amount);
    });

    it("should refuse invalid claims with a precise error", async () => {
      const f = await fixture();
      const b = as(f.settlement, f.supplierB);
      const root = hexlify(randomBytes(32));
      const evidence = hexlify(randomBytes(32));
      const pkg = packageHashOf(root);
      await as(f.ledger, f.supplierB).anchorBatch(evidence, 1, 2);
      await expect(b.submitClaim(PERIOD, f.outsider.address, 1, root, 1, evidence, pkg))
        .to.be.revertedWithCustomError(f.settlement, "SettlementNotSupplier")
        .withArgs(f.outsider.address);
      await expect(b.submitClaim(PERIOD, f.supplierB.address, 1, root, 1, evidence, pkg))
        .to.be.revertedWithCustomError(f.settlement, "SettlementSelfClaim")
        .withArgs(f.supplierB.address);
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 0, root, 1, evidence, pkg)).to.be.revertedWithCustomError(
        f.settlement,
        "SettlementZeroAmount",
      );
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 1, ZeroHash, 1, evidence, pkg))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidClaim")
        .withArgs(ZeroHash, 1n, evidence, pkg);
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 1, root, 0, evidence, pkg))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidClaim")
        .withArgs(root, 0n, evidence, pkg);
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 1, root, 1, ZeroHash, pkg))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidClaim")
        .withArgs(root, 1n, ZeroHash, pkg);
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 1, root, 1, evidence, ZeroHash))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidClaim")
        .withArgs(root, 1n, evidence, ZeroHash);
      const unanchored = hexlify(randomBytes(32));
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 1, root, 1, unanchored, pkg))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceAnchorNotFound")
        .withArgs(f.supplierB.address, unanchored);
      const othersEvidence = hexlify(randomBytes(32));
      await as(f.ledger, f.supplierC).anchorBatch(othersEvidence, 1, 2);
      // Another's anchor of a root is not the claimant's: anchors are keyed by (submitter, root).
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 1, root, 1, othersEvidence, pkg))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceAnchorNotFound")
        .withArgs(f.supplierB.address, othersEvidence);
      await expect(b.submitClaim(PERIOD, f.supplierA.address, 1, root, 1, evidence, pkg)).to.emit(
        f.settlement,
        "ClaimSubmitted",
      );
      await expect(b.submitClaim(PERIOD, f.supplierC.address, 1, root, 1, evidence, pkg))
        .to.be.revertedWithCustomError(f.settlement, "SettlementDuplicateClaim")
        .withArgs(root);
      // Uniqueness is per host: another host cannot block a root by claiming it first.
      await expect(as(f.settlement, f.supplierC).submitClaim(PERIOD, f.supplierA.address, 1, root, 1, othersEvidence, pkg)).to.emit(
        f.settlement,
        "ClaimSubmitted",
      );
    });

    it("should revert on reads of unknown claims, disputes and period slots", async () => {
      const f = await fixture();
      const id = claimIdOf(PERIOD, 0);
      await expect(f.settlement.claimOf(id)).to.be.revertedWithCustomError(f.settlement, "SettlementUnknownClaim").withArgs(id);
      await expect(f.settlement.isFinal(9)).to.be.revertedWithCustomError(f.settlement, "SettlementUnknownClaim").withArgs(9n);
      await expect(f.settlement.challengeDeadline(id))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownClaim")
        .withArgs(id);
      await expect(f.settlement.disputeOf(1))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownDispute")
        .withArgs(1n);
    });
  });

  describe("acceptance", () => {
    it("should record the debtor's acceptance (NRR) once and make the claim final at once", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false);
      const tx = as(f.settlement, f.supplierA).acceptClaim(claim.claimId);
      await expect(tx).to.emit(f.settlement, "ClaimAccepted");
      const c = await f.settlement.claimOf(claim.claimId);
      expect(c.status).to.equal(2n);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(true);
      await expect(as(f.settlement, f.supplierA).acceptClaim(claim.claimId))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotPending")
        .withArgs(claim.claimId, 2n);
      await expect(
        as(f.settlement, f.supplierA).disputeCdr(
          claim.claimId,
          claim.cdrs[0]!.digest,
          claim.cdrs[0]!.amount,
          proofOf(claim, 0),
          REASON,
        ),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotPending")
        .withArgs(claim.claimId, 2n);
    });

    it("should let only the debtor accept or dispute", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      for (const s of [f.supplierB, f.supplierC]) {
        await expect(as(f.settlement, s).acceptClaim(claim.claimId))
          .to.be.revertedWithCustomError(f.settlement, "SettlementNotDebtor")
          .withArgs(claim.claimId, s.address);
        await expect(
          as(f.settlement, s).disputeCdr(claim.claimId, claim.cdrs[0]!.digest, claim.cdrs[0]!.amount, proofOf(claim, 0), REASON),
        )
          .to.be.revertedWithCustomError(f.settlement, "SettlementNotDebtor")
          .withArgs(claim.claimId, s.address);
      }
      await expect(as(f.settlement, f.supplierA).acceptClaim(99))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownClaim")
        .withArgs(99n);
    });

    it("should accept a batch of claims and refuse an oversize batch with a clear error", async () => {
      const f = await fixture();
      const c1 = await claimBA(f);
      const c2 = await submitClaim(f, f.supplierC, f.supplierA, PERIOD);
      await expect(as(f.settlement, f.supplierA).acceptClaims([c1.claimId, c2.claimId]))
        .to.emit(f.settlement, "ClaimAccepted")
        .withArgs(c2.claimId, f.supplierA.address, BigInt(await time().latest()) + 1n);
      const oversize = Array.from({ length: 65 }, (_, i) => BigInt(i + 1));
      await expect(as(f.settlement, f.supplierA).acceptClaims(oversize))
        .to.be.revertedWithCustomError(f.settlement, "SettlementBatchTooLarge")
        .withArgs(65n, 64n);
    });
  });

  describe("challenge window", () => {
    it("should accept a dispute one second before the deadline and at the deadline", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const deadline = (await f.settlement.challengeDeadline(claim.claimId)) as bigint;
      const a = as(f.settlement, f.supplierA);
      await time().setNextBlockTimestamp(deadline - 1n);
      await expect(a.disputeCdr(claim.claimId, claim.cdrs[0]!.digest, claim.cdrs[0]!.amount, proofOf(claim, 0), REASON))
        .to.emit(f.settlement, "CdrDisputed")
        .withArgs(1n, claim.claimId, claim.cdrs[0]!.digest, claim.cdrs[0]!.amount, REASON);
      await time().setNextBlockTimestamp(deadline);
      await expect(
        a.disputeCdr(claim.claimId, claim.cdrs[1]!.digest, claim.cdrs[1]!.amount, proofOf(claim, 1), REASON),
      ).to.emit(f.settlement, "CdrDisputed");
    });

    it("should refuse a dispute one second after the deadline", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const deadline = (await f.settlement.challengeDeadline(claim.claimId)) as bigint;
      await time().setNextBlockTimestamp(deadline + 1n);
      await expect(
        as(f.settlement, f.supplierA).disputeCdr(
          claim.claimId,
          claim.cdrs[0]!.digest,
          claim.cdrs[0]!.amount,
          proofOf(claim, 0),
          REASON,
        ),
      )
        .to.be.revertedWithCustomError(f.settlement, "SettlementChallengeWindowClosed")
        .withArgs(claim.claimId, deadline);
    });

    it("should make an unchallenged claim final one second after the deadline, not before", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const deadline = (await f.settlement.challengeDeadline(claim.claimId)) as bigint;
      await time().setNextBlockTimestamp(deadline);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, f.supplierA.address, f.supplierB.address))
        .to.be.revertedWithCustomError(f.settlement, "SettlementPairNotFinal")
        .withArgs(PERIOD, f.supplierA.address, f.supplierB.address);
      await time().setNextBlockTimestamp(deadline + 1n);
      await expect(as(f.settlement, f.supplierC).netPair(PERIOD, f.supplierA.address, f.supplierB.address))
        .to.emit(f.settlement, "PairNetted")
        .withArgs(PERIOD, f.supplierB.address, f.supplierA.address, claim.amount, claim.amount, 0n);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false); // netted: no longer nettable
      expect((await f.settlement.claimOf(claim.claimId)).status).to.equal(3n);
      await expect(as(f.settlement, f.supplierA).acceptClaim(claim.claimId))
        .to.be.revertedWithCustomError(f.settlement, "SettlementClaimNotPending")
        .withArgs(claim.claimId, 3n);
    });
  });

  describe("disputes by Merkle proof", () => {
    it("should accept a valid proof of any CDR in a large claim", async () => {
      const f = await fixture();
      const cdrs = makeCdrs(f, f.supplierB.address, f.supplierA.address, 300);
      const claim = await submitClaim(f, f.supplierB, f.supplierA, PERIOD, cdrs);
      for (const i of [0, 137, 299]) {
        await expect(
          as(f.settlement, f.supplierA).disputeCdr(claim.claimId, cdrs[i]!.digest, cdrs[i]!.amount, proofOf(claim, i), REASON),
        ).to.emit(f.settlement, "CdrDisputed");
      }
      expect((await f.settlement.claimOf(claim.claimId)).openDisputes).to.equal(3n);
      const d = await f.settlement.disputeOf(2);
      expect(d.claimId).to.equal(claim.claimId);
      expect(d.cdrDigest).to.equal(cdrs[137]!.digest);
      expect(d.amount).to.equal(cdrs[137]!.amount);
      expect(d.status).to.equal(1n);
      expect(d.reason).to.equal(REASON);
    });

    it("should refuse forged proofs: another amount, another digest, a tampered or foreign proof", async () => {
      const f = await fixture();
      const claim = await claimBA(f);
      const other = await submitClaim(f, f.supplierB, f.supplierA, PERIOD);
      const a = as(f.settlement, f.supplierA);
      const { digest, amount } = claim.cdrs[0]!;
      const proof = proofOf(claim, 0);
      const forged: [string, bigint, string[]][] = [
        [digest, amount + 1n, proof], // the amount of the leaf is part of what is proven
        [hexlify(randomBytes(32)), amount, proof], // a CDR that is not in the claim
        [digest, amount, [hexlify(randomBytes(32)), ...proof.slice(1)]], // tampered sibling
        [digest, amount, proofOf(other, 0)], // a valid proof under another claim's root
        [other.cdrs[0]!.digest, other.cdrs[0]!.amount, proofOf(other, 0)], // another claim's leaf
        [digest, amount, []], // no proof at all
      ];
      for (const [d, amt, p] of forged) {
        await expect(a.disputeCdr(claim.claimId, d, amt, p, REASON))
          .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidProof")
          .withArgs(claim.claimId, d);
      }
      // The genuine proof still works, once per leaf.
      await expect(a.disputeCdr(claim.claimId, digest, amount, proof, REASON)).to.emit(f.settlement, "CdrDisputed");
      await expect(a.disputeCdr(claim.claimId, digest, amount, proof, REASON))
        .to.be.revertedWithCustomError(f.settlement, "SettlementAlreadyDisputed")
        .withArgs(claim.claimId, digest);
    });
  });

  describe("arbiter rulings", () => {
    it("should cut a claim reserved short from its uncovered part first, and release the lock only beyond it", async () => {
      const f = await fixture();
      const A = f.supplierA.address;
      // C's claim reserves all of A's collateral but 100; B's claim of 150 then has 100 reserved, 50 uncovered.
      const first = makeCdrs(f, f.supplierC.address, A, 1, () => INITIAL_DEPOSIT - 100n);
      await submitClaim(f, f.supplierC, f.supplierA, PERIOD, first);
      const cdrs = makeCdrs(f, f.supplierB.address, A, 2, (i) => (i === 0 ? 30n : 120n));
      const claim = await submitClaim(f, f.supplierB, f.supplierA, PERIOD, cdrs);
      const a = as(f.settlement, f.supplierA);
      const arb = as(f.settlement, f.arbiter);
      const view = async () => {
        const c = await f.settlement.claimOf(claim.claimId);
        return [c.amount, c.claimedAmount, c.reserved, await f.settlement.lockedOf(A)];
      };
      expect(await view()).to.deep.equal([150n, 150n, 100n, INITIAL_DEPOSIT]);
      await a.disputeCdr(claim.claimId, cdrs[0]!.digest, 30n, proofOf(claim, 0), REASON);
      await a.disputeCdr(claim.claimId, cdrs[1]!.digest, 120n, proofOf(claim, 1), REASON);
      // 30 upheld: within the 50 uncovered, the reservation and the lock stay.
      await arb.resolveDispute(1, true, BUNDLE);
      expect(await view()).to.deep.equal([120n, 150n, 100n, INITIAL_DEPOSIT]);
      // 120 upheld: 20 uncovered went first, 100 of the reservation is released.
      await arb.resolveDispute(2, true, BUNDLE);
      expect(await view()).to.deep.equal([0n, 150n, 0n, INITIAL_DEPOSIT - 100n]);
      const [, , flow] = await f.settlement.pairOf(PERIOD, A, f.supplierB.address);
      expect([flow.amount, flow.reserved]).to.deep.equal([0n, 0n]);
    });

    async function disputed(f: SettlementFixture, index = 1) {
      const claim = await claimBA(f);
      const cdr = claim.cdrs[index]!;
      await as(f.settlement, f.supplierA).disputeCdr(claim.claimId, cdr.digest, cdr.amount, proofOf(claim, index), REASON);
      return { claim, cdr, disputeId: 1n };
    }

    it("should reduce the claim and its lock by the CDR's amount when upheld", async () => {
      const f = await fixture();
      const { claim, cdr, disputeId } = await disputed(f);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false);
      await expect(as(f.settlement, f.arbiter).resolveDispute(disputeId, true, BUNDLE))
        .to.emit(f.settlement, "DisputeResolved")
        .withArgs(disputeId, claim.claimId, f.arbiter.address, true, BUNDLE, cdr.amount);
      const c = await f.settlement.claimOf(claim.claimId);
      expect(c.amount).to.equal(claim.amount - cdr.amount);
      expect(c.claimedAmount).to.equal(claim.amount);
      expect(c.openDisputes).to.equal(0n);
      expect(await f.settlement.lockedOf(f.supplierA.address)).to.equal(claim.amount - cdr.amount);
      const d = await f.settlement.disputeOf(disputeId);
      expect(d.status).to.equal(2n);
      expect(d.bundleDigest).to.equal(BUNDLE);
      expect(d.resolvedAt).to.equal(BigInt(await time().latest()));
      // Still inside the window and not accepted: not final until the window closes.
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(false);
      await time().increase(WINDOW);
      expect(await f.settlement.isFinal(claim.claimId)).to.equal(true);
    });

    it("should leave the claim unchanged when rejected", async () => {
      const f = await fixture();
      const { claim, disputeId } = await disputed(f);
      await expect(as(f.settlement, f.arbiter).resolveDispute(disputeId, false, BUNDLE))
        .to.emit(f.settlement, "DisputeResolved")
        .withArgs(disputeId, claim.claimId, f.arbiter.address, false, BUNDLE, 0n);
      expect((await f.settlement.claimOf(claim.claimId)).amount).to.equal(claim.amount);
      expect((await f.settlement.disputeOf(disputeId)).status).to.equal(3n);
    });

    it("should accept rulings only from an arbiter who is not a party, once, with a bundle", async () => {
      const f = await fixture();
      const { disputeId } = await disputed(f);
      for (const s of [f.supplierA, f.supplierB, f.outsider, f.registrar, f.admin]) {
        await expect(as(f.settlement, s).resolveDispute(disputeId, true, BUNDLE))
          .to.be.revertedWithCustomError(f.settlement, "AccessControlUnauthorizedAccount")
          .withArgs(s.address, f.roles.ARBITER);
      }
      await as(f.registry, f.admin).grantRole(f.roles.ARBITER, f.supplierB.address);
      await expect(as(f.settlement, f.supplierB).resolveDispute(disputeId, false, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementArbiterIsParty")
        .withArgs(disputeId, f.supplierB.address);
      const arb = as(f.settlement, f.arbiter);
      await expect(arb.resolveDispute(disputeId, true, ZeroHash))
        .to.be.revertedWithCustomError(f.settlement, "SettlementInvalidBundle")
        .withArgs(disputeId);
      await expect(arb.resolveDispute(7, true, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementUnknownDispute")
        .withArgs(7n);
      await arb.resolveDispute(disputeId, true, BUNDLE);
      await expect(arb.resolveDispute(disputeId, false, BUNDLE))
        .to.be.revertedWithCustomError(f.settlement, "SettlementDisputeClosed")
        .withArgs(disputeId);
    });

    it("should never reduce a claim below zero", async () => {
      const f = await fixture();
      // A host's tree whose leaves sum to more than the claimed amount (an under-claim is the host's loss).
      const cdrs = makeCdrs(f, f.supplierB.address, f.supplierA.address, 2, () => 500n);
      const tree = cdrTree(cdrs);
      const evidence = hexlify(randomBytes(32));
      await as(f.ledger, f.supplierB).anchorBatch(evidence, 2, 2);
      await as(f.settlement, f.supplierB).submitClaim(PERIOD, f.supplierA.address, 600n, tree.root, 2, evidence, packageHashOf(tree.root));
      const a = as(f.settlement, f.supplierA);
      const id = claimIdOf(PERIOD, 0);
      await a.disputeCdr(id, cdrs[0]!.digest, 500n, tree.getProof(0), REASON);
      await a.disputeCdr(id, cdrs[1]!.digest, 500n, tree.getProof(1), REASON);
      await as(f.settlement, f.arbiter).resolveDispute(1, true, BUNDLE);
      await expect(as(f.settlement, f.arbiter).resolveDispute(2, true, BUNDLE))
        .to.emit(f.settlement, "DisputeResolved")
        .withArgs(2n, id, f.arbiter.address, true, BUNDLE, 100n);
      expect((await f.settlement.claimOf(id)).amount).to.equal(0n);
      expect(await f.settlement.lockedOf(f.supplierA.address)).to.equal(0n);
    });
  });

  describe("dispute bond", () => {
    const FEE = 25_000_000n;

    it("should escrow the bond when the dispute opens; upheld it comes back with the host's fee, rejected the host takes it", async () => {
      const f = await fixture();
      await f.settlement.setDisputeFee(FEE);
      const claim = await claimBA(f);
      const a = as(f.settlement, f.supplierA);
      await a.disputeCdr(claim.claimId, claim.cdrs[0]!.digest, claim.cdrs[0]!.amount, proofOf(claim, 0), REASON);
      await a.disputeCdr(claim.claimId, claim.cdrs[1]!.digest, claim.cdrs[1]!.amount, proofOf(claim, 1), REASON);
      expect(await f.settlement.balanceOf(f.supplierA.address)).to.equal(INITIAL_DEPOSIT - 2n * FEE);
      expect((await f.settlement.disputeOf(1)).bond).to.equal(FEE);
      const arb = as(f.settlement, f.arbiter);
      await expect(arb.resolveDispute(1, true, BUNDLE))
        .to.emit(f.settlement, "DisputeFeeCharged")
        .withArgs(1n, f.supplierB.address, f.supplierA.address, FEE, FEE);
      await expect(arb.resolveDispute(2, false, BUNDLE))
        .to.emit(f.settlement, "DisputeFeeCharged")
        .withArgs(2n, f.supplierA.address, f.supplierB.address, FEE, FEE);
      expect(await f.settlement.balanceOf(f.supplierA.address)).to.equal(INITIAL_DEPOSIT);
      expect(await f.settlement.balanceOf(f.supplierB.address)).to.equal(INITIAL_DEPOSIT);
    });

    it("should take the host's fee only from its available balance and waive the rest", async () => {
      const f = await fixture();
      await f.settlement.setDisputeFee(FEE);
      await as(f.settlement, f.supplierB).requestWithdrawal(INITIAL_DEPOSIT);
      const claim = await claimBA(f);
      await as(f.settlement, f.supplierA).disputeCdr(claim.claimId, claim.cdrs[0]!.digest, claim.cdrs[0]!.amount, proofOf(claim, 0), REASON);
      await time().increase(TIMING.withdrawalNotice);
      await as(f.settlement, f.supplierB).withdraw(INITIAL_DEPOSIT - 10n);
      await expect(as(f.settlement, f.arbiter).resolveDispute(1, true, BUNDLE))
        .to.emit(f.settlement, "DisputeFeeCharged")
        .withArgs(1n, f.supplierB.address, f.supplierA.address, 10n, FEE);
      expect(await f.settlement.balanceOf(f.supplierB.address)).to.equal(0n);
      expect(await f.settlement.balanceOf(f.supplierA.address)).to.equal(INITIAL_DEPOSIT + 10n);
    });

    it("should use the fee in force when the dispute was opened", async () => {
      const f = await fixture();
      await expect(f.settlement.setDisputeFee(FEE)).to.emit(f.settlement, "DisputeFeeSet").withArgs(0n, FEE);
      const claim = await claimBA(f);
      await as(f.settlement, f.supplierA).disputeCdr(
        claim.claimId,
        claim.cdrs[2]!.digest,
        claim.cdrs[2]!.amount,
        proofOf(claim, 2),
        REASON,
      );
      await f.settlement.setDisputeFee(FEE * 4n);
      expect(await f.settlement.disputeFee()).to.equal(FEE * 4n);
      await expect(as(f.settlement, f.arbiter).resolveDispute(1, true, BUNDLE))
        .to.emit(f.settlement, "DisputeFeeCharged")
        .withArgs(1n, f.supplierB.address, f.supplierA.address, FEE, FEE);
    });

    it("should refuse a fee that does not fit in 128 bits", async () => {
      const f = await fixture();
      await expect(f.settlement.setDisputeFee(1n << 128n))
        .to.be.revertedWithCustomError(f.settlement, "SafeCastOverflowedUintDowncast")
        .withArgs(128n, 1n << 128n);
    });
  });
});
