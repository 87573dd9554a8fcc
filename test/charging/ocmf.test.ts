import { readFileSync } from "node:fs";
import { Crypto, EcPrivateKey, EcPublicKey } from "@road-labs/ocmf-crypto-noble";
import { Signer, Verifier, type PayloadData, type SignatureMethodId } from "@road-labs/ocmf";
import { expect } from "chai";
import { checkContinuity, type ValidVerdict } from "../../src/charging/ocmf/continuity.js";
import { OCMF_CURVES, type OcmfCurveName } from "../../src/charging/ocmf/curves.js";
import { encodeDerSignature, parseDerSignature, parseEcSpki } from "../../src/charging/ocmf/der.js";
import { OcmfMeter, signOcmf } from "../../src/charging/ocmf/meter.js";
import { ecdsaVerify, ecSpki, verifiesNatively } from "../../src/charging/ocmf/nativeVerify.js";
import { parseOcmf, type OcmfPayload } from "../../src/charging/ocmf/record.js";
import { MeterKeyring, ocmfRecordHash, verifyOcmf, type OcmfVerdict } from "../../src/charging/ocmf/verify.js";
import { pkcs8 } from "./helpers/pkcs8.js";

const fixture = (path: string): string => readFileSync(new URL(`./fixtures/${path}`, import.meta.url), "utf8");

interface Vector {
  name: string;
  curve: OcmfCurveName;
  signatureDerHex: string;
  payload: string;
  spkiDerHex: string;
  expected: boolean;
}
const vectors = JSON.parse(fixture("ocmf-js/test-commons-verify-vectors.json")) as Vector[];
const recordOf = (v: Vector): string => `OCMF|${v.payload}|${JSON.stringify({ SA: `ECDSA-${v.curve}-SHA256`, SD: v.signatureDerHex })}`;

/** The transparency-software XML container: the record and the meter's key. */
function xmlRecord(path: string): { record: string; key: string } {
  const xml = fixture(path);
  return {
    record: /<signedData[^>]*>([\s\S]*?)<\/signedData>/.exec(xml)![1]!,
    key: /<publicKey[^>]*>([\s\S]*?)<\/publicKey>/.exec(xml)![1]!,
  };
}

const valid = (v: OcmfVerdict): ValidVerdict => {
  if (!v.valid) throw new Error(`expected a valid record: ${v.reason} (${v.detail})`);
  return v;
};

const CURVES = Object.keys(OCMF_CURVES) as OcmfCurveName[];
const samplePayload = (id: string): OcmfPayload => ({
  FV: "1.0",
  GI: "EVSE-A",
  GS: "42",
  PG: "T1",
  MS: "M-1",
  IS: false,
  IT: "NONE",
  ID: id,
  RD: [
    { TM: "2026-12-01T10:00:00,000+0000 S", TX: "B", RV: 1000, RI: "1-b:1.8.0", RU: "Wh", ST: "G" },
    { TM: "2026-12-01T11:00:00,000+0000 S", TX: "E", RV: 8400, RI: "1-b:1.8.0", RU: "Wh", ST: "G" },
  ],
});

/** Replaces the signature section of a record. */
const withSignature = (record: string, sig: Record<string, string>): string => `${record.slice(0, record.lastIndexOf("|"))}|${JSON.stringify(sig)}`;

