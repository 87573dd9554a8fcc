import { expect } from "chai";
import { hexlify, randomBytes, Signature, Wallet } from "ethers";
import type { DynamicContract } from "../../src/chain/deploy.js";
import { buildBatch, proofFor } from "../../src/evidence/merkle.js";
import { bodyHash, signMessage, signReceipt } from "../../src/evidence/sign.js";
import { AnchorKind, evidenceDomain, MessageType } from "../../src/evidence/types.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { saltedId } from "../helpers/identifiers.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { header, message } from "../helpers/samples.js";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe("EvidenceLedger", () => {
  let connection: TestConnection;
  before(async () => {
    connection = await createNetwork();
  });
  const fixture = () => connection.networkHelpers.loadFixture(evidenceFixtureFn);
  async function evidenceFixtureFn() {
    return evidenceFixture(connection);
  }

  async function now() {
    return BigInt(await connection.networkHelpers.time.latest());
  }

  /** A meter reading signed by the meter's registered key (an NRO), ready to record. */
  async function signedReading(f: Awaited<ReturnType<typeof fixture>>, opts: { ttl?: bigint; domain?: typeof f.domain } = {}) {
    const h = header(saltedId("WVWZZZ1KZAW000001"), 0n, await now(), opts.ttl);
    return signMessage(f.keys.meter!, f.participants.meter.address, opts.domain ?? f.domain, message("MeterReading", h));
  }

  function recordArgs(s: SignedMessage, deadline: bigint, signature = s.signature, party = s.party) {
    return [MessageType[s.type], s.header, bodyHash(s.type, s.body), party, deadline, signature] as const;
  }

  describe("anchoring", () => {
    it("should anchor a batch root once, attributed to the submitter, with an event", async () => {
      const f = await fixture();
      const batch = buildBatch(Array.from({ length: 5 }, () => hexlify(randomBytes(32))));
      const ledger = f.ledger.connect(f.participants.aggregator);
      const tx = ledger.anchorBatch(batch.root, 5, AnchorKind.Receipts);
      await expect(tx).to.emit(ledger, "BatchAnchored");
      const anchor = await ledger.anchorOf(batch.root);
      expect(anchor.submitter).to.equal(f.participants.aggregator.address);
      expect(anchor.count).to.equal(5n);
      expect(anchor.kind).to.equal(BigInt(AnchorKind.Receipts));
      expect(anchor.anchoredAt).to.equal(await now());
      await expect(ledger.anchorBatch(batch.root, 5, AnchorKind.Receipts))
        .to.be.revertedWithCustomError(ledger, "EvidenceAlreadyAnchored")
        .withArgs(batch.root);
      await expect(f.ledger.connect(f.participants.supplierA).anchorDigest(batch.root, 0))
        .to.be.revertedWithCustomError(ledger, "EvidenceAlreadyAnchored")
        .withArgs(batch.root);
    });

    it("should reject a zero root or an empty batch", async () => {
      const f = await fixture();
      const ledger = f.ledger.connect(f.participants.aggregator);
      await expect(ledger.anchorBatch(hexlify(new Uint8Array(32)), 1, 0))
        .to.be.revertedWithCustomError(ledger, "EvidenceInvalidAnchor");
      await expect(ledger.anchorBatch(hexlify(randomBytes(32)), 0, 0))
        .to.be.revertedWithCustomError(ledger, "EvidenceInvalidAnchor");
    });

    it("should prove inclusion of every leaf of an anchored root and nothing else", async () => {
      const f = await fixture();
      const digests = Array.from({ length: 9 }, () => hexlify(randomBytes(32)));
      const batch = buildBatch(digests);
      await f.ledger.connect(f.participants.aggregator).anchorBatch(batch.root, digests.length, 0);
      for (const d of digests) expect(await f.ledger.verifyInclusion(batch.root, d, proofFor(batch, d))).to.equal(true);
      const other = hexlify(randomBytes(32));
      expect(await f.ledger.verifyInclusion(batch.root, other, proofFor(batch, digests[0]!))).to.equal(false);
      // A valid proof under a root that was never anchored proves nothing.
      const unanchored = buildBatch(digests.slice(1));
      expect(await f.ledger.verifyInclusion(unanchored.root, digests[1]!, proofFor(unanchored, digests[1]!))).to.equal(false);
    });

    it("should return an explicit not-found for unknown ids", async () => {
      const f = await fixture();
      const id = hexlify(randomBytes(32));
      for (const call of [f.ledger.anchorOf(id), f.ledger.originOf(id), f.ledger.receiptOf(id), f.ledger.acknowledgementOf(id, f.admin.address)]) {
        await expect(call).to.be.revertedWithCustomError(f.ledger, "EvidenceNotFound").withArgs(id);
      }
    });

    it("should record a counterparty's acknowledgement of a batch once, never the submitter's own", async () => {
      const f = await fixture();
      const root = hexlify(randomBytes(32));
      await f.ledger.connect(f.participants.aggregator).anchorBatch(root, 3, AnchorKind.Receipts);
      const supplier = f.ledger.connect(f.participants.supplierA);
      await expect(supplier.acknowledgeBatch(root)).to.emit(supplier, "BatchAcknowledged");
      expect(await f.ledger.acknowledgementOf(root, f.participants.supplierA.address)).to.equal(await now());
      await expect(supplier.acknowledgeBatch(root))
        .to.be.revertedWithCustomError(supplier, "EvidenceAlreadyAcknowledged")
        .withArgs(root, f.participants.supplierA.address);
      await expect(f.ledger.connect(f.participants.aggregator).acknowledgeBatch(root))
        .to.be.revertedWithCustomError(supplier, "EvidenceSelfAcknowledgement")
        .withArgs(root);
      const unknown = hexlify(randomBytes(32));
      await expect(supplier.acknowledgeBatch(unknown)).to.be.revertedWithCustomError(supplier, "EvidenceNotFound").withArgs(unknown);
    });
  });

  describe("proof of origin (NRO)", () => {
    it("should record a signed message attributed to its origin, with the TypeScript digest", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const deadline = (await now()) + 3600n;
      const tx = f.ledger.connect(f.outsider).recordOrigin(...recordArgs(s, deadline));
      await expect(tx)
        .to.emit(f.ledger, "OriginRecorded")
        .withArgs(s.digest, s.party, MessageType.MeterReading, s.header.sessionId, deadline);
      const o = await f.ledger.originOf(s.digest);
      expect(o.origin).to.equal(f.participants.meter.address);
      expect(o.status).to.equal(1n);
    });

    it("should reject a replayed NRO (same digest) and emit nothing", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const deadline = (await now()) + 3600n;
      await f.ledger.recordOrigin(...recordArgs(s, deadline));
      const before = await f.ledger.queryFilter(f.ledger.filters.OriginRecorded!());
      await expect(f.ledger.recordOrigin(...recordArgs(s, deadline)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceAlreadyRecorded")
        .withArgs(s.digest);
      expect(await f.ledger.queryFilter(f.ledger.filters.OriginRecorded!())).to.have.length(before.length);
    });

    it("should reject a second message reusing the origin's nonce", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      await f.ledger.recordOrigin(...recordArgs(s, (await now()) + 3600n));
      const again = await signMessage(f.keys.meter!, s.party, f.domain, message("MeterReading", { ...s.header, seq: 1n }));
      await expect(f.ledger.recordOrigin(...recordArgs(again, (await now()) + 3600n)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNonceUsed")
        .withArgs(s.party, s.header.nonce);
    });

    it("should reject a message replayed after its validity window", async () => {
      const f = await fixture();
      const s = await signedReading(f, { ttl: 600n });
      await connection.networkHelpers.time.increase(601);
      await expect(f.ledger.recordOrigin(...recordArgs(s, (await now()) + 3600n)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceOutsideValidity");
    });

    it("should reject a receipt deadline in the past or too far ahead", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      await expect(f.ledger.recordOrigin(...recordArgs(s, await now()))).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidDeadline");
      await expect(f.ledger.recordOrigin(...recordArgs(s, (await now()) + 31n * 86400n))).to.be.revertedWithCustomError(
        f.ledger,
        "EvidenceInvalidDeadline",
      );
    });

    it("should reject a signature made for another chain", async () => {
      const f = await fixture();
      const s = await signedReading(f, { domain: evidenceDomain(f.chainId + 1n, f.ledgerAddress) });
      await expect(f.ledger.recordOrigin(...recordArgs(s, (await now()) + 3600n))).to.be.revertedWithCustomError(
        f.ledger,
        "EvidenceInvalidSigner",
      );
    });

    it("should reject a signature made for another deployment", async () => {
      const f = await fixture();
      const other = (await connection.ethers.deployContract("EvidenceLedger", [f.registryAddress])) as unknown as DynamicContract;
      const s = await signedReading(f, { domain: evidenceDomain(f.chainId, await other.getAddress()) });
      await expect(other.recordOrigin(...recordArgs(s, (await now()) + 3600n))).to.not.be.revert(connection.ethers);
      await expect(f.ledger.recordOrigin(...recordArgs(s, (await now()) + 3600n))).to.be.revertedWithCustomError(
        f.ledger,
        "EvidenceInvalidSigner",
      );
    });

    it("should reject a high-s (malleated) signature", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const sig = Signature.from(s.signature);
      const highS = hexlify(new Uint8Array([
        ...Buffer.from(sig.r.slice(2), "hex"),
        ...Buffer.from((SECP256K1_N - BigInt(sig.s)).toString(16).padStart(64, "0"), "hex"),
        sig.v === 27 ? 28 : 27,
      ]));
      await expect(f.ledger.recordOrigin(...recordArgs(s, (await now()) + 3600n, highS)))
        .to.be.revertedWithCustomError(f.ledger, "ECDSAInvalidSignatureS");
    });

    it("should reject wrong-length and bad-v signatures with the OpenZeppelin errors", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const deadline = (await now()) + 3600n;
      const short = s.signature.slice(0, -2);
      await expect(f.ledger.recordOrigin(...recordArgs(s, deadline, short)))
        .to.be.revertedWithCustomError(f.ledger, "ECDSAInvalidSignatureLength")
        .withArgs(64);
      const badV = s.signature.slice(0, -2) + "1d";
      await expect(f.ledger.recordOrigin(...recordArgs(s, deadline, badV))).to.be.revertedWithCustomError(f.ledger, "ECDSAInvalidSignature");
    });

    it("should reject a valid signature by a key not registered, or registered to another party", async () => {
      const f = await fixture();
      const h = header(saltedId("WBA8E9G51GNT00042"), 0n, await now());
      const stranger = await signMessage(Wallet.createRandom(), f.participants.meter.address, f.domain, message("MeterReading", h));
      await expect(f.ledger.recordOrigin(...recordArgs(stranger, (await now()) + 3600n)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.meter.address, stranger.signer);
      const s = await signedReading(f);
      await expect(f.ledger.recordOrigin(...recordArgs(s, (await now()) + 3600n, s.signature, f.participants.dcc.address)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.dcc.address, s.signer);
    });

    it("should reject a key revoked before use but keep evidence recorded while it was valid", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      await f.ledger.recordOrigin(...recordArgs(s, (await now()) + 3600n));
      const t = await now();
      await f.registry.revokeSigningKey(f.keys.meter!.address, 0);
      expect(await f.registry.isKeyValid(f.participants.meter.address, f.keys.meter!.address, t)).to.equal(true);
      expect((await f.ledger.originOf(s.digest)).origin).to.equal(f.participants.meter.address);
      const later = await signedReading(f);
      await expect(f.ledger.recordOrigin(...recordArgs(later, (await now()) + 3600n)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
    });

    it("should reject a message signed before its key became valid", async () => {
      const f = await fixture();
      const t0 = await now();
      const key = Wallet.createRandom();
      await f.registry.addSigningKey(f.participants.dcc.address, key.address, t0 + 100n, t0 + 86400n);
      const early = await signMessage(key, f.participants.dcc.address, f.domain, message("MeterReading", header(saltedId("WVWZZZ1KZAW000001"), 0n, t0)));
      await connection.networkHelpers.time.increase(200);
      await expect(f.ledger.recordOrigin(...recordArgs(early, (await now()) + 3600n)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.dcc.address, key.address);
    });

    it("should reject an unknown message type", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const args = recordArgs(s, (await now()) + 3600n);
      await expect(f.ledger.recordOrigin(7, ...args.slice(1) as [never, never, never, never, never]))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceUnknownMessageType")
        .withArgs(7);
    });
  });

  describe("proof of receipt (NRR) and refusal", () => {
    async function recorded() {
      const f = await fixture();
      const s = await signedReading(f);
      const deadline = (await now()) + 3600n;
      await f.ledger.recordOrigin(...recordArgs(s, deadline));
      const receipt = { nroDigest: s.digest, sessionId: s.header.sessionId, receivedAt: await now(), nonce: hexlify(randomBytes(32)) };
      return { f, s, deadline, receipt };
    }

    it("should attribute a receipt to its signer even when a third party submits it", async () => {
      const { f, s, receipt } = await recorded();
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await expect(f.ledger.connect(f.outsider).recordReceipt(r.receipt, r.receiver, r.signature))
        .to.emit(f.ledger, "ReceiptRecorded")
        .withArgs(s.digest, f.participants.dcc.address, r.digest, receipt.receivedAt);
      const stored = await f.ledger.receiptOf(s.digest);
      expect(stored.receiver).to.equal(f.participants.dcc.address);
      expect(stored.receiver).to.not.equal(f.outsider.address);
      expect((await f.ledger.originOf(s.digest)).status).to.equal(2n);
    });

    it("should reject a receipt claimed for another party than its signer", async () => {
      const { f, receipt } = await recorded();
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await expect(f.ledger.connect(f.outsider).recordReceipt(r.receipt, f.participants.supplierA.address, r.signature))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.supplierA.address, r.signer);
    });

    it("should reject an NRO signature submitted as an NRR", async () => {
      const { f, s } = await recorded();
      // The receipt names the NRO digest, but the signature is the NRO's (another EIP-712 type).
      const receipt = { nroDigest: s.digest, sessionId: s.header.sessionId, receivedAt: s.header.issuedAt, nonce: s.header.nonce };
      await expect(f.ledger.recordReceipt(receipt, s.party, s.signature)).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
      await expect(f.ledger.recordReceipt(receipt, f.participants.dcc.address, s.signature)).to.be.revertedWithCustomError(
        f.ledger,
        "EvidenceInvalidSigner",
      );
    });

    it("should reject an NRR whose digest matches no NRO", async () => {
      const f = await fixture();
      const receipt = { nroDigest: hexlify(randomBytes(32)), sessionId: hexlify(randomBytes(32)), receivedAt: await now(), nonce: hexlify(randomBytes(32)) };
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await expect(f.ledger.recordReceipt(r.receipt, r.receiver, r.signature))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNotFound")
        .withArgs(receipt.nroDigest);
    });

    it("should accept one receipt per NRO and refuse the origin's own", async () => {
      const { f, s, receipt } = await recorded();
      const own = await signReceipt(f.keys.meter!, s.party, f.domain, receipt);
      await expect(f.ledger.recordReceipt(own.receipt, own.receiver, own.signature)).to.be.revertedWithCustomError(
        f.ledger,
        "EvidenceInvalidSigner",
      );
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await f.ledger.recordReceipt(r.receipt, r.receiver, r.signature);
      const second = await signReceipt(f.keys.aggregator!, f.participants.aggregator.address, f.domain, { ...receipt, nonce: hexlify(randomBytes(32)) });
      await expect(f.ledger.recordReceipt(second.receipt, second.receiver, second.signature))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceReceiptNotExpected")
        .withArgs(s.digest, 2);
    });

    it("should let only the origin record a refusal, and only after the deadline", async () => {
      const { f, s, deadline, receipt } = await recorded();
      const meter = f.ledger.connect(f.participants.meter);
      await expect(meter.recordRefusal(s.digest))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceDeadlineNotReached")
        .withArgs(s.digest, deadline);
      await connection.networkHelpers.time.increaseTo(deadline);
      await expect(f.ledger.connect(f.participants.dcc).recordRefusal(s.digest))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNotOrigin")
        .withArgs(s.digest, f.participants.dcc.address);
      await expect(meter.recordRefusal(s.digest)).to.emit(f.ledger, "ReceiptRefused").withArgs(s.digest, s.party, deadline);
      expect((await f.ledger.originOf(s.digest)).status).to.equal(3n);
      const late = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await expect(f.ledger.recordReceipt(late.receipt, late.receiver, late.signature))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceReceiptNotExpected")
        .withArgs(s.digest, 3);
      await expect(meter.recordRefusal(s.digest)).to.be.revertedWithCustomError(f.ledger, "EvidenceReceiptNotExpected");
    });
  });
});
