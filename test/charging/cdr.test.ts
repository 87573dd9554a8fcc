import { expect } from "chai";
import fc from "fast-check";
import { encodeBytes32String, hexlify, keccak256, randomBytes, toUtf8Bytes, Wallet } from "ethers";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import { verifyMessageSignature } from "../../src/evidence/sign.js";
import { StoreCdrSource } from "../../src/settlement/cdrSource.js";
import { ArtefactStore } from "../../src/charging/artefactStore.js";
import { hostBill, PaymentFlow, payRef, recordPayment, userBill } from "../../src/charging/billing.js";
import { issueCdr, priceEnergy } from "../../src/charging/cdr.js";
import { ChargingError } from "../../src/charging/errors.js";
import { FlowSequences, type FlowParty } from "../../src/charging/flowEvidence.js";
import { recordTransaction } from "../../src/charging/metering.js";
import { OCMF_CURVES } from "../../src/charging/ocmf/curves.js";
import { OcmfMeter } from "../../src/charging/ocmf/meter.js";
import { MeterKeyring } from "../../src/charging/ocmf/verify.js";
import type { SlotPrices } from "../../src/charging/prices.js";

const LEDGER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const domain = evidenceDomain(31337n, LEDGER);
const storeDomain = { chainId: 31337n, verifyingContract: LEDGER };
const T0 = 1_800_000_000n; // seconds, slot 0 of the tariff
const party = (): FlowParty => ({ address: Wallet.createRandom().address, key: Wallet.createRandom() });
const prices: SlotPrices = {
  tariffId: encodeBytes32String("t"),
  start: T0,
  slotSeconds: 900,
  importPrice: [100_000n, 250_000n, 400_000n, 400_000n],
  exportPrice: [0n, 0n, 0n, 0n],
  peak: [false, false, true, true],
};

function session() {
  const secret = OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey();
  const meter = new OcmfMeter({ serial: "M-HOME-1", gateway: "EVSE-1", gatewaySerial: "1" }, secret);
  const keyring = new MeterKeyring();
  keyring.register("M-HOME-1", meter.publicKey());
  const ms = Number(T0) * 1000;
  // 1.5 kWh in slot 0, 2.0 kWh in slot 1, 0.5005 kWh in the first third of slot 2.
  const records = [meter.begin("s", ms, 10_000), meter.progress(ms + 900_000, 11_500), meter.progress(ms + 1_800_000, 13_500), meter.end(ms + 2_100_000, 14_000.5)];
  return { records, keyring };
}

