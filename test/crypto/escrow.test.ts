import { expect } from "chai";
import fc from "fast-check";
import {
  bytesToHex,
  escrowOpen,
  escrowOpenVerified,
  escrowSign,
  escrowVerify,
  lsagVerify,
  type EscrowSignature,
  type EscrowStatement,
  type KeyPair,
} from "../../src/crypto/index.js";
import {
  BACKEND_NAMES,
  expectRejected,
  flipBit,
  inputError,
  loadBackends,
  ringKeys,
  seededRandom,
  statementFor,
  text,
  type AnyBackend,
} from "./helpers/fixtures.js";
import { forgeEscrow } from "./helpers/forge.js";

const ROUND_TRIP_RUNS: Readonly<Record<(typeof BACKEND_NAMES)[number], number>> = { sodium: 200, noble: 8 };

for (const name of BACKEND_NAMES) {
  describe(`bLSAG with identity escrow (${name} backend)`, function () {
    let b: AnyBackend;
    let ca: KeyPair;
    let otherCa: KeyPair;

    before(async function () {
      b = (await loadBackends())[name];
      [ca, otherCa] = ringKeys(b, 2, "certificate authorities") as [KeyPair, KeyPair];
    });

    it(`should verify and open to the signer's key for ring sizes 2..16 (${ROUND_TRIP_RUNS[name]} runs)`, function () {
      this.timeout(120_000);
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 16 }),
          fc.nat(),
          fc.string({ minLength: 1, maxLength: 12 }),
          fc.uint8Array({ maxLength: 64 }),
          (n, signer, seed, message) => {
            const keys = ringKeys(b, n, seed);
            const index = signer % n;
            const statement = statementFor(keys.map((k) => k.publicKey), ca.publicKey, { message });
            const signature = escrowSign(b, statement, keys[index]!.secretKey, { rng: seededRandom(seed) });
            expect(escrowVerify(b, statement, signature)).to.equal(true);
            expect(bytesToHex(escrowOpen(b, ca.secretKey, signature))).to.equal(bytesToHex(keys[index]!.publicKey));
          },
        ),
        { numRuns: ROUND_TRIP_RUNS[name] },
      );
    });

    describe("with one fixed signature", function () {
      const n = 3;
      const signer = 2;
      let keys: KeyPair[];
      let statement: EscrowStatement;
      let signature: EscrowSignature;

      before(function () {
        keys = ringKeys(b, n, "escrow");
        statement = statementFor(keys.map((k) => k.publicKey), ca.publicKey);
        signature = escrowSign(b, statement, keys[signer]!.secretKey);
      });

      it("should open, after verification, to the signer's key and ring index", function () {
        const opened = escrowOpenVerified(b, ca.secretKey, statement, signature);
        expect(opened?.index).to.equal(signer);
        expect(bytesToHex(opened!.publicKey)).to.equal(bytesToHex(keys[signer]!.publicKey));
        expect(bytesToHex(escrowOpen(b, otherCa.secretKey, signature))).to.not.equal(bytesToHex(keys[signer]!.publicKey));
      });

      it("should reject an escrow of another member's key (same CA key)", function () {
        for (let other = 0; other < n; other++) {
          if (other === signer) continue;
          const forged = forgeEscrow(b, statement, keys[signer]!.secretKey, signer, keys[other]!.publicKey, ca.publicKey);
          expect(escrowVerify(b, statement, forged)).to.equal(false);
          expect(bytesToHex(escrowOpen(b, ca.secretKey, forged))).to.equal(bytesToHex(keys[other]!.publicKey));
        }
      });

      it("should reject an escrow of the signer's key under another CA key", function () {
        const forged = forgeEscrow(b, statement, keys[signer]!.secretKey, signer, keys[signer]!.publicKey, otherCa.publicKey);
        expect(escrowVerify(b, statement, forged)).to.equal(false);
        // The same dishonest walk with an honest escrow verifies: the failures above come from the escrow.
        const honest = forgeEscrow(b, statement, keys[signer]!.secretKey, signer, keys[signer]!.publicKey, ca.publicKey);
        expect(escrowVerify(b, statement, honest)).to.equal(true);
      });

      it("should not verify against another CA key, nor as a plain signature", function () {
        expect(escrowVerify(b, { ...statement, caKey: otherCa.publicKey }, signature)).to.equal(false);
        const plain = { kind: "lsag" as const, c1: signature.c1, s: signature.s, keyImage: signature.keyImage };
        expect(lsagVerify(b, statement, plain)).to.equal(false);
      });

      it("should reject bit flips of every field: t_i, E1, E2, c1, s_i, I, Y, message, members", function () {
        const sample = name === "sodium" ? 3 : 29;
        const bits = [...Array(256).keys()].filter((i) => i % sample === 0);
        const tryFlip = (mutate: (bit: number) => [EscrowStatement, EscrowSignature]): void => {
          for (const bit of bits) expectRejected(() => escrowVerify(b, ...mutate(bit)));
        };
        const replace = (list: readonly Uint8Array[], i: number, bit: number): Uint8Array[] =>
          list.map((v, j) => (j === i ? flipBit(v, bit) : v));
        for (let i = 0; i < n; i++) {
          tryFlip((bit) => [statement, { ...signature, t: replace(signature.t, i, bit) }]);
          tryFlip((bit) => [statement, { ...signature, s: replace(signature.s, i, bit) }]);
          tryFlip((bit) => [{ ...statement, ring: replace(statement.ring, i, bit) }, signature]);
        }
        tryFlip((bit) => [statement, { ...signature, e1: flipBit(signature.e1, bit) }]);
        tryFlip((bit) => [statement, { ...signature, e2: flipBit(signature.e2, bit) }]);
        tryFlip((bit) => [statement, { ...signature, c1: flipBit(signature.c1, bit) }]);
        tryFlip((bit) => [statement, { ...signature, keyImage: flipBit(signature.keyImage, bit) }]);
        tryFlip((bit) => [{ ...statement, caKey: flipBit(statement.caKey, bit) }, signature]);
        for (let bit = 0; bit < statement.message.length * 8; bit += sample) {
          expect(escrowVerify(b, { ...statement, message: flipBit(statement.message, bit) }, signature)).to.equal(false);
        }
      });

      it("should fail for another LAG, epoch or group version", function () {
        const { scope, group } = statement;
        expect(escrowVerify(b, { ...statement, scope: { ...scope, lagId: text("lag-B") } }, signature)).to.equal(false);
        expect(escrowVerify(b, { ...statement, scope: { ...scope, epoch: 43n } }, signature)).to.equal(false);
        expect(escrowVerify(b, { ...statement, group: { ...group, version: 6n } }, signature)).to.equal(false);
      });

      it("should refuse malformed escrow input with typed errors", function () {
        const zero = new Uint8Array(32);
        expect(inputError(() => escrowVerify(b, { ...statement, caKey: zero }, signature)).code).to.equal("IDENTITY_POINT");
        expect(inputError(() => escrowVerify(b, statement, { ...signature, e1: zero })).code).to.equal("IDENTITY_POINT");
        expect(inputError(() => escrowVerify(b, statement, { ...signature, t: signature.t.slice(1) })).code).to.equal(
          "INVALID_LENGTH",
        );
        expect(inputError(() => escrowVerify(b, statement, { ...signature, t: [zero, ...signature.t.slice(1)] })).code).to.equal(
          "ZERO_SCALAR",
        );
        expect(inputError(() => escrowSign(b, { ...statement, caKey: new Uint8Array(31) }, keys[0]!.secretKey)).code).to.equal(
          "INVALID_LENGTH",
        );
        expect(inputError(() => escrowOpen(b, zero, signature)).code).to.equal("ZERO_SCALAR");
      });
    });
  });
}
