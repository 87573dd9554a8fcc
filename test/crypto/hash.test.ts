import { expect } from "chai";
import fc from "fast-check";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  bytesToHex,
  encodeScope,
  frame,
  GROUP_ORDER,
  hashToGroupDst,
  hashToScalar,
  hashToUniform,
  Hp,
  Hs,
  isCanonicalScalar,
  PrefixedScalarHasher,
  reduceWide,
  scalarFromBigint,
  scalarToBigint,
  TAGS,
  u64be,
} from "../../src/crypto/index.js";
import { inputError, loadBackends, text } from "./helpers/fixtures.js";

describe("encoding and domain separation", function () {
  it("should give every use its own tag and its own hash-to-group DST", function () {
    const tags = Object.values(TAGS);
    expect(new Set(tags).size).to.equal(tags.length);
    expect(new Set(tags.map(hashToGroupDst)).size).to.equal(tags.length);
    expect(TAGS.lsagChallenge).to.not.equal(TAGS.escrowChallenge);
    expect(hashToGroupDst(TAGS.keyImage)).to.equal("v2g/keyimage-V01-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_");
  });

  it("should frame tag and items with fixed-width big-endian length prefixes", function () {
    const framed = frame("t", [Uint8Array.of(0xaa), new Uint8Array(0)]);
    expect(bytesToHex(framed)).to.equal("0001" + "74" + "00000001aa" + "00000000");
    expect(bytesToHex(encodeScope({ lagId: text("AB"), epoch: 258n }))).to.equal("0002" + "4142" + "0000000000000102");
    expect(inputError(() => u64be(2n ** 64n)).code).to.equal("OUT_OF_RANGE");
    expect(inputError(() => encodeScope({ lagId: new Uint8Array(256), epoch: 0n })).code).to.equal("INVALID_LENGTH");
  });

  it("should never frame two different item lists to the same bytes", function () {
    const items = fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 4 });
    fc.assert(
      fc.property(items, items, (a, b) => {
        const same = a.length === b.length && a.every((x, i) => bytesToHex(x) === bytesToHex(b[i]!));
        expect(bytesToHex(frame("x", a)) === bytesToHex(frame("x", b))).to.equal(same);
      }),
      { numRuns: 300 },
    );
  });

  it("should separate Hs and Hp by tag for the same items", function () {
    const items = [text("lag-A"), u64be(1)];
    const scalars = Object.values(TAGS).map((tag) => bytesToHex(hashToScalar(tag, ...items)));
    expect(new Set(scalars).size).to.equal(scalars.length);
    expect(bytesToHex(hashToUniform(TAGS.keyImage, items))).to.not.equal(bytesToHex(hashToUniform(TAGS.lsagChallenge, items)));
  });

  it("should expose Hs and Hp under the names of the construction", async function () {
    const { sodium, noble } = await loadBackends();
    const items = [text("lag-A"), u64be(1)];
    expect(bytesToHex(Hs(TAGS.lsagChallenge, ...items))).to.equal(bytesToHex(hashToScalar(TAGS.lsagChallenge, ...items)));
    const viaSodium = sodium.encode(Hp(sodium, TAGS.keyImage, ...items));
    expect(bytesToHex(noble.encode(Hp(noble, TAGS.keyImage, ...items)))).to.equal(bytesToHex(viaSodium));
    expect(bytesToHex(sodium.encode(Hp(sodium, TAGS.lsagChallenge, ...items)))).to.not.equal(bytesToHex(viaSodium));
  });

  it("should compute Hs as SHA-512 of the frame reduced mod ℓ, and resume from a prefix", function () {
    const items = [text("a"), text("bc"), text("def")];
    const direct = hashToScalar(TAGS.lsagChallenge, ...items);
    const expected = scalarFromBigint(scalarToBigint(sha512(frame(TAGS.lsagChallenge, items))) % GROUP_ORDER);
    expect(bytesToHex(direct)).to.equal(bytesToHex(expected));
    const hasher = new PrefixedScalarHasher(TAGS.lsagChallenge, items.slice(0, 1));
    expect(bytesToHex(hasher.next(...items.slice(1)))).to.equal(bytesToHex(direct));
    expect(bytesToHex(hasher.next(...items.slice(1)))).to.equal(bytesToHex(direct));
  });

  it("should tell canonical scalars from non-canonical ones at the boundary ℓ", function () {
    expect(isCanonicalScalar(scalarFromBigint(GROUP_ORDER - 1n))).to.equal(true);
    expect(isCanonicalScalar(scalarFromBigint(0n))).to.equal(true);
    const order = new Uint8Array(32);
    let n = GROUP_ORDER;
    for (let i = 0; i < 32; i++, n >>= 8n) order[i] = Number(n & 0xffn);
    expect(isCanonicalScalar(order)).to.equal(false);
    expect(isCanonicalScalar(new Uint8Array(32).fill(0xff))).to.equal(false);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        expect(isCanonicalScalar(bytes)).to.equal(scalarToBigint(bytes) < GROUP_ORDER);
      }),
      { numRuns: 500 },
    );
    expect(scalarToBigint(reduceWide(new Uint8Array(64).fill(0xff)))).to.equal((2n ** 512n - 1n) % GROUP_ORDER);
  });
});
