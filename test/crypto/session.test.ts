import { expect } from "chai";
import {
  authOperator,
  bytesToHex,
  checkAnonymousAuth,
  committedMembers,
  CryptoInputError,
  ctEqual,
  encodeAuthMessage,
  escrowSign,
  generateKeyPair,
  issuePermit,
  lagSessionKey,
  transcriptHash,
  vehicleSessionKey,
  verifyAuthOperator,
  type AnonymousAuthCheck,
  type KeyPair,
} from "../../src/crypto/index.js";
import {
  BACKEND_NAMES,
  inputError,
  loadBackends,
  ringKeys,
  seededRandom,
  statementFor,
  text,
  type AnyBackend,
} from "./helpers/fixtures.js";

for (const name of BACKEND_NAMES) {
  describe(`session keys, operators and the LAG's check (${name} backend)`, function () {
    let b: AnyBackend;
    let vehicleEph: KeyPair;
    let lagEph: KeyPair;
    let lagStatic: KeyPair;
    let th: Uint8Array;

    before(async function () {
      b = (await loadBackends())[name];
      [vehicleEph, lagEph, lagStatic] = ringKeys(b, 3, "session") as [KeyPair, KeyPair, KeyPair];
      th = transcriptHash([text("hello"), lagEph.publicKey, vehicleEph.publicKey]);
    });

    const keys = (transcript: Uint8Array): [Uint8Array, Uint8Array] => [
      vehicleSessionKey(b, { ephemeral: vehicleEph, lagEphemeralKey: lagEph.publicKey, lagStaticKey: lagStatic.publicKey, transcriptHash: transcript }),
      lagSessionKey(b, { ephemeral: lagEph, static: lagStatic, vehicleEphemeralKey: vehicleEph.publicKey, transcriptHash: transcript }),
    ];

    it("should give vehicle and LAG the same key, bound to the transcript", function () {
      const [kv, kl] = keys(th);
      expect(bytesToHex(kv)).to.equal(bytesToHex(kl));
      const [other] = keys(transcriptHash([text("hello!"), lagEph.publicKey, vehicleEph.publicKey]));
      expect(bytesToHex(other)).to.not.equal(bytesToHex(kv));
      expect(
        bytesToHex(
          lagSessionKey(b, { ephemeral: lagEph, static: generateKeyPair(b), vehicleEphemeralKey: vehicleEph.publicKey, transcriptHash: th }),
        ),
      ).to.not.equal(bytesToHex(kv));
    });

    it("should refuse identity peer keys and malformed transcripts", function () {
      const zero = new Uint8Array(32);
      expect(
        inputError(() => vehicleSessionKey(b, { ephemeral: vehicleEph, lagEphemeralKey: zero, lagStaticKey: lagStatic.publicKey, transcriptHash: th }))
          .code,
      ).to.equal("IDENTITY_POINT");
      expect(inputError(() => keys(new Uint8Array(31))).code).to.equal("INVALID_LENGTH");
    });

    it("should check operators in constant time, per label and transcript", function () {
      const [k] = keys(th);
      const transcript = [text("m1"), text("m2")];
      const tag = authOperator(k, "vehicle-confirm", transcript);
      expect(verifyAuthOperator(k, "vehicle-confirm", transcript, tag)).to.equal(true);
      expect(verifyAuthOperator(k, "lag-confirm", transcript, tag)).to.equal(false);
      expect(verifyAuthOperator(k, "vehicle-confirm", [text("m1"), text("m3")], tag)).to.equal(false);
      expect(verifyAuthOperator(k, "vehicle-confirm", [text("m1m2")], tag)).to.equal(false);
      tag[0] = (tag[0] as number) ^ 1;
      expect(verifyAuthOperator(k, "vehicle-confirm", transcript, tag)).to.equal(false);
      expect(inputError(() => verifyAuthOperator(k, "vehicle-confirm", transcript, tag.subarray(1))).code).to.equal("INVALID_LENGTH");
      expect(inputError(() => authOperator(k, "", transcript)).code).to.equal("INVALID_ENCODING");
      expect(ctEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).to.equal(true);
      expect(ctEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).to.equal(false);
      expect(ctEqual(Uint8Array.of(1, 2), Uint8Array.of(1))).to.equal(false);
    });

    it("should accept one full anonymous authentication and name the failing check otherwise", function () {
      const [ca, caPermit, ...members] = ringKeys(b, 6, "lag check");
      const ring = members.map((k) => k.publicKey);
      const message = encodeAuthMessage({
        protocolVersion: 1,
        messageType: 2,
        lagId: text("lag-A"),
        groupId: text("group-A"),
        groupVersion: 7n,
        challengeNonce: new Uint8Array(32).fill(9),
        ephemeralKey: vehicleEph.publicKey,
        timestamp: 1_700_000_000n,
      });
      const statement = statementFor(ring, ca!.publicKey, { message });
      const signature = escrowSign(b, statement, members[2]!.secretKey);
      const permit = issuePermit(b, caPermit!.secretKey, {
        aggregatorId: text("lag-A"),
        aggregatorKey: lagStatic.publicKey,
        notBefore: 1_000n,
        notAfter: 2_000n,
      }, { rng: seededRandom("permit") });
      const [k] = keys(th);
      const transcript = [message, signature.keyImage];
      const input: AnonymousAuthCheck = {
        permit,
        members: committedMembers(members.map((k) => k.publicKey)),
        caPermitKey: caPermit!.publicKey,
        now: 1_500n,
        keyAgreement: { ephemeral: lagEph, static: lagStatic, vehicleEphemeralKey: vehicleEph.publicKey, transcriptHash: th },
        operatorLabel: "vehicle-auth",
        transcript,
        operatorTag: authOperator(k, "vehicle-auth", transcript),
        ring: { kind: "lsag-escrow", statement, signature },
      };
      const ok = checkAnonymousAuth(b, input);
      expect(ok.ok).to.equal(true);
      if (ok.ok) expect(bytesToHex(ok.keyImage)).to.equal(bytesToHex(signature.keyImage));
      expect(checkAnonymousAuth(b, { ...input, now: 2_000n })).to.deep.equal({ ok: false, failed: "permit" });
      expect(checkAnonymousAuth(b, { ...input, operatorLabel: "lag-auth" })).to.deep.equal({ ok: false, failed: "operator" });
      // A valid signature over a ring that is not (wholly) in the committed member set is refused.
      const committedElsewhere = committedMembers(members.slice(0, 2).map((k) => k.publicKey));
      expect(checkAnonymousAuth(b, { ...input, members: committedElsewhere })).to.deep.equal({ ok: false, failed: "membership" });
      expect(() => checkAnonymousAuth(b, { ...input, members: undefined as never })).to.throw(CryptoInputError);
      const wrongMessage = { ...statement, message: text("replayed elsewhere") };
      expect(checkAnonymousAuth(b, { ...input, ring: { kind: "lsag-escrow", statement: wrongMessage, signature } })).to.deep.equal({
        ok: false,
        failed: "ring",
      });
    });
  });
}
