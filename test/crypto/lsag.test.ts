import { expect } from "chai";
import fc from "fast-check";
import {
  bytesToHex,
  decodeLsagSignature,
  encodeSignature,
  generateKeyPair,
  keyImageOf,
  lsagSign,
  lsagVerify,
  MAX_RING_SIZE,
  scopeBaseBytes,
  type LsagSignature,
  type RingStatement,
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
  type Rejection,
} from "./helpers/fixtures.js";

/** Round-trip runs per backend: the fast backend carries the ≥ 1000-run property. */
const ROUND_TRIP_RUNS: Readonly<Record<(typeof BACKEND_NAMES)[number], number>> = { sodium: 1000, noble: 25 };

const roundTripCase = fc.record({
  n: fc.integer({ min: 2, max: 16 }),
  signer: fc.nat(),
  seed: fc.string({ minLength: 1, maxLength: 12 }),
  message: fc.uint8Array({ maxLength: 96 }),
  lagId: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  epoch: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
});

type RoundTripCase = typeof roundTripCase extends fc.Arbitrary<infer T> ? T : never;

for (const name of BACKEND_NAMES) {
  describe(`bLSAG with scoped key images (${name} backend)`, function () {
    let b: AnyBackend;

    before(async function () {
      b = (await loadBackends())[name];
    });

    it(`should verify its own signatures for ring sizes 2..16 and any signer (${ROUND_TRIP_RUNS[name]} runs)`, function () {
      const roundTrip = ({ n, signer, seed, message, lagId, epoch }: RoundTripCase) => {
        const keys = ringKeys(b, n, seed);
        const index = signer % n;
        const statement: RingStatement = {
          ...statementFor(keys.map((k) => k.publicKey), keys[0]!.publicKey),
          message,
          scope: { lagId, epoch },
        };
        const signature = lsagSign(b, statement, keys[index]!.secretKey, { rng: seededRandom(seed) });
        expect(signature.s).to.have.length(n);
        expect(lsagVerify(b, statement, signature)).to.equal(true);
        expect(bytesToHex(signature.keyImage)).to.equal(bytesToHex(keyImageOf(b, keys[index]!.secretKey, statement.scope)));
      };
      // The work is bounded by the number of runs. The time limit is set from the cost of the
      // largest ring on this machine now (ten times that cost per run), so a loaded machine does
      // not trip it while a run far slower than the machine's speed predicts still fails.
      const started = performance.now();
      for (const signer of [0, 7, 15]) roundTrip({ n: 16, signer, seed: `calibrate ${signer}`, message: new Uint8Array(96), lagId: new TextEncoder().encode("LAG"), epoch: 1n });
      const worstCaseMs = (performance.now() - started) / 3;
      this.timeout(Math.max(120_000, Math.ceil(10 * ROUND_TRIP_RUNS[name] * worstCaseMs)));
      fc.assert(fc.property(roundTripCase, roundTrip), { numRuns: ROUND_TRIP_RUNS[name] });
    });

    describe("with one fixed signature", function () {
      let statement: RingStatement;
      let signature: LsagSignature;
      const n = 3;

      before(function () {
        const keys = ringKeys(b, n, "flip");
        statement = statementFor(keys.map((k) => k.publicKey), keys[0]!.publicKey, { message: text("flip me") });
        signature = lsagSign(b, statement, keys[1]!.secretKey);
      });

      /** Flips bits (all of them on the fast backend, a sample on noble) and checks every result is a rejection. */
      function flips(bits: number, attempt: (bit: number) => boolean): Record<Rejection, number> {
        const counts: Record<Rejection, number> = { false: 0, typed: 0 };
        const positions = name === "sodium" ? [...Array(bits).keys()] : [...Array(bits).keys()].filter((i) => i % 23 === 5);
        for (const bit of positions) counts[expectRejected(() => attempt(bit))]++;
        return counts;
      }

      it("should reject every bit flip of the message", function () {
        const counts = flips(statement.message.length * 8, (bit) =>
          lsagVerify(b, { ...statement, message: flipBit(statement.message, bit) }, signature),
        );
        expect(counts.typed).to.equal(0);
      });

      it("should reject every bit flip of the challenge c1", function () {
        const counts = flips(256, (bit) => lsagVerify(b, statement, { ...signature, c1: flipBit(signature.c1, bit) }));
        expect(counts.false).to.be.greaterThan(0);
      });

      it("should reject every bit flip of every response s_i", function () {
        for (let i = 0; i < n; i++) {
          flips(256, (bit) =>
            lsagVerify(b, statement, { ...signature, s: signature.s.map((s, j) => (j === i ? flipBit(s, bit) : s)) }),
          );
        }
      });

      it("should reject every bit flip of the key image", function () {
        flips(256, (bit) => lsagVerify(b, statement, { ...signature, keyImage: flipBit(signature.keyImage, bit) }));
      });

      it("should reject every bit flip of every ring member", function () {
        for (let i = 0; i < n; i++) {
          flips(256, (bit) =>
            lsagVerify(b, { ...statement, ring: statement.ring.map((m, j) => (j === i ? flipBit(m, bit) : m)) }, signature),
          );
        }
      });

      it("should fail for a different ring, a reordered ring and a different group", function () {
        const other = ringKeys(b, n, "other ring").map((k) => k.publicKey);
        expect(lsagVerify(b, { ...statement, ring: other }, signature)).to.equal(false);
        expect(lsagVerify(b, { ...statement, ring: [...statement.ring].reverse() }, signature)).to.equal(false);
        const swapped = [statement.ring[0]!, other[1]!, statement.ring[2]!];
        expect(lsagVerify(b, { ...statement, ring: swapped }, signature)).to.equal(false);
        expect(lsagVerify(b, { ...statement, group: { ...statement.group, version: 8n } }, signature)).to.equal(false);
        expect(lsagVerify(b, { ...statement, group: { ...statement.group, groupId: text("group-B") } }, signature)).to.equal(
          false,
        );
      });

      it("should fail for another scope: a signature for LAG A or epoch e does not verify for B or e+1", function () {
        const { lagId, epoch } = statement.scope;
        expect(lsagVerify(b, { ...statement, scope: { lagId: text("lag-B"), epoch } }, signature)).to.equal(false);
        expect(lsagVerify(b, { ...statement, scope: { lagId, epoch: BigInt(epoch) + 1n } }, signature)).to.equal(false);
      });
    });

    describe("key images", function () {
      it("should be equal for the same key and scope and differ across scopes, with different bases", function () {
        const keys = ringKeys(b, 4, "images");
        const ring = keys.map((k) => k.publicKey);
        const scopeA = { lagId: text("lag-A"), epoch: 1n };
        const scopeB = { lagId: text("lag-B"), epoch: 1n };
        const scopeA2 = { lagId: text("lag-A"), epoch: 2n };
        const sign = (scope: RingStatement["scope"], message: string): LsagSignature =>
          lsagSign(b, statementFor(ring, ring[0]!, { scope, message: text(message) }), keys[2]!.secretKey);
        const first = sign(scopeA, "first session");
        const second = sign(scopeA, "second session");
        expect(bytesToHex(first.c1)).to.not.equal(bytesToHex(second.c1));
        expect(bytesToHex(first.keyImage)).to.equal(bytesToHex(second.keyImage));
        const images = [first, sign(scopeB, "elsewhere"), sign(scopeA2, "later")].map((s) => bytesToHex(s.keyImage));
        expect(new Set(images).size).to.equal(3);
        const bases = [scopeA, scopeB, scopeA2].map((scope) => bytesToHex(scopeBaseBytes(b, scope)));
        expect(new Set(bases).size).to.equal(3);
        const otherSigner = lsagSign(b, statementFor(ring, ring[0]!, { scope: scopeA }), keys[3]!.secretKey);
        expect(bytesToHex(otherSigner.keyImage)).to.not.equal(images[0]);
      });
    });

    describe("malformed input", function () {
      let keys: ReturnType<typeof ringKeys>;
      let statement: RingStatement;
      let signature: LsagSignature;

      before(function () {
        keys = ringKeys(b, 4, "malformed");
        statement = statementFor(keys.map((k) => k.publicKey), keys[0]!.publicKey);
        signature = lsagSign(b, statement, keys[0]!.secretKey);
      });

      it("should refuse ring sizes 0, 1 and over the cap quickly with RING_SIZE", function () {
        const huge = Array.from({ length: MAX_RING_SIZE + 1 }, () => keys[0]!.publicKey);
        for (const ring of [[], [keys[0]!.publicKey], huge]) {
          const started = performance.now();
          expect(inputError(() => lsagVerify(b, { ...statement, ring }, signature)).code).to.equal("RING_SIZE");
          expect(inputError(() => lsagSign(b, { ...statement, ring }, keys[0]!.secretKey)).code).to.equal("RING_SIZE");
          expect(performance.now() - started).to.be.lessThan(50);
        }
        expect(inputError(() => lsagVerify(b, statement, signature, { maxRingSize: 3 })).code).to.equal("RING_SIZE");
      });

      it("should refuse a ring-size bound that is not an integer in 2..256 instead of switching the bound off", function () {
        for (const maxRingSize of [Number.NaN, Number.POSITIVE_INFINITY, 3.5, 1, 257, -4]) {
          expect(inputError(() => lsagVerify(b, statement, signature, { maxRingSize })).code).to.equal("OUT_OF_RANGE");
          expect(inputError(() => decodeLsagSignature(encodeSignature(signature), { maxRingSize })).code).to.equal("OUT_OF_RANGE");
        }
        expect(lsagVerify(b, statement, signature, { maxRingSize: 4 })).to.equal(true);
        expect(lsagVerify(b, statement, signature, { maxRingSize: MAX_RING_SIZE })).to.equal(true);
        expect(inputError(() => lsagVerify(b, statement, signature, { maxRingSize: 3 })).code).to.equal("RING_SIZE");
      });

      it("should refuse duplicate members and a signer outside the ring", function () {
        const ring = [...statement.ring.slice(0, 3), statement.ring[1]!];
        expect(inputError(() => lsagVerify(b, { ...statement, ring }, signature)).code).to.equal("DUPLICATE_MEMBER");
        const outsider = generateKeyPair(b);
        expect(inputError(() => lsagSign(b, statement, outsider.secretKey)).code).to.equal("NOT_A_MEMBER");
        expect(inputError(() => lsagSign(b, statement, keys[1]!.secretKey, { index: 2 })).code).to.equal("NOT_A_MEMBER");
      });

      it("should refuse wrong lengths and types", function () {
        expect(inputError(() => lsagVerify(b, statement, { ...signature, s: signature.s.slice(1) })).code).to.equal(
          "INVALID_LENGTH",
        );
        expect(inputError(() => lsagVerify(b, statement, { ...signature, c1: new Uint8Array(31) })).code).to.equal(
          "INVALID_LENGTH",
        );
        const shortMember = [...statement.ring.slice(0, 3), new Uint8Array(33)];
        expect(inputError(() => lsagVerify(b, { ...statement, ring: shortMember }, signature)).code).to.equal(
          "INVALID_LENGTH",
        );
        expect(inputError(() => lsagVerify(b, { ...statement, scope: { lagId: new Uint8Array(0), epoch: 1n } }, signature)).code).to.equal(
          "INVALID_LENGTH",
        );
        expect(inputError(() => lsagVerify(b, { ...statement, scope: { lagId: text("x"), epoch: -1n } }, signature)).code).to.equal(
          "OUT_OF_RANGE",
        );
        const bad = { ...signature, s: ["not bytes"] } as unknown as LsagSignature;
        expect(inputError(() => lsagVerify(b, statement, bad)).code).to.equal("INVALID_LENGTH");
      });

      it("should refuse identity and non-canonical points, and scalars that are zero or ≥ ℓ", function () {
        const zero = new Uint8Array(32);
        const order = Uint8Array.from(Buffer.from("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", "hex"));
        const allOnes = new Uint8Array(32).fill(0xff);
        const nonCanonical = Uint8Array.from(Buffer.from("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "hex"));
        const withMember = (m: Uint8Array): RingStatement => ({ ...statement, ring: [...statement.ring.slice(0, 3), m] });
        expect(inputError(() => lsagVerify(b, withMember(zero), signature)).code).to.equal("IDENTITY_POINT");
        expect(inputError(() => lsagVerify(b, withMember(nonCanonical), signature)).code).to.equal("NON_CANONICAL_POINT");
        expect(inputError(() => lsagVerify(b, statement, { ...signature, keyImage: zero })).code).to.equal("IDENTITY_POINT");
        expect(inputError(() => lsagVerify(b, statement, { ...signature, c1: zero })).code).to.equal("ZERO_SCALAR");
        expect(inputError(() => lsagVerify(b, statement, { ...signature, c1: order })).code).to.equal("NON_CANONICAL_SCALAR");
        expect(inputError(() => lsagVerify(b, statement, { ...signature, s: [allOnes, ...signature.s.slice(1)] })).code).to.equal(
          "NON_CANONICAL_SCALAR",
        );
        expect(inputError(() => lsagVerify(b, statement, { ...signature, s: [zero, ...signature.s.slice(1)] })).code).to.equal(
          "ZERO_SCALAR",
        );
        expect(inputError(() => lsagSign(b, statement, zero)).code).to.equal("ZERO_SCALAR");
        expect(inputError(() => lsagSign(b, statement, order)).code).to.equal("NON_CANONICAL_SCALAR");
      });
    });
  });
}
