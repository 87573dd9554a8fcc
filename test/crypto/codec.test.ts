import { expect } from "chai";
import {
  bytesToHex,
  decodeEscrowSignature,
  decodeLsagSignature,
  decodeSignature,
  encodeSignature,
  escrowSign,
  escrowVerify,
  lsagSign,
  lsagVerify,
  signatureLength,
  type EscrowSignature,
  type LsagSignature,
} from "../../src/crypto/index.js";
import { inputError, loadBackends, ringKeys, statementFor, type AnyBackend } from "./helpers/fixtures.js";

describe("ring signature wire format", function () {
  let b: AnyBackend;
  let plain: LsagSignature;
  let escrow: EscrowSignature;
  let statement: ReturnType<typeof statementFor>;

  before(async function () {
    b = (await loadBackends()).sodium;
    const keys = ringKeys(b, 5, "codec");
    statement = statementFor(keys.map((k) => k.publicKey), keys[4]!.publicKey);
    plain = lsagSign(b, statement, keys[1]!.secretKey);
    escrow = escrowSign(b, statement, keys[3]!.secretKey);
  });

  it("should round-trip both kinds at the documented lengths", function () {
    const p = encodeSignature(plain);
    const e = encodeSignature(escrow);
    expect(p.length).to.equal(68 + 32 * 5).and.to.equal(signatureLength("lsag", 5));
    expect(e.length).to.equal(132 + 64 * 5).and.to.equal(signatureLength("lsag-escrow", 5));
    expect([...p.subarray(0, 4)]).to.deep.equal([1, 1, 0, 5]);
    expect([...e.subarray(0, 4)]).to.deep.equal([1, 2, 0, 5]);
    const p2 = decodeLsagSignature(p);
    const e2 = decodeEscrowSignature(e);
    expect(bytesToHex(encodeSignature(p2))).to.equal(bytesToHex(p));
    expect(bytesToHex(encodeSignature(e2))).to.equal(bytesToHex(e));
    expect(lsagVerify(b, statement, p2)).to.equal(true);
    expect(escrowVerify(b, statement, e2)).to.equal(true);
    expect(decodeSignature(e).kind).to.equal("lsag-escrow");
  });

  it("should reject unknown versions and kinds, a kind mismatch and wrong lengths", function () {
    const p = encodeSignature(plain);
    const withByte = (i: number, v: number): Uint8Array => {
      const out = p.slice();
      out[i] = v;
      return out;
    };
    expect(inputError(() => decodeSignature(withByte(0, 2))).code).to.equal("UNSUPPORTED_VERSION");
    expect(inputError(() => decodeSignature(withByte(1, 3))).code).to.equal("INVALID_ENCODING");
    expect(inputError(() => decodeEscrowSignature(p)).code).to.equal("INVALID_ENCODING");
    expect(inputError(() => decodeSignature(withByte(1, 2))).code).to.equal("INVALID_LENGTH");
    expect(inputError(() => decodeSignature(p.subarray(0, p.length - 1))).code).to.equal("INVALID_LENGTH");
    expect(inputError(() => decodeSignature(new Uint8Array([1, 1, 0]))).code).to.equal("INVALID_LENGTH");
    expect(inputError(() => decodeSignature(Uint8Array.of(...p, 0))).code).to.equal("INVALID_LENGTH");
  });

  it("should reject ring sizes 0, 1 and over the cap in the header", function () {
    const p = encodeSignature(plain);
    for (const n of [0, 1, 257, 0xffff]) {
      const out = p.slice();
      out[2] = n >> 8;
      out[3] = n & 0xff;
      expect(inputError(() => decodeSignature(out)).code).to.equal("RING_SIZE");
    }
    expect(inputError(() => decodeSignature(p, { maxRingSize: 4 })).code).to.equal("RING_SIZE");
  });

  it("should reject non-canonical or zero scalars and identity or non-canonical points", function () {
    const e = encodeSignature(escrow);
    const patched = (offset: number, bytes: Uint8Array): Uint8Array => {
      const out = e.slice();
      out.set(bytes, offset);
      return out;
    };
    const zero = new Uint8Array(32);
    const ones = new Uint8Array(32).fill(0xff);
    const negative = Uint8Array.of(1, ...new Array<number>(31).fill(0));
    expect(inputError(() => decodeSignature(patched(4, zero))).code).to.equal("ZERO_SCALAR");
    expect(inputError(() => decodeSignature(patched(4, ones))).code).to.equal("NON_CANONICAL_SCALAR");
    expect(inputError(() => decodeSignature(patched(36, zero))).code).to.equal("IDENTITY_POINT");
    expect(inputError(() => decodeSignature(patched(68, negative))).code).to.equal("NON_CANONICAL_POINT");
    expect(inputError(() => decodeSignature(patched(100, ones))).code).to.equal("NON_CANONICAL_POINT");
    expect(inputError(() => decodeSignature(patched(132, ones))).code).to.equal("NON_CANONICAL_SCALAR");
    expect(inputError(() => decodeSignature(patched(e.length - 32, zero))).code).to.equal("ZERO_SCALAR");
  });
});
