import { expect } from "chai";
import fc from "fast-check";
import { getAddress, hexlify } from "ethers";
import { decodeMessage, decodeReceipt, encodeMessage, encodeReceipt } from "../../src/evidence/codec.js";
import { EvidenceError } from "../../src/evidence/errors.js";
import type { SignedMessage, SignedReceipt } from "../../src/evidence/messages.js";
import { messageDigest, receiptDigest } from "../../src/evidence/sign.js";
import { BODY_FIELDS, HEADER_FIELDS, MESSAGE_TYPE_NAMES, RECEIPT_FIELDS } from "../../src/evidence/types.js";
import { arbField } from "../helpers/samples.js";
import { domain, party, randomId, signed } from "./offline.js";
import type { Json } from "../helpers/json.js";

/** Values of the codec's value types: integers below 64 bits as numbers, the rest as in the table. */
function arbValue(type: string): fc.Arbitrary<unknown> {
  if (type.endsWith("[]")) return fc.array(arbValue(type.slice(0, -2)), { maxLength: 8 });
  const int = /^u?int(\d+)$/.exec(type);
  if (int && Number(int[1]) < 64) return arbField(type).map((v) => Number(v));
  return arbField(type);
}

const arbStruct = (fields: { name: string; type: string }[]) =>
  fc.record(Object.fromEntries(fields.map((f) => [f.name, arbValue(f.type)])));
const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => hexlify(b));

const arbMessage: fc.Arbitrary<SignedMessage> = fc
  .constantFrom(...MESSAGE_TYPE_NAMES)
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      header: arbStruct(HEADER_FIELDS),
      body: arbStruct(BODY_FIELDS[type]),
      party: hex(20).map(getAddress),
      signer: hex(20).map(getAddress),
      signature: hex(65),
    }),
  )
  .map((m) => ({ ...m, digest: messageDigest(domain, m as never) }) as unknown as SignedMessage);

const arbReceipt: fc.Arbitrary<SignedReceipt> = fc
  .record({
    receipt: arbStruct(RECEIPT_FIELDS),
    receiver: hex(20).map(getAddress),
    signer: hex(20).map(getAddress),
    signature: hex(65),
  })
  .map((r) => ({ ...r, digest: receiptDigest(domain, r.receipt as never) }) as unknown as SignedReceipt);

function expectBadInput(fn: () => unknown, path: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(EvidenceError);
    expect((e as EvidenceError).code).to.equal("BAD_INPUT");
    const issues = (e as EvidenceError).details.issues as { path: (string | number)[] }[];
    expect(issues.map((i) => i.path.join("."))).to.include(path);
    return;
  }
  expect.fail("expected a BAD_INPUT error");
}

describe("Evidence JSON codec", () => {
  it("should round-trip every message type through JSON text, keeping values and digest (property)", () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        const text = JSON.stringify(encodeMessage(m));
        const back = decodeMessage(JSON.parse(text));
        expect(back).to.deep.equal(m);
        expect(messageDigest(domain, back)).to.equal(m.digest);
        expect(JSON.stringify(encodeMessage(back))).to.equal(text);
      }),
      { numRuns: 1000 },
    );
  });

  it("should round-trip receipts through JSON text, keeping values and digest (property)", () => {
    fc.assert(
      fc.property(arbReceipt, (r) => {
        const back = decodeReceipt(JSON.parse(JSON.stringify(encodeReceipt(r))));
        expect(back).to.deep.equal(r);
        expect(receiptDigest(domain, back.receipt)).to.equal(r.digest);
      }),
      { numRuns: 1000 },
    );
  });

  it("should write 64-bit and larger integers as decimal strings and smaller ones as numbers", async () => {
    const m = await signed(party(), randomId(), 7n, "Schedule");
    const json = encodeMessage(m) as { header: Record<string, unknown>; body: Record<string, unknown> };
    expect(json.header.seq).to.equal("7");
    expect(json.body.costEstimate).to.be.a("string");
    expect(json.body.slotSeconds).to.be.a("number");
    expect(json.body.powerW).to.deep.equal((m.body as { powerW: unknown[] }).powerW.map(Number));
  });

  describe("should reject", () => {
    let json: Json;
    beforeEach(async () => {
      json = JSON.parse(JSON.stringify(encodeMessage(await signed(party(), randomId(), 1n, "Schedule"))));
    });

    it("an address that is not checksummed", () => {
      json.party = json.party.toLowerCase();
      expectBadInput(() => decodeMessage(json), "party");
    });

    it("a bytes32 of the wrong length", () => {
      json.header.nonce = json.header.nonce.slice(0, 64);
      expectBadInput(() => decodeMessage(json), "header.nonce");
    });

    it("a signature that is not 65 bytes", () => {
      json.signature = json.signature + "00";
      expectBadInput(() => decodeMessage(json), "signature");
    });

    it("a 64-bit integer given as a JSON number or with a leading zero", () => {
      json.header.seq = 1;
      expectBadInput(() => decodeMessage(json), "header.seq");
      json.header.seq = "01";
      expectBadInput(() => decodeMessage(json), "header.seq");
    });

    it("integers out of the range of their type", () => {
      json.body.slotSeconds = 2 ** 32;
      expectBadInput(() => decodeMessage(json), "body.slotSeconds");
      json.body.slotSeconds = 900;
      json.body.powerW = [2 ** 31];
      expectBadInput(() => decodeMessage(json), "body.powerW.0");
      json.body.powerW = [];
      json.body.costEstimate = (1n << 256n).toString();
      expectBadInput(() => decodeMessage(json), "body.costEstimate");
    });

    it("unknown fields and unknown message types", () => {
      json.body.extra = 1;
      expectBadInput(() => decodeMessage(json), "body");
      delete json.body.extra;
      json.type = "Teleport";
      expectBadInput(() => decodeMessage(json), "type");
    });
  });
});
