import { expect } from "chai";
import fc from "fast-check";
import { hexlify, randomBytes, Signature, Wallet, ZeroAddress, ZeroHash } from "ethers";
import { EvidenceLedgerAbi, EvidenceLedgerBytecode } from "../../src/chain/abi/index.js";
import { deployContract, type DynamicContract } from "../../src/chain/deploy.js";
import { registerSigningKey } from "../../src/evidence/keys.js";
import { buildBatch, proofFor } from "../../src/evidence/merkle.js";
import type { Header, SignedMessage } from "../../src/evidence/messages.js";
import { bodyHash, signMessage, signReceipt } from "../../src/evidence/sign.js";
import { AnchorKind, evidenceDomain, MessageType } from "../../src/evidence/types.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { saltedId } from "../helpers/identifiers.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { header, message } from "../helpers/samples.js";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SKEW = 300n;
const MIN_WINDOW = 300n;
const MAX_WINDOW = 30n * 86400n;
const Status = { None: 0n, AwaitingReceipt: 1n, Receipted: 2n, Refused: 3n };
const rand = () => hexlify(randomBytes(32));
/** A fixed gas limit: the call is mined (at a set block time) instead of estimated first. */
const MINED = { gasLimit: 1_000_000n };

type Fixture = Awaited<ReturnType<typeof evidenceFixture>>;

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

  /** A meter reading signed by the meter's registered key (an NRO) for the DCC, ready to record. */
  async function signedReading(
    f: Fixture,
    opts: { ttl?: bigint; domain?: typeof f.domain; receiver?: string; deadline?: bigint; issuedAt?: bigint } = {},
  ) {
    const t = await now();
    const h = header(saltedId("WVWZZZ1KZAW000001"), 0n, opts.issuedAt ?? t, opts.ttl);
    return signMessage(f.keys.meter!, f.participants.meter.address, opts.domain ?? f.domain, message("MeterReading", h), {
      receiver: opts.receiver ?? f.participants.dcc.address,
      receiptDeadline: opts.deadline ?? t + 3600n,
    });
  }

  function recordArgs(s: SignedMessage, signature = s.signature, party = s.party) {
    return [MessageType[s.type], s.header, bodyHash(s.type, s.body), party, signature] as const;
  }

  describe("anchoring", () => {
    it("should anchor a batch root once per submitter, attributed to it, with an event", async () => {
      const f = await fixture();
      const batch = buildBatch(Array.from({ length: 5 }, () => rand()));
      const agg = f.participants.aggregator.address;
      const ledger = f.ledger.connect(f.participants.aggregator);
      await expect(ledger.anchorBatch(batch.root, 5, AnchorKind.Receipts))
        .to.emit(ledger, "BatchAnchored")
        .withArgs(batch.root, agg, 5, AnchorKind.Receipts, (t: bigint) => t > 0n);
      const anchor = await ledger.anchorOf(agg, batch.root);
      expect(anchor.submitter).to.equal(agg);
      expect(anchor.count).to.equal(5n);
      expect(anchor.kind).to.equal(BigInt(AnchorKind.Receipts));
      expect(anchor.anchoredAt).to.equal(await now());
      await expect(ledger.anchorBatch(batch.root, 5, AnchorKind.Receipts))
        .to.be.revertedWithCustomError(ledger, "EvidenceAlreadyAnchored")
        .withArgs(agg, batch.root);
      await expect(ledger.anchorDigest(batch.root, 0))
        .to.be.revertedWithCustomError(ledger, "EvidenceAlreadyAnchored")
        .withArgs(agg, batch.root);
    });

    it("should let nobody steal a root by anchoring a copy of it first (front-running)", async () => {
      const f = await fixture();
      const root = rand();
      const host = f.participants.supplierA;
      const thief = f.participants.supplierB;
      // The thief copies the root from the host's pending transaction and gets in first.
      await f.ledger.connect(thief).anchorBatch(root, 7, AnchorKind.ChargeDetailRecords);
      // The host can still anchor its own root, and the anchor is attributed to the host.
      await expect(f.ledger.connect(host).anchorBatch(root, 7, AnchorKind.ChargeDetailRecords)).to.emit(f.ledger, "BatchAnchored");
      expect((await f.ledger.anchorOf(host.address, root)).submitter).to.equal(host.address);
      expect((await f.ledger.anchorOf(thief.address, root)).submitter).to.equal(thief.address);
      // An acknowledgement names whose anchor it acknowledges.
      await f.ledger.connect(f.participants.dcc).acknowledgeBatch(host.address, root);
      await expect(f.ledger.acknowledgementOf(thief.address, root, f.participants.dcc.address))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceAnchorNotFound")
        .withArgs(thief.address, root);
    });

    it("should reject a zero root, an empty batch and a kind out of range, at the exact bound", async () => {
      const f = await fixture();
      const ledger = f.ledger.connect(f.participants.aggregator);
      await expect(ledger.anchorBatch(ZeroHash, 1, 0)).to.be.revertedWithCustomError(ledger, "EvidenceInvalidAnchor").withArgs(ZeroHash, 1, 0);
      const root = rand();
      await expect(ledger.anchorBatch(root, 0, 0)).to.be.revertedWithCustomError(ledger, "EvidenceInvalidAnchor").withArgs(root, 0, 0);
      await expect(ledger.anchorBatch(root, 1, 6)).to.be.revertedWithCustomError(ledger, "EvidenceInvalidAnchor").withArgs(root, 1, 6);
      await expect(ledger.anchorDigest(root, 255)).to.be.revertedWithCustomError(ledger, "EvidenceInvalidAnchor").withArgs(root, 1, 255);
      await expect(ledger.anchorBatch(root, 1, AnchorKind.AccessLog)).to.emit(ledger, "BatchAnchored");
    });

    it("should prove inclusion of every leaf of an anchored root and nothing else", async () => {
      const f = await fixture();
      const agg = f.participants.aggregator.address;
      const digests = Array.from({ length: 9 }, () => rand());
      const batch = buildBatch(digests);
      await f.ledger.connect(f.participants.aggregator).anchorBatch(batch.root, digests.length, 0);
      for (const d of digests) expect(await f.ledger.verifyInclusion(agg, batch.root, d, proofFor(batch, d))).to.equal(true);
      expect(await f.ledger.verifyInclusion(agg, batch.root, rand(), proofFor(batch, digests[0]!))).to.equal(false);
      // Under another submitter, or under a root never anchored, a valid proof proves nothing.
      expect(await f.ledger.verifyInclusion(f.participants.dcc.address, batch.root, digests[0]!, proofFor(batch, digests[0]!))).to.equal(false);
      const unanchored = buildBatch(digests.slice(1));
      expect(await f.ledger.verifyInclusion(agg, unanchored.root, digests[1]!, proofFor(unanchored, digests[1]!))).to.equal(false);
    });

    it("should return an explicit not-found for unknown ids", async () => {
      const f = await fixture();
      const id = rand();
      for (const call of [f.ledger.originOf(id), f.ledger.receiptOf(id)]) {
        await expect(call).to.be.revertedWithCustomError(f.ledger, "EvidenceNotFound").withArgs(id);
      }
      for (const call of [f.ledger.anchorOf(f.admin.address, id), f.ledger.acknowledgementOf(f.admin.address, id, f.admin.address)]) {
        await expect(call).to.be.revertedWithCustomError(f.ledger, "EvidenceAnchorNotFound").withArgs(f.admin.address, id);
      }
    });

    it("should record a counterparty's acknowledgement of a batch once, never the submitter's own", async () => {
      const f = await fixture();
      const root = rand();
      const agg = f.participants.aggregator.address;
      await f.ledger.connect(f.participants.aggregator).anchorBatch(root, 3, AnchorKind.Receipts);
      const supplier = f.ledger.connect(f.participants.supplierA);
      await expect(supplier.acknowledgeBatch(agg, root))
        .to.emit(supplier, "BatchAcknowledged")
        .withArgs(root, agg, f.participants.supplierA.address, (t: bigint) => t > 0n);
      expect(await f.ledger.acknowledgementOf(agg, root, f.participants.supplierA.address)).to.equal(await now());
      await expect(supplier.acknowledgeBatch(agg, root))
        .to.be.revertedWithCustomError(supplier, "EvidenceAlreadyAcknowledged")
        .withArgs(agg, root, f.participants.supplierA.address);
      await expect(f.ledger.connect(f.participants.aggregator).acknowledgeBatch(agg, root))
        .to.be.revertedWithCustomError(supplier, "EvidenceSelfAcknowledgement")
        .withArgs(root);
      const unknown = rand();
      await expect(supplier.acknowledgeBatch(agg, unknown)).to.be.revertedWithCustomError(supplier, "EvidenceAnchorNotFound").withArgs(agg, unknown);
    });
  });

  describe("disputes over anchored evidence (IDisputeRecords)", () => {
    it("should record a participant's dispute over an existing anchor and answer for it", async () => {
      const f = await fixture();
      const root = rand();
      const agg = f.participants.aggregator.address;
      await f.ledger.connect(f.participants.aggregator).anchorBatch(root, 2, AnchorKind.Authentications);
      const reason = rand();
      const dcc = f.ledger.connect(f.participants.dcc);
      const id = await dcc.recordDispute.staticCall(agg, root, reason);
      expect(id).to.equal(hexlify(new Uint8Array(31)) + "01");
      await expect(dcc.recordDispute(agg, root, reason))
        .to.emit(f.ledger, "EvidenceDisputeRecorded")
        .withArgs(id, agg, root, f.participants.dcc.address, reason);
      const [openedBy, openedAt] = await f.ledger.disputeRecordOf(id);
      expect([openedBy, openedAt]).to.deep.equal([f.participants.dcc.address, await now()]);
      expect(await f.ledger.disputeRecordOf(hexlify(new Uint8Array(31)) + "02")).to.deep.equal([ZeroAddress, 0n]);
    });

    it("should refuse a dispute by a non-participant, or over nothing anchored", async () => {
      const f = await fixture();
      const root = rand();
      const agg = f.participants.aggregator.address;
      await expect(f.ledger.connect(f.outsider).recordDispute(agg, root, rand()))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNotAParticipant")
        .withArgs(f.outsider.address);
      await expect(f.ledger.connect(f.participants.arbiter).recordDispute(agg, root, rand()))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceAnchorNotFound")
        .withArgs(agg, root);
    });
  });

  describe("proof of origin (NRO)", () => {
    it("should record a signed message attributed to its origin, naming its receiver and signed deadline", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      // The origin records it (or a submitter for it).
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(s)))
        .to.emit(f.ledger, "OriginRecorded")
        .withArgs(s.digest, s.party, f.participants.dcc.address, MessageType.MeterReading, s.header.sessionId, s.header.receiptDeadline);
      const o = await f.ledger.originOf(s.digest);
      expect([o.origin, o.receiver, o.receiptDeadline, o.status, o.issuedAt]).to.deep.equal([
        f.participants.meter.address,
        f.participants.dcc.address,
        s.header.receiptDeadline,
        Status.AwaitingReceipt,
        s.header.issuedAt,
      ]);
    });

    it("should let only the origin or an evidence submitter record an NRO (no front-running by outsiders)", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      for (const caller of [f.outsider, f.registrar, f.participants.arbiter]) {
        await expect(f.ledger.connect(caller).recordOrigin(...recordArgs(s)))
          .to.be.revertedWithCustomError(f.ledger, "EvidenceUnauthorizedRecorder")
          .withArgs(s.party, caller.address);
      }
      await expect(f.ledger.connect(f.participants.supplierA).recordOrigin(...recordArgs(s))).to.emit(f.ledger, "OriginRecorded");
    });

    it("should refuse a recorder's own receipt deadline: the deadline is the signed one", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      // A front-runner stretching the deadline to 30 days changes the digest: the signature fails.
      const stretched: Header = { ...s.header, receiptDeadline: (await now()) + MAX_WINDOW };
      await expect(
        f.ledger.connect(f.participants.supplierA).recordOrigin(MessageType.MeterReading, stretched, bodyHash(s.type, s.body), s.party, s.signature),
      ).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
    });

    it("should refuse a receipt deadline shorter than the minimum window, at the exact second", async () => {
      const f = await fixture();
      const t = (await now()) + 10n;
      // The origin signs a 2-second deadline to record an instant "refusal".
      const short = await signedReading(f, { issuedAt: t - 5n, deadline: t + 2n });
      await connection.networkHelpers.time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(short), MINED))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidDeadline")
        .withArgs(t + 2n, t + MIN_WINDOW, t + MAX_WINDOW);
      const oneShort = await signedReading(f, { issuedAt: t - 5n, deadline: t + 1n + MIN_WINDOW - 1n });
      await connection.networkHelpers.time.setNextBlockTimestamp(t + 1n);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(oneShort), MINED))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidDeadline")
        .withArgs(t + MIN_WINDOW, t + 1n + MIN_WINDOW, t + 1n + MAX_WINDOW);
      const exact = await signedReading(f, { issuedAt: t - 5n, deadline: t + 2n + MIN_WINDOW });
      await connection.networkHelpers.time.setNextBlockTimestamp(t + 2n);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(exact), MINED)).to.emit(f.ledger, "OriginRecorded");
    });

    it("should refuse a receipt deadline beyond the maximum window, at the exact second", async () => {
      const f = await fixture();
      const t = (await now()) + 10n;
      const over = await signedReading(f, { issuedAt: t - 5n, deadline: t + MAX_WINDOW + 1n, ttl: 3600n });
      await connection.networkHelpers.time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(over), MINED))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidDeadline")
        .withArgs(t + MAX_WINDOW + 1n, t + MIN_WINDOW, t + MAX_WINDOW);
      const exact = await signedReading(f, { issuedAt: t - 5n, deadline: t + 1n + MAX_WINDOW });
      await connection.networkHelpers.time.setNextBlockTimestamp(t + 1n);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(exact), MINED)).to.emit(f.ledger, "OriginRecorded");
    });

    it("should refuse a receiver that is zero, the origin itself or not a participant", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      for (const receiver of [ZeroAddress, s.party, f.outsider.address]) {
        const h: Header = { ...s.header, receiver };
        await expect(f.ledger.connect(f.participants.meter).recordOrigin(MessageType.MeterReading, h, bodyHash(s.type, s.body), s.party, s.signature))
          .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidReceiver")
          .withArgs(receiver);
      }
    });

    it("should refuse new NROs of a participant whose every role was revoked, though its key is still valid", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      await f.registry.revokeRole(f.roles.METER, f.participants.meter.address);
      await f.registry.revokeRole(f.roles.SUBMITTER, f.participants.meter.address);
      expect(await f.registry.isKeyValid(f.participants.meter.address, f.keys.meter!.address, await now())).to.equal(true);
      await expect(f.ledger.connect(f.participants.supplierA).recordOrigin(...recordArgs(s)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNotAParticipant")
        .withArgs(f.participants.meter.address);
    });

    it("should reject a replayed NRO (same digest) and emit nothing", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const meter = f.ledger.connect(f.participants.meter);
      await meter.recordOrigin(...recordArgs(s));
      const before = await f.ledger.queryFilter(f.ledger.filters.OriginRecorded!());
      await expect(meter.recordOrigin(...recordArgs(s))).to.be.revertedWithCustomError(f.ledger, "EvidenceAlreadyRecorded").withArgs(s.digest);
      expect(await f.ledger.queryFilter(f.ledger.filters.OriginRecorded!())).to.have.length(before.length);
    });

    it("should reject a second message reusing the origin's nonce", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const meter = f.ledger.connect(f.participants.meter);
      await meter.recordOrigin(...recordArgs(s));
      const again = await signMessage(f.keys.meter!, s.party, f.domain, message("MeterReading", { ...s.header, seq: 1n }));
      await expect(meter.recordOrigin(...recordArgs(again)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNonceUsed")
        .withArgs(s.party, s.header.nonce);
    });

    it("should reject a message replayed after its validity window", async () => {
      const f = await fixture();
      const s = await signedReading(f, { ttl: 600n });
      await connection.networkHelpers.time.increase(601);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(s))).to.be.revertedWithCustomError(
        f.ledger,
        "EvidenceOutsideValidity",
      );
    });

    it("should reject a signature made for another chain, another deployment or the version 1 domain", async () => {
      const f = await fixture();
      const meter = f.ledger.connect(f.participants.meter);
      const chain = await signedReading(f, { domain: evidenceDomain(f.chainId + 1n, f.ledgerAddress) });
      await expect(meter.recordOrigin(...recordArgs(chain))).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
      const { contract: other } = await deployContract(f.admin, EvidenceLedgerAbi, EvidenceLedgerBytecode, [f.registryAddress]);
      const there = await signedReading(f, { domain: evidenceDomain(f.chainId, await other.getAddress()) });
      await expect(other.connect(f.participants.meter).recordOrigin(...recordArgs(there))).to.not.be.revert(connection.ethers);
      await expect(meter.recordOrigin(...recordArgs(there))).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
      // Version 1 signatures (no receiver, no deadline) do not count on a version 2 ledger.
      const s = await signedReading(f);
      const v1 = await signMessage(f.keys.meter!, s.party, evidenceDomain(f.chainId, f.ledgerAddress, 1), message("MeterReading", {
        sessionId: s.header.sessionId, seq: s.header.seq, nonce: s.header.nonce, issuedAt: s.header.issuedAt, expiresAt: s.header.expiresAt,
      }, s.body as never));
      await expect(meter.recordOrigin(...recordArgs(s, v1.signature))).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
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
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(s, highS))).to.be.revertedWithCustomError(
        f.ledger,
        "ECDSAInvalidSignatureS",
      );
    });

    it("should reject wrong-length and bad-v signatures with the OpenZeppelin errors", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const meter = f.ledger.connect(f.participants.meter);
      await expect(meter.recordOrigin(...recordArgs(s, s.signature.slice(0, -2))))
        .to.be.revertedWithCustomError(f.ledger, "ECDSAInvalidSignatureLength")
        .withArgs(64);
      await expect(meter.recordOrigin(...recordArgs(s, s.signature.slice(0, -2) + "1d"))).to.be.revertedWithCustomError(f.ledger, "ECDSAInvalidSignature");
    });

    it("should reject a valid signature by a key not registered, or registered to another party", async () => {
      const f = await fixture();
      const t = await now();
      const h = header(saltedId("WBA8E9G51GNT00042"), 0n, t);
      const to = { receiver: f.participants.dcc.address, receiptDeadline: t + 3600n };
      const stranger = await signMessage(Wallet.createRandom(), f.participants.meter.address, f.domain, message("MeterReading", h), to);
      const submitter = f.ledger.connect(f.participants.supplierA);
      await expect(submitter.recordOrigin(...recordArgs(stranger)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.meter.address, stranger.signer);
      const s = await signedReading(f, { receiver: f.participants.aggregator.address });
      await expect(submitter.recordOrigin(...recordArgs(s, s.signature, f.participants.dcc.address)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.dcc.address, s.signer);
    });

    it("should reject a key revoked before use but keep evidence recorded while it was valid", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      await f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(s));
      const t = await now();
      await f.registry.revokeSigningKey(f.keys.meter!.address, 0);
      expect(await f.registry.isKeyValid(f.participants.meter.address, f.keys.meter!.address, t)).to.equal(true);
      expect((await f.ledger.originOf(s.digest)).origin).to.equal(f.participants.meter.address);
      const later = await signedReading(f);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(later))).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
    });

    it("should reject a message signed before its key became valid", async () => {
      const f = await fixture();
      const t0 = await now();
      const key = Wallet.createRandom();
      await registerSigningKey(f.registry, key, { participant: f.participants.dcc.address, validFrom: t0 + 100n, validUntil: t0 + 86400n }, { consent: f.participants.dcc });
      const early = await signMessage(key, f.participants.dcc.address, f.domain, message("MeterReading", header(saltedId("WVWZZZ1KZAW000001"), 0n, t0)), {
        receiver: f.participants.meter.address,
        receiptDeadline: t0 + 3600n,
      });
      await connection.networkHelpers.time.increase(200);
      await expect(f.ledger.connect(f.participants.dcc).recordOrigin(...recordArgs(early)))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.dcc.address, key.address);
    });

    it("should reject an unknown message type", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const [, h, bh, party, sig] = recordArgs(s);
      await expect(f.ledger.connect(f.participants.meter).recordOrigin(7, h, bh, party, sig))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceUnknownMessageType")
        .withArgs(7);
    });

    it("should refuse any single-field change of a signed NRO, receiver and deadline included (property)", async () => {
      const f = await fixture();
      const s = await signedReading(f);
      const submitter = f.ledger.connect(f.participants.supplierA);
      const bh = bodyHash(s.type, s.body);
      const fields = ["sessionId", "seq", "nonce", "issuedAt", "expiresAt", "receiver", "receiptDeadline", "body", "type", "party"] as const;
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...fields), fc.integer({ min: 1, max: 120 }), async (field, delta) => {
          runs++;
          const h: Header = { ...s.header };
          let type: number = MessageType.MeterReading;
          let body = bh;
          let party = s.party;
          const d = BigInt(delta);
          if (field === "sessionId" || field === "nonce") h[field] = rand();
          else if (field === "seq" || field === "expiresAt") h[field] = h[field] + d;
          else if (field === "issuedAt") h.issuedAt -= d;
          else if (field === "receiptDeadline") h.receiptDeadline = h.receiptDeadline! + d;
          else if (field === "receiver") h.receiver = f.participants.aggregator.address;
          else if (field === "body") body = rand();
          else if (field === "type") type = (MessageType.MeterReading + 1 + (delta % 6)) % 7;
          else party = f.participants.aggregator.address;
          await expect(submitter.recordOrigin.staticCall(type, h, body, party, s.signature), field).to.be.revertedWithCustomError(
            f.ledger,
            "EvidenceInvalidSigner",
          );
        }),
        { numRuns: 40 },
      );
      expect(runs).to.equal(40);
      // The unchanged message still records.
      await expect(submitter.recordOrigin(...recordArgs(s))).to.emit(f.ledger, "OriginRecorded");
    });

    it("should expose the ledger's constants and registry through its interface", async () => {
      const f = await fixture();
      const spec = (await connection.ethers.getContractAt("IEvidenceLedger", f.ledgerAddress)) as unknown as DynamicContract;
      expect(await spec.REGISTRY()).to.equal(f.registryAddress);
      expect(await spec.CLOCK_SKEW()).to.equal(SKEW);
      expect(await spec.MIN_RECEIPT_WINDOW()).to.equal(MIN_WINDOW);
      expect(await spec.MAX_RECEIPT_WINDOW()).to.equal(MAX_WINDOW);
    });
  });

  describe("proof of receipt (NRR) and refusal", () => {
    async function recorded(opts: { deadline?: bigint; advance?: number } = {}) {
      const f = await fixture();
      if (opts.advance) await connection.networkHelpers.time.increase(opts.advance);
      const s = await signedReading(f, { deadline: opts.deadline });
      await f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(s));
      const receipt = { nroDigest: s.digest, sessionId: s.header.sessionId, receivedAt: await now(), nonce: rand() };
      return { f, s, deadline: s.header.receiptDeadline!, receipt };
    }

    it("should attribute a receipt to the named receiver even when a third party submits it", async () => {
      const { f, s, receipt } = await recorded();
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await expect(f.ledger.connect(f.outsider).recordReceipt(r.receipt, r.signature))
        .to.emit(f.ledger, "ReceiptRecorded")
        .withArgs(s.digest, f.participants.dcc.address, r.digest, receipt.receivedAt);
      const stored = await f.ledger.receiptOf(s.digest);
      expect(stored.receiver).to.equal(f.participants.dcc.address);
      expect((await f.ledger.originOf(s.digest)).status).to.equal(Status.Receipted);
    });

    it("should let no other participant squat the receipt slot, so the refusal fallback still works", async () => {
      const { f, s, deadline, receipt } = await recorded();
      // A colluder with a registered key receipts the public NRO digest in the receiver's place.
      const squat = await signReceipt(f.keys.supplierA!, f.participants.supplierA.address, f.domain, receipt);
      await expect(f.ledger.connect(f.participants.supplierA).recordReceipt(squat.receipt, squat.signature))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner")
        .withArgs(f.participants.dcc.address, squat.signer);
      expect((await f.ledger.originOf(s.digest)).status).to.equal(Status.AwaitingReceipt);
      // The named receiver stays silent: the origin records the refusal after the deadline.
      await connection.networkHelpers.time.increaseTo(deadline + 1n);
      await expect(f.ledger.connect(f.participants.meter).recordRefusal(s.digest)).to.emit(f.ledger, "ReceiptRefused").withArgs(s.digest, s.party, deadline);
    });

    it("should reject an NRO signature submitted as an NRR", async () => {
      const { f, s } = await recorded();
      const receipt = { nroDigest: s.digest, sessionId: s.header.sessionId, receivedAt: s.header.issuedAt, nonce: s.header.nonce };
      await expect(f.ledger.recordReceipt(receipt, s.signature)).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
    });

    it("should reject an NRR whose digest matches no NRO", async () => {
      const f = await fixture();
      const receipt = { nroDigest: rand(), sessionId: rand(), receivedAt: await now(), nonce: rand() };
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await expect(f.ledger.recordReceipt(r.receipt, r.signature)).to.be.revertedWithCustomError(f.ledger, "EvidenceNotFound").withArgs(receipt.nroDigest);
    });

    it("should refuse a receipt dated before the message beyond the skew, at the exact second", async () => {
      // Late enough that the receiver's key was already valid a skew before the message.
      const { f, s, receipt } = await recorded({ advance: 1000 });
      const earliest = s.header.issuedAt - SKEW;
      const t = (await now()) + 10n;
      const early = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, { ...receipt, receivedAt: earliest - 1n });
      await connection.networkHelpers.time.setNextBlockTimestamp(t);
      await expect(f.ledger.recordReceipt(early.receipt, early.signature, MINED))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidReceiptTime")
        .withArgs(earliest - 1n, earliest, t + SKEW);
      // Later than the chain's clock plus the skew: refused one second over, accepted at it.
      const future = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, { ...receipt, receivedAt: t + 1n + SKEW + 1n });
      await connection.networkHelpers.time.setNextBlockTimestamp(t + 1n);
      await expect(f.ledger.recordReceipt(future.receipt, future.signature, MINED))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidReceiptTime")
        .withArgs(t + 2n + SKEW, earliest, t + 1n + SKEW);
      const exact = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, { ...receipt, receivedAt: earliest });
      await expect(f.ledger.recordReceipt(exact.receipt, exact.signature)).to.emit(f.ledger, "ReceiptRecorded");
    });

    it("should accept one receipt per NRO", async () => {
      const { f, s, receipt } = await recorded();
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await f.ledger.recordReceipt(r.receipt, r.signature);
      const second = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, { ...receipt, nonce: rand() });
      await expect(f.ledger.recordReceipt(second.receipt, second.signature))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceReceiptNotExpected")
        .withArgs(s.digest, Status.Receipted);
    });

    it("should refuse any single-field change of a signed receipt (property)", async () => {
      const { f, receipt } = await recorded();
      const r = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      // A second NRO for the same receiver, so a changed nroDigest still finds an NRO awaiting receipt.
      const other = await signedReading(f);
      await f.ledger.connect(f.participants.meter).recordOrigin(...recordArgs(other));
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom("nroDigest", "sessionId", "receivedAt", "nonce"), fc.integer({ min: 1, max: 100 }), async (field, delta) => {
          runs++;
          const changed = { ...r.receipt };
          if (field === "nroDigest") changed.nroDigest = other.digest;
          else if (field === "receivedAt") changed.receivedAt -= BigInt(delta);
          else changed[field] = rand();
          await expect(f.ledger.recordReceipt.staticCall(changed, r.signature), field).to.be.revertedWithCustomError(f.ledger, "EvidenceInvalidSigner");
        }),
        { numRuns: 30 },
      );
      expect(runs).to.equal(30);
      await expect(f.ledger.recordReceipt(r.receipt, r.signature)).to.emit(f.ledger, "ReceiptRecorded");
    });

    it("should let only the origin record a refusal, and only after the deadline", async () => {
      const { f, s, deadline, receipt } = await recorded();
      const meter = f.ledger.connect(f.participants.meter);
      await expect(meter.recordRefusal(s.digest)).to.be.revertedWithCustomError(f.ledger, "EvidenceDeadlineNotReached").withArgs(s.digest, deadline);
      // At the deadline's exact second the receiver may still answer: refused then, allowed one second later.
      await connection.networkHelpers.time.setNextBlockTimestamp(deadline);
      await expect(meter.recordRefusal(s.digest, MINED)).to.be.revertedWithCustomError(f.ledger, "EvidenceDeadlineNotReached").withArgs(s.digest, deadline);
      await expect(f.ledger.connect(f.participants.dcc).recordRefusal(s.digest))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceNotOrigin")
        .withArgs(s.digest, f.participants.dcc.address);
      await expect(meter.recordRefusal(s.digest)).to.emit(f.ledger, "ReceiptRefused").withArgs(s.digest, s.party, deadline);
      expect((await f.ledger.originOf(s.digest)).status).to.equal(Status.Refused);
      const late = await signReceipt(f.keys.dcc!, f.participants.dcc.address, f.domain, receipt);
      await expect(f.ledger.recordReceipt(late.receipt, late.signature))
        .to.be.revertedWithCustomError(f.ledger, "EvidenceReceiptNotExpected")
        .withArgs(s.digest, Status.Refused);
      await expect(meter.recordRefusal(s.digest)).to.be.revertedWithCustomError(f.ledger, "EvidenceReceiptNotExpected");
    });
  });
});