describe("charging: OCMF records", function () {
  this.timeout(60_000);

  describe("published records", () => {
    it("should give every ocmf-js vector its expected verdict (7 curves, valid and tampered)", () => {
      expect(vectors).to.have.length(32);
      let counted = 0;
      for (const v of vectors) {
        const verdict = verifyOcmf(recordOf(v), v.spkiDerHex);
        expect(verdict.valid, v.name).to.equal(v.expected);
        if (!verdict.valid) expect(verdict.reason, v.name).to.equal("bad-signature");
        counted++;
      }
      expect(counted).to.equal(32);
      expect(new Set(vectors.map((v) => v.curve)).size).to.equal(7);
    });

    it("should verify the ocmf-js example record and the three pyocmf records (SA left out: the default applies)", () => {
      const example = JSON.parse(fixture("ocmf-js/verify-example.json")) as { ocmf: string; publicKeySpkiDerHex: string; expected: boolean };
      expect(verifyOcmf(example.ocmf, example.publicKeySpkiDerHex).valid).to.equal(example.expected);
      for (const path of ["pyocmf/base64_ocmf.xml", "pyocmf/working_ocmf.xml", "pyocmf/docs-demo-sample.xml"]) {
        const { record, key } = xmlRecord(path);
        const verdict = valid(verifyOcmf(record, key));
        expect(verdict.flags, path).to.deep.equal(["default-algorithm"]);
        expect(verdict.curve).to.equal("secp256r1");
      }
    });

    it("should name the reason of every refusal", () => {
      const v = vectors.find((x) => x.name === "basic secp256r1")!;
      const k1 = vectors.find((x) => x.name === "basic secp256k1")!;
      const record = recordOf(v);
      expect(verifyOcmf(record, undefined)).to.include({ valid: false, reason: "unknown-key" });
      expect(verifyOcmf(record, k1.spkiDerHex)).to.include({ valid: false, reason: "curve-mismatch" });
      const unsupported = withSignature(record, { SA: "ECDSA-secp521r1-SHA512", SD: v.signatureDerHex });
      expect(verifyOcmf(unsupported, v.spkiDerHex)).to.include({ valid: false, reason: "unsupported-format" });
      const encoding = withSignature(record, { SA: "ECDSA-secp256r1-SHA256", SE: "base32", SD: v.signatureDerHex });
      expect(verifyOcmf(encoding, v.spkiDerHex)).to.include({ valid: false, reason: "unsupported-format" });
      expect(verifyOcmf("OCMF|{not json}|{}", v.spkiDerHex)).to.include({ valid: false, reason: "malformed" });
      expect(verifyOcmf(record.replace("OCMF|", "OCMX|"), v.spkiDerHex)).to.include({ valid: false, reason: "malformed" });
      const ring = new MeterKeyring();
      expect(ring.verify(record)).to.include({ valid: false, reason: "unknown-key" });
      ring.register(JSON.parse(v.payload).MS as string, v.spkiDerHex);
      expect(ring.verify(record).valid).to.equal(true);
    });
  });

  describe("what real meters send", () => {
    const secret = OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey();
    const point = OCMF_CURVES.secp256r1.ecdsa.getPublicKey(secret, false);
    const signed = signOcmf(samplePayload("s1"), secret);
    const sd = parseOcmf(signed).signature.SD;
    const der = parseDerSignature(Buffer.from(sd, "hex"));
    const rawSig = Buffer.concat([Buffer.from(der.r.toString(16).padStart(64, "0"), "hex"), Buffer.from(der.s.toString(16).padStart(64, "0"), "hex")]);

    it("should accept base64 SE, raw r‖s signatures and raw X‖Y keys, and flag each", () => {
      const b64 = withSignature(signed, { SE: "base64", SD: Buffer.from(sd, "hex").toString("base64") });
      expect(valid(verifyOcmf(b64, point)).flags).to.have.members(["default-algorithm", "base64-signature", "raw-public-key"]);
      const raw = withSignature(signed, { SA: "ECDSA-secp256r1-SHA256", SD: rawSig.toString("hex") });
      expect(valid(verifyOcmf(raw, point.subarray(1))).flags).to.have.members(["raw-signature", "raw-public-key"]);
      const spacedHex = Buffer.from(point).toString("hex").toUpperCase().replace(/(..)/g, "$1 ");
      expect(verifyOcmf(signed, spacedHex).valid).to.equal(true);
      expect(verifyOcmf(signed, Buffer.from(point).toString("base64")).valid).to.equal(true);
    });

    it("should accept the brainpoolP256r1 spelling of the method", () => {
      const bp = OCMF_CURVES.brainpool256r1.ecdsa;
      const key = bp.utils.randomSecretKey();
      const record = signOcmf(samplePayload("bp"), key, "brainpool256r1").replace("ECDSA-brainpool256r1-SHA256", "ECDSA-brainpoolP256r1-SHA256");
      expect(valid(verifyOcmf(record, bp.getPublicKey(key, false))).curve).to.equal("brainpool256r1");
    });

    it("should hash a 2,000+ character payload with spaces and exponents byte for byte", () => {
      const filler = "x".repeat(1900);
      const payloadText = `{"FV" : "1.0", "PG" : "T7", "MS":"M-9", "XX":"${filler}", "RD" : [ {"TM":"2026-12-01T10:00:00,000+0100 R","TX":"B","RV":1.606848e7,"RU":"Wh","ST":"G"} ]}`;
      const sig = OCMF_CURVES.secp256r1.ecdsa.sign(new TextEncoder().encode(payloadText), secret, { lowS: false, format: "der" });
      const record = `OCMF|${payloadText}|{"SD":"${Buffer.from(sig).toString("hex")}"}`;
      expect(record.length > 2000, "record length").to.equal(true);
      const verdict = valid(verifyOcmf(record, point));
      expect(verdict.record.payload.RD[0]!.RV).to.equal(16068480);
      expect(verdict.recordHash).to.equal(ocmfRecordHash(record));
      // One space less in the payload is another record: the signature no longer covers it.
      expect(verifyOcmf(record.replace(`"FV" : "1.0"`, `"FV": "1.0"`), point)).to.include({ reason: "bad-signature" });
    });

    it("should accept a DER signature with non-minimal integers, flag it, and keep the record as sent", () => {
      const body = (v: bigint, pad: number): number[] => {
        const b = [...Buffer.from(v.toString(16).padStart(64, "0"), "hex")];
        return [0x02, b.length + pad, ...new Array<number>(pad).fill(0), ...b];
      };
      const ints = [...body(der.r, 2), ...body(der.s, 1)];
      const loose = Buffer.from([0x30, ints.length, ...ints]).toString("hex");
      expect(loose).to.not.equal(Buffer.from(encodeDerSignature(der.r, der.s)).toString("hex"));
      const record = withSignature(signed, { SA: "ECDSA-secp256r1-SHA256", SD: loose });
      const verdict = valid(verifyOcmf(record, point));
      expect(verdict.flags).to.include("non-canonical-signature");
      expect(verdict.record.raw).to.equal(record);
      expect(verdict.recordHash).to.equal(ocmfRecordHash(record));
    });

    it("should refuse a changed meter value or time even by one digit", () => {
      expect(verifyOcmf(signed.replace('"RV":8400', '"RV":8401'), point)).to.include({ reason: "bad-signature" });
      expect(verifyOcmf(signed.replace("11:00:00", "11:00:01"), point)).to.include({ reason: "bad-signature" });
    });

    it("should refuse after a record verified: its signature on another payload, under another key, or another signature", () => {
      expect(verifyOcmf(signed, point).valid).to.equal(true); // signed and verified: the verdict is remembered
      const other = OCMF_CURVES.secp256r1.ecdsa.getPublicKey(OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey(), false);
      expect(verifyOcmf(signed, other)).to.include({ reason: "bad-signature" });
      expect(verifyOcmf(signed.replace('"RV":8400', '"RV":8401'), point)).to.include({ reason: "bad-signature" });
      const sd = /"SD":"([0-9A-F]+)"/.exec(signed)![1]!;
      const { r, s } = parseDerSignature(Buffer.from(sd, "hex"));
      const n = OCMF_CURVES.secp256r1.ecdsa.Point.Fn.ORDER;
      const reSigned = (rr: bigint, ss: bigint) => signed.replace(sd, Buffer.from(encodeDerSignature(rr, ss)).toString("hex").toUpperCase());
      expect(verifyOcmf(reSigned(r, (s + 1n) % n), point)).to.include({ reason: "bad-signature" });
      // The twin (r, n − s) is a valid ECDSA signature (OCMF does not ask for low s): accepted by the curve, not by the set.
      expect(verifyOcmf(reSigned(r, n - s), point).valid).to.equal(true);
      expect(verifyOcmf(signed, point).valid).to.equal(true);
    });
  });

  describe("continuity", () => {
    const key = OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey();
    const identity = { serial: "M-7", gateway: "EVSE-7", gatewaySerial: "7" };
    const t0 = Date.UTC(2026, 11, 1, 10);
    const transaction = (): string[] => {
      const meter = new OcmfMeter(identity, key);
      return [meter.begin("sess-1", t0, 1000), meter.progress(t0 + 900_000, 3000), meter.progress(t0 + 1_800_000, 5000), meter.end(t0 + 2_700_000, 7000)];
    };
    const pub = OCMF_CURVES.secp256r1.ecdsa.getPublicKey(key, false);
    const verified = (records: string[], k: Uint8Array = pub): ValidVerdict[] => records.map((r) => valid(verifyOcmf(r, k)));

    it("should accept a whole transaction and give its first and last readings", () => {
      const result = checkContinuity(verified(transaction()));
      expect(result.issues).to.deep.equal([]);
      expect(result.readings).to.deep.equal({ startWh: 1000, endWh: 7000, startAt: t0, endAt: t0 + 2_700_000 });
    });

    it("should refuse a pagination gap (a record left out)", () => {
      const records = transaction();
      records.splice(2, 1);
      expect(checkContinuity(verified(records)).issues).to.deep.equal([{ kind: "pagination-gap", index: 2, expected: 3, got: 4 }]);
    });

    it("should refuse a meter value that decreases and time that goes back (each record validly signed)", () => {
      const p = samplePayload("s");
      const down = signOcmf({ ...p, RD: [p.RD[0]!, { ...p.RD[1]!, RV: 900 }] }, key);
      expect(checkContinuity(verified([down])).issues.map((i) => i.kind)).to.deep.equal(["value-decreased"]);
      const back = signOcmf({ ...p, RD: [p.RD[0]!, { ...p.RD[1]!, TM: "2026-12-01T09:00:00,000+0000 S" }] }, key);
      expect(checkContinuity(verified([back])).issues.map((i) => i.kind)).to.deep.equal(["time-went-back"]);
      expect(checkContinuity(verified([down])).readings).to.equal(undefined);
    });

    it("should refuse begin and end signed by different keys", () => {
      const other = OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey();
      const a = new OcmfMeter(identity, key);
      const b = new OcmfMeter(identity, other);
      const begin = a.begin("sess-2", t0, 10);
      b.begin("sess-2", t0, 10);
      b.progress(t0 + 1, 11);
      const end = b.end(t0 + 2, 20);
      const records = [valid(verifyOcmf(begin, pub)), valid(verifyOcmf(end, OCMF_CURVES.secp256r1.ecdsa.getPublicKey(other, false)))];
      expect(checkContinuity(records).issues.map((i) => i.kind)).to.include("signer-changed");
    });

    it("should refuse a transaction without its begin or its end", () => {
      const records = transaction();
      const kinds = checkContinuity(verified(records.slice(1, 3))).issues.map((i) => i.kind);
      expect(kinds).to.include.members(["missing-begin", "missing-end"]);
    });
  });

  describe("cross-verification with @road-labs/ocmf", () => {
    const crypto = new Crypto();
    const methods: Record<OcmfCurveName, SignatureMethodId> = {
      secp192r1: "ECDSA-secp192r1-SHA256",
      secp192k1: "ECDSA-secp192k1-SHA256",
      secp256r1: "ECDSA-secp256r1-SHA256",
      secp256k1: "ECDSA-secp256k1-SHA256",
      secp384r1: "ECDSA-secp384r1-SHA256",
      brainpool256r1: "ECDSA-brainpool256r1-SHA256",
      brainpool384r1: "ECDSA-brainpool384r1-SHA256",
    };

    it("should have records signed here verify there, on every curve", async () => {
      for (const curve of CURVES) {
        const secret = OCMF_CURVES[curve].ecdsa.utils.randomSecretKey();
        const record = signOcmf(samplePayload(`here-${curve}`), secret, curve);
        const key = new EcPublicKey(OCMF_CURVES[curve].ecdsa.getPublicKey(secret, false), curve);
        const result = await new Verifier(crypto).parseAndVerify(record, key);
        expect(result.verified, curve).to.equal(true);
        const tampered = await new Verifier(crypto).parseAndVerify(record.replace('"RV":8400', '"RV":8500'), key);
        expect(tampered.verified, curve).to.equal(false);
      }
    });

    it("should verify here records signed there, on every curve", async () => {
      for (const curve of CURVES) {
        const secret = OCMF_CURVES[curve].ecdsa.utils.randomSecretKey();
        const privateKey = EcPrivateKey.fromEncoded(pkcs8(curve, secret), "pkcs8-der");
        const record = await new Signer(crypto).sign(samplePayload(`there-${curve}`) as unknown as PayloadData, privateKey, methods[curve]);
        const verdict = verifyOcmf(record, OCMF_CURVES[curve].ecdsa.getPublicKey(secret, false));
        expect(verdict.valid, curve).to.equal(true);
        expect(verifyOcmf(record.replace('"RV":1000', '"RV":1001'), OCMF_CURVES[curve].ecdsa.getPublicKey(secret, false))).to.include({ reason: "bad-signature" });
      }
    });
  });

  describe("verification through OpenSSL", () => {
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    const big = (b: Uint8Array): bigint => BigInt("0x" + Buffer.from(b).toString("hex"));
    const fixed = (v: bigint, size: number): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(2 * size, "0"), "hex"));

    it("should verify the named curves of this Node's OpenSSL natively, with an SPKI that parses back", () => {
      for (const curve of ["secp256r1", "secp384r1", "secp256k1", "brainpool256r1", "brainpool384r1"] as const) {
        const c = OCMF_CURVES[curve];
        const point = c.ecdsa.getPublicKey(c.ecdsa.utils.randomSecretKey(), false);
        expect(verifiesNatively(c, point), curve).to.equal(true);
        expect(Buffer.from(parseEcSpki(ecSpki(c, point)).point).equals(Buffer.from(point)), curve).to.equal(true);
      }
    });

    it("should give the verdict of @noble/curves on every curve: valid, the (r, n − s) twin, a changed payload, r + 1, another key, a compressed key", () => {
      for (const curve of CURVES) {
        const c = OCMF_CURVES[curve];
        const n = c.ecdsa.Point.Fn.ORDER;
        for (let i = 0; i < 8; i++) {
          const secret = c.ecdsa.utils.randomSecretKey();
          const point = c.ecdsa.getPublicKey(secret, false);
          const other = c.ecdsa.getPublicKey(c.ecdsa.utils.randomSecretKey(), false);
          const payload = text(`{"RV":${1000 + i},"curve":"${curve}"}`);
          const sig = c.ecdsa.sign(payload, secret, { lowS: false, format: "compact" });
          const r = big(sig.subarray(0, c.size));
          const s = big(sig.subarray(c.size));
          const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
            ["valid", sig, payload, point],
            ["twin", Uint8Array.from([...fixed(r, c.size), ...fixed(n - s, c.size)]), payload, point],
            ["payload", sig, text(`{"RV":${2000 + i},"curve":"${curve}"}`), point],
            ["r + 1", Uint8Array.from([...fixed((r % (n - 1n)) + 1n, c.size), ...fixed(s, c.size)]), payload, point],
            ["other key", sig, payload, other],
            ["compressed", sig, payload, c.ecdsa.getPublicKey(secret, true)],
          ];
          for (const [what, compact, bytes, key] of cases) {
            const expected = c.ecdsa.verify(compact, bytes, key, { lowS: false, format: "compact" });
            expect(ecdsaVerify(c, compact, bytes, key), `${curve} ${what}`).to.equal(expected);
            expect(expected, `${curve} ${what}`).to.equal(["valid", "twin", "compressed"].includes(what));
          }
        }
      }
    });
  });
});
