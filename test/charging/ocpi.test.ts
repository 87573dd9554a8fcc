import { expect } from "chai";
import { encodeBytes32String, hexlify, randomBytes, Wallet } from "ethers";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import { ArtefactStore } from "../../src/charging/artefactStore.js";
import { issueCdr } from "../../src/charging/cdr.js";
import { FlowSequences } from "../../src/charging/flowEvidence.js";
import { ChargingError } from "../../src/charging/errors.js";
import { recordTransaction } from "../../src/charging/metering.js";
import { OCMF_CURVES } from "../../src/charging/ocmf/curves.js";
import { OcmfMeter } from "../../src/charging/ocmf/meter.js";
import { ocmfRecordHash, verifyOcmf } from "../../src/charging/ocmf/verify.js";
import { exportOcpiCdr, type OcpiExportInput } from "../../src/charging/ocpi/export.js";
import { cdrSchema } from "../../src/charging/ocpi/schema.js";
import type { SlotPrices } from "../../src/charging/prices.js";

const LEDGER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const domain = evidenceDomain(31337n, LEDGER);
const T0 = 1_800_000_000n;
const prices: SlotPrices = {
  tariffId: encodeBytes32String("t"),
  start: T0,
  slotSeconds: 900,
  importPrice: [100_000n, 100_000n, 400_000n, 400_000n],
  exportPrice: [0n, 0n, 0n, 0n],
  peak: [false, false, true, true],
};

async function exported(): Promise<OcpiExportInput> {
  const secret = OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey();
  // A gateway id long enough that every record exceeds OCPI's 512-character plain_data.
  const meter = new OcmfMeter({ serial: "M-1", gateway: "EVSE-".padEnd(150, "x"), gatewaySerial: "1" }, secret);
  const ms = Number(T0) * 1000;
  const records = [meter.begin("s", ms + 60_000, 0), meter.progress(ms + 900_000, 2_000), meter.end(ms + 2_700_000, 9_000)];
  const store = EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });
  const artefacts = ArtefactStore.open(":memory:");
  const party = () => ({ address: Wallet.createRandom().address, key: Wallet.createRandom() });
  const metered = await recordTransaction(party(), new FlowSequences(), domain, store, artefacts, hexlify(randomBytes(32)), Wallet.createRandom().address, records.map((r) => verifyOcmf(r, meter.publicKey())));
  const { cdr } = await issueCdr(party(), new FlowSequences(), domain, store, { cdrId: hexlify(randomBytes(32)), homeSupplier: Wallet.createRandom().address, metered, prices, issuedAt: T0 + 3600n });
  return {
    mode: "strict",
    countryCode: "NL",
    partyId: "EXA",
    cdr,
    metered,
    exportPoints: [{ at: ms + 60_000, mWh: 0n }, { at: ms + 1_800_000, mWh: 0n }, { at: ms + 2_700_000, mWh: 1_500_000n }],
    prices,
    tariffId: "HOME-2026",
    currency: "EUR",
    token: { country_code: "NL", party_id: "EXA", uid: "PSEUDO-12345", type: "APP_USER", contract_id: "NL-EXA-C12345678-X" },
    location: {
      id: "LOC1",
      address: "Stationsplein 1",
      city: "Utrecht",
      country: "NLD",
      coordinates: { latitude: "52.089444", longitude: "5.110278" },
      evse_uid: "EVSE1",
      evse_id: "NL*EXA*E12345*1",
      connector_id: "1",
      connector_standard: "IEC_62196_T2",
      connector_format: "SOCKET",
      connector_power_type: "AC_3_PHASE",
    },
    authMethod: "COMMAND",
    ocmfRecords: records,
    meterId: "M-1",
    publicKeyHex: Buffer.from(meter.publicKey()).toString("hex"),
    lastUpdated: Number(T0 + 3600n) * 1000,
  };
}

