/**
 * Dishonest parties against the registry, the evidence ledger and the escrow openings, with the
 * calls that exist: a registrar replaying consents, an ERC-1271 account that says yes to
 * everything, a submitter front-running an NRO, a participant disputing its own evidence, arbiters
 * making their own grounds or losing their role after approving, a CA approving through a second
 * account, and the exact seconds of every window. Each attack is refused with its custom error.
 */
import { expect } from "chai";
import { ContractFactory, hexlify, parseEther, randomBytes, Wallet, ZeroAddress, type Signer } from "ethers";
import { loadArtifact } from "../../src/chain/artifacts.js";
import { registerSigningKey, registryDomain, signKeyBinding, type KeyBinding } from "../../src/evidence/keys.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { bodyHash, signMessage } from "../../src/evidence/sign.js";
import { AnchorKind, MessageType } from "../../src/evidence/types.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { saltedId } from "../helpers/identifiers.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { header, message } from "../helpers/samples.js";
import { escrowFixture } from "../protocol/helpers/escrowOpenings.js";

const OPEN_ENDED = (1n << 40n) - 1n;
const SKEW = 300n;
const rand = () => hexlify(randomBytes(32));
const disputeNo = (n: number) => hexlify(new Uint8Array(31)) + n.toString(16).padStart(2, "0");
/** A fixed gas limit: the call is mined (at a set block time) instead of estimated first. */
const MINED = { gasLimit: 1_000_000n };

