import { expect } from "chai";
import { readFileSync } from "node:fs";
import { ristretto255_hasher } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import {
  bytesToHex,
  frame,
  hashToGroup,
  hashToGroupDst,
  hexToBytes,
  scalarFromBigint,
  TAGS,
} from "../../src/crypto/index.js";
import { BACKEND_NAMES, inputError, loadBackends, text, type AnyBackend } from "./helpers/fixtures.js";

interface Rfc9496Vectors {
  readonly generatorMultiples: readonly string[];
  readonly badEncodings: Readonly<Record<string, readonly string[]>>;
  readonly hashToGroup: readonly { readonly label: string; readonly input: string; readonly output: string }[];
  readonly hashToGroupSameOutput: { readonly inputs: readonly string[]; readonly output: string };
}

const vectors = JSON.parse(
  readFileSync(new URL("./vectors/rfc9496.json", import.meta.url), "utf8"),
) as Rfc9496Vectors;

const hex = (b: Uint8Array): string => bytesToHex(b);

for (const name of BACKEND_NAMES) {
  describe(`RFC 9496 ristretto255 vectors (${name} backend)`, function () {
    let b: AnyBackend;

    before(async function () {
      b = (await loadBackends())[name];
    });

    it("should produce the encodings of the small multiples [1]B..[15]B", function () {
      for (let k = 1; k < vectors.generatorMultiples.length; k++) {
        const expected = vectors.generatorMultiples[k] as string;
        const scalar = scalarFromBigint(BigInt(k));
        expect(hex(b.encode(b.mulBase(scalar))), `[${k}]B by mulBase`).to.equal(expected);
        expect(hex(b.encode(b.mulBasePublic(scalar))), `[${k}]B by mulBasePublic`).to.equal(expected);
        const decoded = b.decode(hexToBytes(expected));
        expect(hex(b.encode(decoded)), `[${k}]B round-trip`).to.equal(expected);
      }
    });

    it("should reach every multiple by repeated addition and scalar multiplication of B", function () {
      const B = b.decode(hexToBytes(vectors.generatorMultiples[1] as string));
      let acc = B;
      for (let k = 2; k < vectors.generatorMultiples.length; k++) {
        acc = b.add(acc, B);
        expect(hex(b.encode(acc))).to.equal(vectors.generatorMultiples[k]);
        expect(hex(b.encode(b.mul(scalarFromBigint(BigInt(k)), B)))).to.equal(vectors.generatorMultiples[k]);
      }
      expect(b.isIdentity(b.sub(B, B))).to.equal(true);
      expect(hex(b.encode(b.sub(B, B)))).to.equal(vectors.generatorMultiples[0]);
    });

    it("should reject the identity encoding [0]B with IDENTITY_POINT", function () {
      expect(inputError(() => b.decode(hexToBytes(vectors.generatorMultiples[0] as string))).code).to.equal(
        "IDENTITY_POINT",
      );
    });

    for (const [kind, encodings] of Object.entries(vectors.badEncodings)) {
      it(`should reject every bad encoding of class ${kind} with a typed error`, function () {
        for (const encoding of encodings) {
          const error = inputError(() => b.decode(hexToBytes(encoding)));
          expect(["NON_CANONICAL_POINT", "INVALID_POINT"]).to.include(error.code);
        }
      });
    }

    it("should map the hash-to-group inputs (SHA-512 of the labels) to the listed elements", function () {
      for (const v of vectors.hashToGroup) {
        expect(hex(sha512(text(v.label)))).to.equal(v.input);
        expect(hex(b.encode(b.fromUniform(hexToBytes(v.input))))).to.equal(v.output);
      }
    });

    it("should map the non-canonical one-way-map inputs to the same element", function () {
      for (const input of vectors.hashToGroupSameOutput.inputs) {
        expect(hex(b.encode(b.fromUniform(hexToBytes(input))))).to.equal(vectors.hashToGroupSameOutput.output);
      }
    });
  });
}

describe("backend parity", function () {
  let noble: AnyBackend;
  let sodium: AnyBackend;

  before(async function () {
    ({ noble, sodium } = await loadBackends());
  });

  it("should give byte-identical results for every group and scalar operation", function () {
    const scalar = fc.uint8Array({ minLength: 64, maxLength: 64 }).map((wide) => noble.scalarReduceWide(wide));
    fc.assert(
      fc.property(scalar, scalar, fc.uint8Array({ minLength: 64, maxLength: 64 }), (a, c, wide) => {
        fc.pre(!a.every((x) => x === 0) && !c.every((x) => x === 0));
        expect(hex(sodium.scalarReduceWide(wide))).to.equal(hex(noble.scalarReduceWide(wide)));
        for (const op of ["scalarAdd", "scalarSub", "scalarMul"] as const) {
          expect(hex(sodium[op](a, c)), op).to.equal(hex(noble[op](a, c)));
        }
        const pN = noble.mulBase(a);
        const pS = sodium.mulBase(a);
        expect(hex(sodium.encode(pS))).to.equal(hex(noble.encode(pN)));
        const qN = noble.fromUniform(wide);
        const qS = sodium.fromUniform(wide);
        expect(hex(sodium.encode(qS))).to.equal(hex(noble.encode(qN)));
        const pairs: [Uint8Array, Uint8Array][] = [
          [sodium.encode(sodium.add(pS, qS)), noble.encode(noble.add(pN, qN))],
          [sodium.encode(sodium.sub(pS, qS)), noble.encode(noble.sub(pN, qN))],
          [sodium.encode(sodium.mul(c, qS)), noble.encode(noble.mul(c, qN))],
          [sodium.encode(sodium.mulPublic(c, qS)), noble.encode(noble.mulPublic(c, qN))],
          [sodium.encode(sodium.mulAddPublic(a, pS, c, qS)), noble.encode(noble.mulAddPublic(a, pN, c, qN))],
          [sodium.encode(sodium.mulBaseAddPublic(c, a, qS)), noble.encode(noble.mulBaseAddPublic(c, a, qN))],
        ];
        for (const [x, y] of pairs) expect(hex(x)).to.equal(hex(y));
      }),
      { numRuns: 60 },
    );
  });

  it("should agree with RFC 9380 hash_to_ristretto255 as implemented by noble", function () {
    const items = [text("lag-A"), text("epoch")];
    const dst = hashToGroupDst(TAGS.keyImage);
    const reference = ristretto255_hasher.hashToCurve(frame(TAGS.keyImage, items), { DST: dst }).toBytes();
    expect(hex(noble.encode(hashToGroup(noble, TAGS.keyImage, items)))).to.equal(hex(reference));
    expect(hex(sodium.encode(hashToGroup(sodium, TAGS.keyImage, items)))).to.equal(hex(reference));
  });

  it("should reject zero and out-of-range multipliers identically", function () {
    const B = hexToBytes(vectors.generatorMultiples[1] as string);
    const order = hexToBytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    for (const b of [noble, sodium]) {
      const P = b.decode(B);
      expect(inputError(() => b.mul(new Uint8Array(32), P)).code).to.equal("ZERO_SCALAR");
      expect(inputError(() => b.mulPublic(new Uint8Array(32), P)).code).to.equal("ZERO_SCALAR");
      expect(inputError(() => b.mulBase(order)).code).to.equal("NON_CANONICAL_SCALAR");
    }
  });
});
