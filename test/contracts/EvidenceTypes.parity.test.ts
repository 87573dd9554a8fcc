import { expect } from "chai";
import fc from "fast-check";
import { hexlify, keccak256, randomBytes, toUtf8Bytes, TypedDataEncoder } from "ethers";
import type { DynamicContract } from "../../src/chain/deploy.js";
import { bodyHash, messageDigest, receiptDigest } from "../../src/evidence/sign.js";
import {
  EVIDENCE_DOMAIN_NAME,
  EVIDENCE_DOMAIN_VERSION,
  HEADER_TYPES,
  MESSAGE_TYPE_NAMES,
  MessageType,
  messageTypes,
  RECEIPT_TYPES,
} from "../../src/evidence/types.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { arbBody, arbField } from "../helpers/samples.js";

const arbHeader = fc.record({
  sessionId: arbField("bytes32"),
  seq: arbField("uint64"),
  nonce: arbField("bytes32"),
  issuedAt: arbField("uint64"),
  expiresAt: arbField("uint64"),
  receiver: arbField("address"),
  receiptDeadline: arbField("uint64"),
});

describe("EvidenceTypes parity (TypeScript table == Solidity library)", () => {
  let connection: TestConnection;
  before(async () => {
    connection = await createNetwork();
  });

  async function fixture() {
    const base = await evidenceFixture(connection);
    const harness = (await connection.ethers.deployContract("EvidenceTypesHarness")) as unknown as DynamicContract;
    return { ...base, harness };
  }

  it("should give every message type the same type hash", async () => {
    const { harness } = await connection.networkHelpers.loadFixture(fixture);
    for (const name of MESSAGE_TYPE_NAMES) {
      const ts = keccak256(toUtf8Bytes(TypedDataEncoder.from(messageTypes(name)).encodeType(name)));
      expect(await harness.messageTypehash(MessageType[name]), name).to.equal(ts);
    }
    const header = keccak256(toUtf8Bytes(TypedDataEncoder.from(HEADER_TYPES).encodeType("Header")));
    expect(await harness.headerTypehash()).to.equal(header);
    const receipt = keccak256(toUtf8Bytes(TypedDataEncoder.from(RECEIPT_TYPES).encodeType("Receipt")));
    expect(await harness.receiptTypehash()).to.equal(receipt);
    await expect(harness.messageTypehash(MESSAGE_TYPE_NAMES.length)).to.be.revertedWithCustomError(
      harness,
      "EvidenceTypesUnknownMessageType",
    );
  });

  for (const name of MESSAGE_TYPE_NAMES) {
    it(`should hash ${name} bodies and whole ${name} digests identically`, async () => {
      const { harness, ledger, domain } = await connection.networkHelpers.loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(arbHeader, arbBody(name), async (header, body) => {
          const msg = { type: name, header, body } as never;
          const bh = bodyHash(name, body as never);
          expect(await harness[`hash${name}Body`](body)).to.equal(bh);
          expect(await harness.hashHeader(header)).to.equal(TypedDataEncoder.hashStruct("Header", HEADER_TYPES, header));
          expect(await ledger.hashMessage(MessageType[name], header, bh)).to.equal(messageDigest(domain, msg));
        }),
        { numRuns: 25 },
      );
    });
  }

  it("should sign under the same domain, version 2, on both sides", async () => {
    const { ledger } = await connection.networkHelpers.loadFixture(fixture);
    const [, name, version] = await ledger.eip712Domain();
    expect([name, version]).to.deep.equal([EVIDENCE_DOMAIN_NAME, EVIDENCE_DOMAIN_VERSION]);
    expect(EVIDENCE_DOMAIN_VERSION).to.equal("2");
    expect(TypedDataEncoder.from(HEADER_TYPES).encodeType("Header")).to.equal(
      "Header(bytes32 sessionId,uint64 seq,bytes32 nonce,uint64 issuedAt,uint64 expiresAt,address receiver,uint64 receiptDeadline)",
    );
  });

  it("should hash receipts identically", async () => {
    const { ledger, domain } = await connection.networkHelpers.loadFixture(fixture);
    const receipt = {
      nroDigest: hexlify(randomBytes(32)),
      sessionId: hexlify(randomBytes(32)),
      receivedAt: 1_700_000_000n,
      nonce: hexlify(randomBytes(32)),
    };
    expect(await ledger.hashReceipt(receipt)).to.equal(receiptDigest(domain, receipt));
  });
});
