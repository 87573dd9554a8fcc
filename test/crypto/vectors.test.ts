import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  bytesToHex,
  decodeSignature,
  encodeSignature,
  escrowOpen,
  escrowSign,
  escrowVerify,
  hexToBytes,
  keyPairFromSeed,
  lsagSign,
  lsagVerify,
  scopeBaseBytes,
} from "../../src/crypto/index.js";
import { BACKEND_NAMES, loadBackends, type AnyBackend } from "./helpers/fixtures.js";
import { vectorStatement, type LsagVector } from "./helpers/vectors.js";

const { vectors } = JSON.parse(readFileSync(new URL("./vectors/lsag.json", import.meta.url), "utf8")) as {
  vectors: readonly LsagVector[];
};

for (const name of BACKEND_NAMES) {
  describe(`stored bLSAG vectors (${name} backend)`, function () {
    let b: AnyBackend;

    before(async function () {
      b = (await loadBackends())[name];
    });

    it("should hold at least one plain and one escrow vector", function () {
      expect(vectors.some((v) => v.kind === "lsag")).to.equal(true);
      expect(vectors.some((v) => v.kind === "lsag-escrow")).to.equal(true);
    });

    for (const v of vectors) {
      describe(v.name, function () {
        it("should derive the stored keys and scope base", function () {
          v.keySeeds.forEach((seed, i) => {
            expect(bytesToHex(keyPairFromSeed(b, hexToBytes(seed)).publicKey)).to.equal(v.ring[i]);
          });
          expect(bytesToHex(keyPairFromSeed(b, hexToBytes(v.caSeed)).publicKey)).to.equal(v.caKey);
          expect(bytesToHex(scopeBaseBytes(b, vectorStatement(v).scope))).to.equal(v.scopeBase);
        });

        it("should verify the stored signature", function () {
          const signature = decodeSignature(hexToBytes(v.signature));
          const statement = vectorStatement(v);
          const ok = signature.kind === "lsag" ? lsagVerify(b, statement, signature) : escrowVerify(b, statement, signature);
          expect(ok).to.equal(true);
          expect(bytesToHex(signature.keyImage)).to.equal(v.keyImage);
        });

        it("should reproduce the stored signature byte for byte", function () {
          const statement = vectorStatement(v);
          const secretKey = keyPairFromSeed(b, hexToBytes(v.keySeeds[v.signer]!)).secretKey;
          const randomness = hexToBytes(v.randomness);
          const signature =
            v.kind === "lsag"
              ? lsagSign(b, statement, secretKey, { randomness })
              : escrowSign(b, statement, secretKey, { randomness });
          expect(bytesToHex(encodeSignature(signature))).to.equal(v.signature);
          if (signature.kind === "lsag-escrow") {
            const ca = keyPairFromSeed(b, hexToBytes(v.caSeed));
            expect(bytesToHex(escrowOpen(b, ca.secretKey, signature))).to.equal(v.ring[v.signer]);
          }
        });
      });
    }
  });
}
