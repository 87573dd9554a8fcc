import { expect } from "chai";
import {
  bytesToHex,
  checkPermit,
  decodePermit,
  encodePermit,
  issuePermit,
  type KeyPair,
  type Permit,
} from "../../src/crypto/index.js";
import { BACKEND_NAMES, flipBit, inputError, loadBackends, ringKeys, text, type AnyBackend } from "./helpers/fixtures.js";

for (const name of BACKEND_NAMES) {
  describe(`CA permits for aggregators (${name} backend)`, function () {
    let b: AnyBackend;
    let ca: KeyPair;
    let lag: KeyPair;
    let permit: Permit;
    const randomness = new Uint8Array(32).fill(3);

    before(async function () {
      b = (await loadBackends())[name];
      [ca, lag] = ringKeys(b, 2, "permits") as [KeyPair, KeyPair];
      permit = issuePermit(
        b,
        ca.secretKey,
        { aggregatorId: text("lag-7"), aggregatorKey: lag.publicKey, notBefore: 100n, notAfter: 200n, nonce: new Uint8Array(16).fill(1) },
        { randomness },
      );
    });

    it("should be valid only inside its window", function () {
      expect(checkPermit(b, ca.publicKey, permit, 99n)).to.equal("not-yet-valid");
      expect(checkPermit(b, ca.publicKey, permit, 100n)).to.equal("valid");
      expect(checkPermit(b, ca.publicKey, permit, 199n)).to.equal("valid");
      expect(checkPermit(b, ca.publicKey, permit, 200n)).to.equal("expired");
    });

    it("should fail under another CA key or with any changed field", function () {
      expect(checkPermit(b, lag.publicKey, permit, 150n)).to.equal("bad-signature");
      const changed: Permit[] = [
        { ...permit, aggregatorId: text("lag-8") },
        { ...permit, notAfter: 300n },
        { ...permit, notBefore: 99n },
        { ...permit, nonce: flipBit(permit.nonce, 0) },
        { ...permit, aggregatorKey: ca.publicKey },
        { ...permit, signature: flipBit(permit.signature, 300) },
      ];
      for (const p of changed) expect(checkPermit(b, ca.publicKey, p, 150n)).to.equal("bad-signature");
    });

    it("should round-trip through its strict wire format and be identical on both backends", async function () {
      const bytes = encodePermit(permit);
      expect(bytesToHex(encodePermit(decodePermit(bytes)))).to.equal(bytesToHex(bytes));
      expect(inputError(() => decodePermit(bytes.subarray(1))).code).to.equal("UNSUPPORTED_VERSION");
      expect(inputError(() => decodePermit(Uint8Array.of(...bytes, 0))).code).to.equal("INVALID_LENGTH");
      const { noble, sodium } = await loadBackends();
      const other = name === "noble" ? sodium : noble;
      const again = issuePermit(
        other,
        ca.secretKey,
        { aggregatorId: text("lag-7"), aggregatorKey: lag.publicKey, notBefore: 100n, notAfter: 200n, nonce: new Uint8Array(16).fill(1) },
        { randomness },
      );
      expect(bytesToHex(again.signature)).to.equal(bytesToHex(permit.signature));
    });

    it("should refuse malformed signatures, keys and windows with typed errors", function () {
      const zero = new Uint8Array(32);
      const identityR = Uint8Array.of(...zero, ...permit.signature.subarray(32));
      const bigS = Uint8Array.of(...permit.signature.subarray(0, 32), ...new Uint8Array(32).fill(0xff));
      expect(inputError(() => checkPermit(b, ca.publicKey, { ...permit, signature: identityR }, 150n)).code).to.equal("IDENTITY_POINT");
      expect(inputError(() => checkPermit(b, ca.publicKey, { ...permit, signature: bigS }, 150n)).code).to.equal("NON_CANONICAL_SCALAR");
      expect(inputError(() => checkPermit(b, zero, permit, 150n)).code).to.equal("IDENTITY_POINT");
      expect(inputError(() => checkPermit(b, ca.publicKey, { ...permit, notBefore: 300n }, 150n)).code).to.equal("OUT_OF_RANGE");
      expect(inputError(() => checkPermit(b, ca.publicKey, { ...permit, signature: permit.signature.subarray(1) }, 150n)).code).to.equal(
        "INVALID_LENGTH",
      );
    });
  });
}