describe("charging: OCPI 2.2.1 CDR export", function () {
  this.timeout(60_000);

  it("should export a CDR that validates in strict mode, carrying every OCMF record byte for byte and its evidence digest", async () => {
    const input = await exported();
    const cdr = exportOcpiCdr(input);
    expect(cdrSchema("strict").safeParse(cdr).success).to.equal(true);
    expect(cdr.remark).to.equal(`evidence:${input.cdr.digest}`);
    expect(cdr.total_energy).to.equal(9);
    expect(cdr.total_cost.excl_vat).to.equal(Number(input.cdr.body.amount) / 1e6);
    const values = cdr.signed_data!.signed_values;
    expect(values.map((v) => v.nature)).to.deep.equal(["Start", "Intermediate", "End"]);
    values.forEach((v, i) => {
      const record = Buffer.from(v.signed_data, "base64").toString("utf8");
      expect(record).to.equal(input.ocmfRecords[i]);
      expect(record.length > 512, "record longer than plain_data allows").to.equal(true);
      expect(v.plain_data).to.equal(`keccak256:${ocmfRecordHash(record)}`);
      expect(verifyOcmf(record, cdr.signed_data!.public_key!).valid).to.equal(true);
    });
    const periods = cdr.charging_periods;
    expect(periods.map((p) => p.start_date_time)).to.deep.equal(["2027-01-15T08:01:00Z", "2027-01-15T08:15:00Z", "2027-01-15T08:30:00Z"]);
    expect(periods[2]!.dimensions).to.deep.include({ type: "ENERGY_EXPORT", volume: 1.5 });
    expect(periods.reduce((s, p) => s + p.dimensions.find((d) => d.type === "ENERGY")!.volume, 0)).to.equal(9);
  });

  it("should carry the records whole in plain_data in whole mode, which the strict schema refuses", async () => {
    const input = await exported();
    const whole = exportOcpiCdr({ ...input, mode: "whole" });
    expect(whole.signed_data!.signed_values.map((v) => v.plain_data)).to.deep.equal(input.ocmfRecords);
    const strict = cdrSchema("strict").safeParse(whole);
    expect(strict.success).to.equal(false);
    expect(strict.error!.issues.every((i) => i.path.join(".").startsWith("signed_data.signed_values"))).to.equal(true);
  });

  it("should refuse a CDR without any one of the spec's required fields, or with a field over its length", async () => {
    const cdr = exportOcpiCdr(await exported());
    const required = ["country_code", "party_id", "id", "start_date_time", "end_date_time", "cdr_token", "auth_method", "cdr_location", "currency", "charging_periods", "total_cost", "total_energy", "total_time", "last_updated"];
    for (const field of required) {
      const copy: Record<string, unknown> = { ...cdr };
      delete copy[field];
      expect(cdrSchema("strict").safeParse(copy).success, field).to.equal(false);
    }
    for (const field of ["cdr_token", "cdr_location"] as const) {
      for (const key of Object.keys(cdr[field])) {
        if (key === "name" || key === "postal_code" || key === "state") continue;
        const inner: Record<string, unknown> = { ...cdr[field] };
        delete inner[key];
        expect(cdrSchema("strict").safeParse({ ...cdr, [field]: inner }).success, `${field}.${key}`).to.equal(false);
      }
    }
    expect(cdrSchema("strict").safeParse({ ...cdr, charging_periods: [] }).success).to.equal(false);
    expect(cdrSchema("strict").safeParse({ ...cdr, id: "x".repeat(40) }).success).to.equal(false);
    expect(cdrSchema("strict").safeParse({ ...cdr, id: "x".repeat(39) }).success).to.equal(true);
    expect(cdrSchema("strict").safeParse({ ...cdr, cdr_location: { ...cdr.cdr_location, address: "a".repeat(46) } }).success).to.equal(false);
    expect(cdrSchema("strict").safeParse({ ...cdr, cdr_location: { ...cdr.cdr_location, coordinates: { latitude: "52.08", longitude: "5.110278" } } }).success).to.equal(false);
    expect(cdrSchema("strict").safeParse({ ...cdr, start_date_time: "2027-01-15T08:01:00+01:00" }).success).to.equal(false);
    expect(cdrSchema("strict").safeParse({ ...cdr, extra: 1 }).success).to.equal(false);
    const input = await exported();
    expect(() => exportOcpiCdr({ ...input, partyId: "TOOLONG" })).to.throw(ChargingError, "does not validate");
  });
});
