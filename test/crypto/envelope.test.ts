import { expect } from "chai";
import fc from "fast-check";
import {
  ANSWER_BODY_MAX,
  CryptoAuthError,
  decodeAnswer,
  decodeMask,
  encodeAnswer,
  encodeMask,
  ENVELOPE_BYTES,
  ENVELOPE_PLAINTEXT_MAX,
  maskStatus,
  openEnvelope,
  sealEnvelope,
  sumMasked,
  unmaskAggregate,
  type KeyPair,
} from "../../src/crypto/index.js";
import { BACKEND_NAMES, flipBit, inputError, loadBackends, ringKeys, seededRandom, text, type AnyBackend } from "./helpers/fixtures.js";

function authError(fn: () => unknown): void {
  expect(fn).to.throw(CryptoAuthError);
}

for (const name of BACKEND_NAMES) {
  describe(`envelopes to the CA (${name} backend)`, function () {
    let b: AnyBackend;
    let ca: KeyPair;
    let other: KeyPair;

    before(async function () {
      b = (await loadBackends())[name];
      [ca, other] = ringKeys(b, 2, "envelopes") as [KeyPair, KeyPair];
    });

    it("should give accept, decline and status answers identical ciphertext lengths", function () {
      const answers = [
        encodeAnswer({ sequence: 1n, kind: "accept", body: new Uint8Array(0) }),
        encodeAnswer({ sequence: 2n, kind: "decline", body: text("no capacity left at this site") }),
        encodeAnswer({ sequence: 3n, kind: "status", body: new Uint8Array(ANSWER_BODY_MAX).fill(7) }),
      ];
      const aad = text("session-42");
      const sealed = answers.map((a) => sealEnvelope(b, ca.publicKey, a, aad));
      for (const envelope of sealed) expect(envelope.length).to.equal(ENVELOPE_BYTES);
      sealed.forEach((envelope, i) => {
        const opened = decodeAnswer(openEnvelope(b, ca, envelope, aad));
        expect(opened).to.deep.equal(decodeAnswer(answers[i]!));
      });
    });

    it("should round-trip any plaintext up to the maximum", function () {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: ENVELOPE_PLAINTEXT_MAX }), fc.uint8Array({ maxLength: 40 }), (pt, aad) => {
          const envelope = sealEnvelope(b, ca.publicKey, pt, aad);
          expect(envelope.length).to.equal(ENVELOPE_BYTES);
          expect([...openEnvelope(b, ca, envelope, aad)]).to.deep.equal([...pt]);
        }),
        { numRuns: name === "sodium" ? 100 : 15 },
      );
    });

    it("should fail authentication for a wrong key, changed associated data or any flipped ciphertext bit", function () {
      const aad = text("session-42");
      const envelope = sealEnvelope(b, ca.publicKey, text("accept"), aad, seededRandom("seal"));
      authError(() => openEnvelope(b, other, envelope, aad));
      authError(() => openEnvelope(b, ca, envelope, text("session-43")));
      for (let bit = 33 * 8; bit < envelope.length * 8; bit += 97) authError(() => openEnvelope(b, ca, flipBit(envelope, bit), aad));
      expect(inputError(() => openEnvelope(b, ca, flipBit(envelope, 0), aad)).code).to.equal("UNSUPPORTED_VERSION");
      expect(inputError(() => openEnvelope(b, ca, envelope.subarray(1), aad)).code).to.equal("INVALID_LENGTH");
      expect(inputError(() => sealEnvelope(b, ca.publicKey, new Uint8Array(ENVELOPE_PLAINTEXT_MAX + 1))).code).to.equal("INVALID_LENGTH");
      const identityEpk = envelope.slice();
      identityEpk.fill(0, 1, 33);
      expect(inputError(() => openEnvelope(b, ca, identityEpk, aad)).code).to.equal("IDENTITY_POINT");
    });

    it("should draw a fresh ephemeral key for every plaintext even from a random source that repeats", function () {
      const stuck = () => (length: number) => new Uint8Array(length).fill(0x5a);
      const aad = text("request-7");
      const accept = sealEnvelope(b, ca.publicKey, text("accept"), aad, stuck());
      const decline = sealEnvelope(b, ca.publicKey, text("decline"), aad, stuck());
      const otherAad = sealEnvelope(b, ca.publicKey, text("accept"), text("request-8"), stuck());
      const epk = (e: Uint8Array) => Buffer.from(e.subarray(1, 33)).toString("hex");
      // A key drawn from the source alone would repeat (and with it the ChaCha20-Poly1305 key and nonce).
      expect(new Set([epk(accept), epk(decline), epk(otherAad)]).size).to.equal(3);
      expect([...openEnvelope(b, ca, accept, aad)]).to.deep.equal([...text("accept")]);
      expect([...openEnvelope(b, ca, decline, aad)]).to.deep.equal([...text("decline")]);
      expect(inputError(() => sealEnvelope(b, ca.publicKey.subarray(1), text("accept"), aad)).code).to.equal("INVALID_LENGTH");
    });
  });
}

describe("pseudo-status masking", function () {
  it("should let the CA recover the exact aggregate from masked values", function () {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10_000_000n }), { minLength: 1, maxLength: 60 }), fc.string(), (statuses, seed) => {
        const rng = seededRandom(seed);
        const masked = statuses.map((s) => maskStatus(s, undefined, rng));
        const lagSum = sumMasked(masked.map((m) => m.masked));
        const masks = masked.map((m) => decodeMask(encodeMask(m.mask)));
        expect(unmaskAggregate(lagSum, masks)).to.equal(statuses.reduce((a, c) => a + c, 0n));
      }),
      { numRuns: 300 },
    );
  });

  it("should work for any modulus and reject out-of-range values", function () {
    const modulus = 1_000_003n;
    const masked = [5n, 17n, 1_000_002n].map((s) => maskStatus(s, modulus));
    expect(unmaskAggregate(sumMasked(masked.map((m) => m.masked), modulus), masked.map((m) => m.mask), modulus)).to.equal(
      (5n + 17n + 1_000_002n) % modulus,
    );
    expect(encodeMask(0n, modulus).length).to.equal(3);
    expect(inputError(() => maskStatus(modulus, modulus)).code).to.equal("OUT_OF_RANGE");
    expect(inputError(() => maskStatus(-1n)).code).to.equal("OUT_OF_RANGE");
    expect(inputError(() => decodeMask(new Uint8Array(3).fill(0xff), modulus)).code).to.equal("OUT_OF_RANGE");
    expect(inputError(() => decodeMask(new Uint8Array(4), modulus)).code).to.equal("INVALID_LENGTH");
  });

  it("should hide a status: masked values of different statuses are both spread over the modulus", function () {
    const modulus = 16n;
    const seen = (status: bigint): Set<bigint> => {
      const rng = seededRandom(`hide-${status}`);
      return new Set(Array.from({ length: 400 }, () => maskStatus(status, modulus, rng).masked));
    };
    expect(seen(0n).size).to.equal(16);
    expect(seen(9n).size).to.equal(16);
  });
});