describe("Adversarial: dishonest parties against registry, ledger and escrow openings", () => {
  let connection: TestConnection;
  before(async () => {
    connection = await createNetwork();
  });
  const now = async () => BigInt(await connection.networkHelpers.time.latest());

  const adversaryFixture = () => escrowFixture(connection);
  const fixture = () => connection.networkHelpers.loadFixture(adversaryFixture);
  type F = Awaited<ReturnType<typeof adversaryFixture>>;

  /** `addSigningKey` arguments: proof by `key` under `proofDomain`, consent by `consent` under `consentDomain`. */
  async function bindingArgs(f: F, binding: KeyBinding, key: Signer, consent: Signer, consentDomain = registryDomain(f.chainId, f.registryAddress)) {
    const proof = await signKeyBinding(key, registryDomain(f.chainId, f.registryAddress), binding);
    const agreed = await signKeyBinding(consent, consentDomain, binding);
    return [binding.participant, binding.key, binding.validFrom, binding.validUntil, proof, agreed] as const;
  }

  describe("a registrar replaying the participant's consent", () => {
    it("should refuse a consent made for another chain, another registry, another validity or another key", async () => {
      const f = await fixture();
      const dcc = f.participants.dcc;
      const t = await now();
      // The registrar holds the rogue key, so its proof of possession is always valid: only the consent can stop it.
      const rogue = Wallet.createRandom();
      const binding = { participant: dcc.address, key: rogue.address, validFrom: t + 100n, validUntil: t + 100_000n };
      const elsewhere = [
        registryDomain(f.chainId + 1n, f.registryAddress),
        registryDomain(f.chainId, Wallet.createRandom().address),
      ];
      for (const domain of elsewhere) {
        await expect(f.registry.addSigningKey(...(await bindingArgs(f, binding, rogue, dcc, domain))))
          .to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent")
          .withArgs(dcc.address);
      }
      // The participant consented to a binding valid for a day; the registrar stretches it to forever.
      const consented = await signKeyBinding(dcc, registryDomain(f.chainId, f.registryAddress), binding);
      const stretched = { ...binding, validUntil: OPEN_ENDED };
      const stretchedProof = await signKeyBinding(rogue, registryDomain(f.chainId, f.registryAddress), stretched);
      await expect(f.registry.addSigningKey(stretched.participant, stretched.key, stretched.validFrom, stretched.validUntil, stretchedProof, consented))
        .to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent")
        .withArgs(dcc.address);
      // The participant consented to key A; the registrar swaps in its own key B.
      const swapped = Wallet.createRandom();
      const other = { ...binding, key: swapped.address };
      const swappedProof = await signKeyBinding(swapped, registryDomain(f.chainId, f.registryAddress), other);
      await expect(f.registry.addSigningKey(other.participant, other.key, other.validFrom, other.validUntil, swappedProof, consented))
        .to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent")
        .withArgs(dcc.address);
      // The consent given is good for exactly the binding it names, once.
      const proof = await signKeyBinding(rogue, registryDomain(f.chainId, f.registryAddress), binding);
      await expect(f.registry.addSigningKey(binding.participant, binding.key, binding.validFrom, binding.validUntil, proof, consented)).to.emit(
        f.registry,
        "SigningKeyAdded",
      );
      await expect(f.registry.addSigningKey(binding.participant, binding.key, binding.validFrom, binding.validUntil, proof, consented))
        .to.be.revertedWithCustomError(f.registry, "RegistryKeyAlreadyRegistered")
        .withArgs(rogue.address);
    });

    it("should take a key's consent only while the key is valid, to the exact second at both ends", async () => {
      const f = await fixture();
      const dcc = f.participants.dcc;
      const t = await now();
      // A second key of the DCC, valid from t + 100 until t + 200.
      const later = Wallet.createRandom();
      await registerSigningKey(f.registry.connect(dcc), later, { participant: dcc.address, validFrom: t + 100n, validUntil: t + 200n });
      const bind = async (at: bigint) => {
        const rogue = Wallet.createRandom();
        const binding = { participant: dcc.address, key: rogue.address, validFrom: at + 10n, validUntil: at + 1000n };
        return bindingArgs(f, binding, rogue, later);
      };
      const attempt = async (at: bigint) => {
        const args = await bind(at);
        await connection.networkHelpers.time.setNextBlockTimestamp(at);
        return f.registry.addSigningKey(...args, MINED);
      };
      await expect(attempt(t + 99n)).to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent").withArgs(dcc.address);
      await expect(attempt(t + 100n)).to.emit(f.registry, "SigningKeyAdded");
      await expect(attempt(t + 199n)).to.emit(f.registry, "SigningKeyAdded");
      await expect(attempt(t + 200n)).to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent").withArgs(dcc.address);
    });

    it("should refuse a consent by a key revoked before it is used", async () => {
      const f = await fixture();
      const dcc = f.participants.dcc;
      const t = await now();
      const rogue = Wallet.createRandom();
      const binding = { participant: dcc.address, key: rogue.address, validFrom: t + 100n, validUntil: t + 100_000n };
      // Signed while the DCC's key was valid, replayed after the DCC revoked that key.
      const args = await bindingArgs(f, binding, rogue, f.keys.dcc!);
      await f.registry.connect(dcc).revokeSigningKey(f.keys.dcc!.address, 0);
      await expect(f.registry.addSigningKey(...args)).to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent").withArgs(dcc.address);
    });
  });

  describe("an ERC-1271 account that answers yes to everything", () => {
    it("should consent only for itself: never for another participant, and never pass as a key", async () => {
      const f = await fixture();
      const artifact = loadArtifact("YesManWallet", "test/YesManWallet.sol");
      const yesMan = await new ContractFactory(artifact.abi as never[], artifact.bytecode, f.registrar).deploy();
      await yesMan.waitForDeployment();
      const wallet = await yesMan.getAddress();
      await f.registry.grantRole(f.roles.SUPPLIER, wallet);
      const t = await now();
      // Its own rule is to approve every hash, so it consents to any binding of its own (documented).
      const own = Wallet.createRandom();
      const binding = { participant: wallet, key: own.address, validFrom: t + 100n, validUntil: t + 1000n };
      const proof = await signKeyBinding(own, registryDomain(f.chainId, f.registryAddress), binding);
      await expect(f.registry.addSigningKey(wallet, own.address, binding.validFrom, binding.validUntil, proof, "0x")).to.emit(
        f.registry,
        "SigningKeyAdded",
      );
      // Its "yes" is no consent of an account participant: the registrar cannot bind a key to the DCC through it.
      const rogue = Wallet.createRandom();
      const forDcc = { participant: f.participants.dcc.address, key: rogue.address, validFrom: t + 100n, validUntil: t + 1000n };
      const rogueProof = await signKeyBinding(rogue, registryDomain(f.chainId, f.registryAddress), forDcc);
      await expect(f.registry.addSigningKey(forDcc.participant, forDcc.key, forDcc.validFrom, forDcc.validUntil, rogueProof, "0x01"))
        .to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent")
        .withArgs(f.participants.dcc.address);
      // A key must prove possession by ECDSA: a contract saying yes cannot be registered as anyone's key.
      const asKey = { participant: f.participants.dcc.address, key: wallet, validFrom: t + 100n, validUntil: t + 1000n };
      const consent = await signKeyBinding(f.participants.dcc, registryDomain(f.chainId, f.registryAddress), asKey);
      await expect(f.registry.addSigningKey(asKey.participant, wallet, asKey.validFrom, asKey.validUntil, "0x", consent))
        .to.be.revertedWithCustomError(f.registry, "RegistryInvalidKeyProof")
        .withArgs(wallet);
    });
  });

  describe("group versions", () => {
    it("should not call a version current at a time before it was published (late members proving early membership)", async () => {
      const f = await fixture();
      const groupId = rand();
      const members = Array.from({ length: 3 }, () => [rand()] as [string]);
      const v1 = StandardMerkleTree.of(members.slice(0, 2), ["bytes32"]);
      const v2 = StandardMerkleTree.of(members, ["bytes32"]);
      await f.registry.publishGroupRoot(groupId, v1.root, 2);
      const v1At = await now();
      await connection.networkHelpers.time.increase(600);
      await f.registry.publishGroupRoot(groupId, v2.root, 3);
      const v2At = await now();
      // The member added in version 2 cannot claim version 2 was current when it authenticated at v2At - 1.
      expect(await f.registry.isGroupVersionCurrent(groupId, 2, v2At - 1n)).to.equal(false);
      expect(await f.registry.isGroupVersionCurrent(groupId, 2, v2At)).to.equal(true);
      expect(await f.registry.isGroupVersionCurrent(groupId, 1, v1At - 1n)).to.equal(false);
      expect(await f.registry.isGroupVersionCurrent(groupId, 1, v1At)).to.equal(true);
      expect(await f.registry.isGroupVersionCurrent(groupId, 1, v2At)).to.equal(true);
    });
  });

  describe("evidence ledger", () => {
    async function reading(f: F, issuedAt: bigint, ttl = 3600n) {
      const h = header(saltedId("WVWZZZ1KZAW000002"), 0n, issuedAt, ttl);
      return signMessage(f.keys.meter!, f.participants.meter.address, f.domain, message("MeterReading", h), {
        receiver: f.participants.dcc.address,
        receiptDeadline: issuedAt + 3600n,
      });
    }
    const args = (s: SignedMessage) => [MessageType[s.type], s.header, bodyHash(s.type, s.body), s.party, s.signature] as const;

    it("should attribute an NRO front-run by another submitter to its origin, with the signed receiver and deadline", async () => {
      const f = await fixture();
      const t = await now();
      const s = await reading(f, t);
      const deadline = t + 3600n;
      expect(s.header.receiptDeadline).to.equal(deadline);
      // Supplier A (a submitter) copies the meter's pending recordOrigin and gets in first.
      await expect(f.ledger.connect(f.participants.supplierA).recordOrigin(...args(s))).to.emit(f.ledger, "OriginRecorded");
      const o = await f.ledger.originOf(s.digest);
      expect([o.origin, o.receiver, o.receiptDeadline]).to.deep.equal([f.participants.meter.address, f.participants.dcc.address, deadline]);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...args(s)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceAlreadyRecorded")
        .withArgs(s.digest);
      // The front-runner gains nothing: it cannot refuse in the origin's name.
      await connection.networkHelpers.time.increaseTo(deadline + 1n);
      await expect(f.ledger.connect(f.participants.supplierA).recordRefusal(s.digest))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNotOrigin")
        .withArgs(s.digest, f.participants.supplierA.address);
      await expect(f.ledger.connect(f.participants.meter).recordRefusal(s.digest)).to.emit(f.ledger, "ReceiptRefused");
    });

    it("should hold an NRO's window to the exact second: issuedAt up to the skew ahead, up to expiresAt inclusive", async () => {
      const f = await fixture();
      const meter = f.ledger.connect(f.participants.meter);
      const t = (await now()) + 10n;
      const ahead = await reading(f, t + SKEW + 1n);
      await connection.networkHelpers.time.setNextBlockTimestamp(t);
      await expect(meter.recordOrigin(...args(ahead), MINED))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceOutsideValidity")
        .withArgs(t + SKEW + 1n, ahead.header.expiresAt, t);
      const atSkew = await reading(f, t + 1n + SKEW);
      await connection.networkHelpers.time.setNextBlockTimestamp(t + 1n);
      await expect(meter.recordOrigin(...args(atSkew), MINED)).to.emit(f.ledger, "OriginRecorded");
      // Expiry: recorded at expiresAt exactly, refused one second later.
      const issued = t + 2n;
      const lastSecond = await reading(f, issued, 600n);
      const tooLate = await reading(f, issued, 600n);
      await connection.networkHelpers.time.setNextBlockTimestamp(issued + 600n);
      await expect(meter.recordOrigin(...args(lastSecond), MINED)).to.emit(f.ledger, "OriginRecorded");
      await connection.networkHelpers.time.setNextBlockTimestamp(issued + 601n);
      await expect(meter.recordOrigin(...args(tooLate), MINED))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceOutsideValidity")
        .withArgs(issued, issued + 600n, issued + 601n);
    });

    it("should refuse a dispute a submitter records over its own anchor (grounds out of nothing)", async () => {
      const f = await fixture();
      const junk = rand();
      const agg = f.participants.aggregator;
      await f.ledger.connect(agg).anchorBatch(junk, 1, AnchorKind.Authentications);
      await expect(f.ledger.connect(agg).recordDispute(agg.address, junk, rand()))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceSelfDispute")
        .withArgs(junk);
      expect(await f.ledger.disputeRecordOf(disputeNo(2))).to.deep.equal([ZeroAddress, 0n]);
    });
  });

  describe("escrow openings", () => {
    const grounds = disputeNo(1);

    it("should stop counting an approval once its arbiter's role is revoked", async () => {
      const f = await fixture();
      const id = rand();
      await f.arbiter.recordDispute(id, f.ledgerAddress, grounds, rand(), rand());
      await f.second.approveOpening(id);
      expect(await f.escrow.currentApprovals(id)).to.equal(2n);
      // The second arbiter is struck off (found partial); its approval must not open the escrow.
      await f.registry.connect(f.admin).revokeRole(f.roles.ARBITER, f.secondArbiter.address);
      expect(await f.escrow.currentApprovals(id)).to.equal(1n);
      expect((await f.escrow.disputeOf(id)).approvals).to.equal(2n);
      await expect(f.ca.recordOpening(id, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowNotEnoughApprovals").withArgs(id, 1, 2);
      await expect(f.second.approveOpening(rand()))
        .to.be.revertedWithCustomError(f.escrow, "AccessControlUnauthorizedAccount")
        .withArgs(f.secondArbiter.address, f.roles.ARBITER);
      expect(await f.escrow.isOpened(id)).to.equal(false);
      // A newly granted arbiter's approval restores the threshold.
      const third = Wallet.createRandom().connect(connection.ethers.provider);
      await (await f.admin.sendTransaction({ to: third.address, value: parseEther("1") })).wait();
      await f.registry.connect(f.admin).grantRole(f.roles.ARBITER, third.address);
      await f.escrow.connect(third).approveOpening(id);
      await expect(f.ca.recordOpening(id, rand())).to.emit(f.escrow, "EscrowOpened");
    });

    it("should never count an approval by a CA account, even a second one or one made CA after approving", async () => {
      const f = await fixture();
      // The default admin makes a second account of the CA an arbiter: it may neither request nor approve.
      const caTwin = f.secondArbiter;
      await f.registry.connect(f.admin).grantRole(f.roles.REGISTRAR, caTwin.address);
      const id = rand();
      await expect(f.second.recordDispute(id, f.ledgerAddress, grounds, rand(), rand()))
        .to.be.revertedWithCustomError(f.escrow, "EscrowApproverNotIndependent")
        .withArgs(id, caTwin.address);
      await f.arbiter.recordDispute(id, f.ledgerAddress, grounds, rand(), rand());
      await expect(f.second.approveOpening(id)).to.be.revertedWithCustomError(f.escrow, "EscrowApproverNotIndependent").withArgs(id, caTwin.address);
      // An arbiter who approved and was made a CA afterwards: its approval stops counting, and it cannot open.
      await f.registry.connect(f.admin).revokeRole(f.roles.REGISTRAR, caTwin.address);
      await f.second.approveOpening(id);
      await f.registry.connect(f.admin).grantRole(f.roles.REGISTRAR, caTwin.address);
      expect(await f.escrow.currentApprovals(id)).to.equal(1n);
      await expect(f.ca.recordOpening(id, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowNotEnoughApprovals").withArgs(id, 1, 2);
      await expect(f.second.recordOpening(id, rand()))
        .to.be.revertedWithCustomError(f.escrow, "EscrowOpenerNotIndependent")
        .withArgs(id, caTwin.address);
    });

    it("should refuse grounds of the requester's, an approver's or the CA's own making", async () => {
      const f = await fixture();
      const agg = f.participants.aggregator.address;
      // The arbiter (a participant by its role) records an evidence dispute itself and rules on it.
      await f.ledger.connect(f.participants.arbiter).recordDispute(agg, f.root, rand());
      const byArbiter = disputeNo(2);
      const id = rand();
      await expect(f.arbiter.recordDispute(id, f.ledgerAddress, byArbiter, rand(), rand()))
        .to.be.revertedWithCustomError(f.escrow, "EscrowGroundsNotIndependent")
        .withArgs(id, f.participants.arbiter.address);
      // The second arbiter may request on them, but the first, who opened them, may not approve.
      await f.second.recordDispute(id, f.ledgerAddress, byArbiter, rand(), rand());
      await expect(f.arbiter.approveOpening(id))
        .to.be.revertedWithCustomError(f.escrow, "EscrowGroundsNotIndependent")
        .withArgs(id, f.participants.arbiter.address);
      // The CA records an evidence dispute to open on: no arbiter may use it.
      await f.ledger.connect(f.registrar).recordDispute(agg, f.root, rand());
      const byCa = disputeNo(3);
      const other = rand();
      await expect(f.arbiter.recordDispute(other, f.ledgerAddress, byCa, rand(), rand()))
        .to.be.revertedWithCustomError(f.escrow, "EscrowGroundsNotIndependent")
        .withArgs(other, f.registrar.address);
      await expect(f.escrow.disputeOf(other)).to.be.revertedWithCustomError(f.escrow, "EscrowUnknownDispute").withArgs(other);
    });
  });
});