describe("charging: meter readings, CDRs, payments and bills", function () {
  this.timeout(60_000);

  it("should turn a verified OCMF transaction into MeterReadings and a host-signed CDR that the settlement source finds", async () => {
    const { records, keyring } = session();
    const evse = party();
    const host = party();
    const home = party();
    const evseStore = EvidenceStore.open(":memory:", { domain: storeDomain });
    const hostStore = EvidenceStore.open(":memory:", { domain: storeDomain });
    const artefacts = ArtefactStore.open(":memory:");
    const sessionId = hexlify(randomBytes(32));
    const metered = await recordTransaction(evse, new FlowSequences(), domain, evseStore, artefacts, sessionId, host.address, records.map((r) => keyring.verify(r)));
    expect(metered.readings).to.have.length(4);
    metered.readings.forEach((m, i) => {
      expect(m.body.ocmfHash).to.equal(keccak256(toUtf8Bytes(records[i]!)));
      expect(artefacts.get(m.body.ocmfHash)).to.deep.equal({ kind: "ocmf", body: records[i] });
    });
    expect(metered.readings[3]!.body.importWh).to.equal(14_000n);
    expect(evseStore.session(sessionId).messages).to.have.length(4);

    const { cdr, priced } = await issueCdr(host, new FlowSequences(), domain, hostStore, { cdrId: hexlify(randomBytes(32)), homeSupplier: home.address, metered, prices, issuedAt: T0 + 3600n });
    // 1.5 kWh × 0.10 + 2.0 kWh × 0.25 + 0.5005 kWh × 0.40 = 0.8502 units = 850 200 micro-units.
    expect(priced.amount).to.equal(850_200n);
    expect(priced.energyWh).to.equal(4000n);
    expect(priced.energyMilliWh).to.equal(4_000_500n);
    const found = new StoreCdrSource(hostStore).after(0, 10);
    expect(found.messages.map((m) => m.digest)).to.deep.equal([cdr.digest]);
    const m = found.messages[0]!;
    expect(verifyMessageSignature(domain, m)).to.equal(true);
    expect(m.body).to.deep.include({ hostSupplier: host.address, homeSupplier: home.address, energyWh: 4000n, amount: 850_200n, start: T0, end: T0 + 2100n });
    expect(new StoreCdrSource(hostStore).after(found.cursor, 10).messages).to.have.length(0);
    for (const s of [evseStore, hostStore, artefacts]) s.close();
  });

  it("should refuse a transaction with a gap, a changed value or an unknown meter, and store nothing", async () => {
    const { records, keyring } = session();
    const evse = party();
    const store = EvidenceStore.open(":memory:", { domain: storeDomain });
    const artefacts = ArtefactStore.open(":memory:");
    const sid = hexlify(randomBytes(32));
    const gap = [records[0]!, records[1]!, records[3]!];
    const attempt = (rs: string[], ring = keyring) => recordTransaction(evse, new FlowSequences(), domain, store, artefacts, sid, Wallet.createRandom().address, rs.map((r) => ring.verify(r)));
    await attempt(gap).then(() => expect.fail("gap accepted"), (e: unknown) => expect((e as ChargingError).message).to.contain("pagination-gap"));
    const changed = [...records];
    changed[2] = changed[2]!.replace('"RV":13500', '"RV":13600');
    await attempt(changed).then(() => expect.fail("changed value accepted"), (e: unknown) => expect((e as ChargingError).message).to.contain("bad-signature"));
    await attempt(records, new MeterKeyring()).then(() => expect.fail("unknown meter accepted"), (e: unknown) => expect((e as ChargingError).message).to.contain("unknown-key"));
    expect(store.session(sid).messages).to.have.length(0);
    store.close();
    artefacts.close();
  });

  it("should store a transaction's OCMF records in one commit, and none of them when one is refused", () => {
    const artefacts = ArtefactStore.open(":memory:");
    const d = (n: number) => hexlify(new Uint8Array(32).fill(n));
    expect(artefacts.putAll([{ kind: "ocmf", digest: d(1), body: "one" }, { kind: "ocmf", digest: d(2), body: "two" }])).to.deep.equal([true, true]);
    // Another body under a stored digest is refused: the records before it in the same call are not kept.
    expect(() => artefacts.putAll([{ kind: "ocmf", digest: d(3), body: "three" }, { kind: "ocmf", digest: d(1), body: "forged" }])).to.throw(ChargingError, "another artefact");
    expect(artefacts.get(d(3))).to.equal(undefined);
    expect(artefacts.get(d(1))).to.deep.equal({ kind: "ocmf", body: "one" });
    expect(artefacts.putAll([{ kind: "ocmf", digest: d(2), body: "two" }])).to.deep.equal([false]);
    artefacts.close();
  });

  it("should never create value when rounding energy and amounts (property, full slot ranges)", () => {
    const arbPoints = fc
      .array(fc.record({ dt: fc.integer({ min: 1, max: 1_800_000 }), de: fc.bigInt({ min: 0n, max: 50_000_000n }) }), { minLength: 1, maxLength: 12 })
      .map((steps) => {
        const end = Number(T0) * 1000 + 4 * 900_000;
        const pts = [{ at: Number(T0) * 1000, mWh: 123_456n }];
        for (const s of steps) {
          const last = pts[pts.length - 1]!;
          if (last.at + s.dt > end) break;
          pts.push({ at: last.at + s.dt, mWh: last.mWh + s.de });
        }
        return pts;
      })
      .filter((pts) => pts.length >= 2);
    const arbPrices = fc.array(fc.bigInt({ min: 0n, max: 2n ** 40n }), { minLength: 4, maxLength: 4 });
    let runs = 0;
    fc.assert(
      fc.property(arbPoints, arbPrices, fc.nat(), (pts, importPrice, cut) => {
        runs++;
        const p = { ...prices, importPrice };
        const whole = priceEnergy(pts, p);
        // amount = floor(exact): amount ≤ exact < amount + 1 (micro-units).
        expect(whole.amount * whole.exact.den <= whole.exact.num).to.equal(true);
        expect(whole.exact.num < (whole.amount + 1n) * whole.exact.den).to.equal(true);
        expect(whole.energyWh * 1000n <= whole.energyMilliWh && whole.energyMilliWh < (whole.energyWh + 1n) * 1000n).to.equal(true);
        // Splitting a session at a reading never yields more than the whole.
        const k = 1 + (cut % (pts.length - 1));
        if (k < pts.length - 1) {
          const a = priceEnergy(pts.slice(0, k + 1), p);
          const b = priceEnergy(pts.slice(k), p);
          expect(a.amount + b.amount <= whole.amount).to.equal(true);
          expect(a.energyWh + b.energyWh <= whole.energyWh).to.equal(true);
        }
      }),
      { numRuns: 1000 },
    );
    expect(runs).to.equal(1000);
  });

  it("should price an interval across a slot boundary pro rata by time, exactly", () => {
    const ms = Number(T0) * 1000;
    // 3 kWh from 00:10 to 00:25: a third in slot 0 (00:10–00:15, 0.10), two thirds in slot 1 (0.25).
    const priced = priceEnergy([{ at: ms + 600_000, mWh: 0n }, { at: ms + 1_500_000, mWh: 3_000_000n }], prices);
    expect(priced.amount).to.equal(100_000n + 500_000n);
    expect(() => priceEnergy([{ at: ms - 1, mWh: 0n }, { at: ms + 1, mWh: 1n }], prices)).to.throw(ChargingError, "outside the tariff");
    expect(() => priceEnergy([{ at: ms, mWh: 5n }, { at: ms + 1, mWh: 1n }], prices)).to.throw(ChargingError, "go back");
  });

  it("should exclude a visitor's roaming energy from the host's bill to the Wh", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { maxLength: 5 }), fc.bigInt({ min: 0n, max: 10n ** 7n }), (own, visits, price) => {
        const start = 5_000_000n;
        const total = own + visits.reduce((s, v) => s + v, 0n);
        const bill = hostBill({ meterStartMilliWh: start, meterEndMilliWh: start + total, roamingMilliWh: visits, priceMicroPerKwh: price });
        expect(bill.energyMilliWh).to.equal(own);
        expect(bill.energyWh).to.equal(own / 1000n);
        expect(bill.amount).to.equal((own * price) / 1_000_000n);
      }),
      { numRuns: 500 },
    );
    // 30.000 kWh at home, of which a visitor charged 7.250 5 kWh: the host pays for 22.749 kWh (22 749.5 Wh rounded down).
    const bill = hostBill({ meterStartMilliWh: 0n, meterEndMilliWh: 30_000_000n, roamingMilliWh: [7_250_500n], priceMicroPerKwh: 300_000n });
    expect(bill.energyWh).to.equal(22_749n);
    expect(bill.amount).to.equal(6_824_850n);
    expect(() => hostBill({ meterStartMilliWh: 0n, meterEndMilliWh: 1000n, roamingMilliWh: [1001n], priceMicroPerKwh: 1n })).to.throw(ChargingError, "exceeds");
  });

  it("should record the three payment flows and net them on the user's bill per supplier", async () => {
    const supplier = party();
    const aggregator = party();
    const store = EvidenceStore.open(":memory:", { domain: storeDomain });
    const token = Wallet.createRandom().address;
    const sid = hexlify(randomBytes(32));
    const pseudonym = Wallet.createRandom().address;
    const sequences = new FlowSequences();
    const base = { token, sessionId: sid, issuedAt: T0, ref: hexlify(randomBytes(32)), receiver: pseudonym };
    const energy = await recordPayment(supplier, sequences, domain, store, { ...base, flow: PaymentFlow.UserToSupplier, payer: "user-alice", payee: supplier.address, amount: 850_200n });
    const discharge = await recordPayment(supplier, sequences, domain, store, { ...base, flow: PaymentFlow.SupplierToUser, payer: supplier.address, payee: "user-alice", amount: 120_000n });
    const ancillary = await recordPayment(aggregator, sequences, domain, store, { ...base, flow: PaymentFlow.AggregatorToUser, payer: aggregator.address, payee: pseudonym, amount: 40_000n });
    const otherUser = await recordPayment(supplier, sequences, domain, store, { ...base, flow: PaymentFlow.UserToSupplier, payer: "user-bob", payee: supplier.address, amount: 999n });
    const bill = userBill("user-alice", supplier.address, [pseudonym], [energy, discharge, ancillary, otherUser]);
    expect(bill).to.deep.include({ energy: 850_200n, dischargeCredit: 120_000n, ancillaryCredit: 40_000n, net: 690_200n });
    expect(bill.payments).to.deep.equal([energy.digest, discharge.digest, ancillary.digest]);
    expect(ancillary.body.payee).to.equal(payRef(pseudonym));
    await recordPayment(supplier, sequences, domain, store, { ...base, flow: PaymentFlow.UserToSupplier, payer: "u", payee: supplier.address, amount: 0n }).then(
      () => expect.fail("zero payment accepted"),
      (e: unknown) => expect(e).to.be.instanceOf(ChargingError),
    );
    expect(store.messagesOfType("Payment", 0, 10).messages).to.have.length(4);
    store.close();
  });
});
