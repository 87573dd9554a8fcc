/**
 * Payments and bills, attacker first: an incentive presented twice or re-signed for what is
 * already paid, an incentive to a pseudonym the supplier never certified, one paid to another
 * party than the one that receipts it or signed in another payer's name, a payment replayed to a
 * user, a store holding a payment twice or one of no customer: each refused with its exact code
 * and reason, and nothing stored. Bills from stored payments add up to the payments per flow
 * (property), and the rounding of an amount at a rate never creates value. The host user's home
 * bill (smart-meter total minus the roaming CDRs of its charger) refuses a roaming session
 * excluded twice, a CDR of another host or outside the metered period, a roaming energy above the
 * meter's total, and readings of several meters or going back.
 */
import { expect } from "chai";
import fc from "fast-check";
import { hexlify, randomBytes, Wallet } from "ethers";
import { amountAt, creditIncentive, homeBill, hostBill, PaymentBook, PaymentFlow, payRef, receivePayment, signPayment, supplierBills, userBill, type PaymentFlowCode } from "../../src/charging/billing.js";
import { ArtefactStore } from "../../src/charging/artefactStore.js";
import { ChargingError } from "../../src/charging/errors.js";
import { flowHeader, FlowSequences, keepWithReceipt, ownKey, registeredKey, signFlowMessage, type FlowParty, type KeyCheck } from "../../src/charging/flowEvidence.js";
import { recordTransaction } from "../../src/charging/metering.js";
import { OcmfMeter } from "../../src/charging/ocmf/meter.js";
import { verifyOcmf } from "../../src/charging/ocmf/verify.js";
import { MemoryKeyDirectory } from "../../src/charging/keyDirectory.js";
import { PseudonymIssuer } from "../../src/charging/pseudonyms.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";

const LEDGER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const domain = evidenceDomain(31337n, LEDGER);
const chargingDomain = { name: "V2G charging", version: "1", chainId: 31337n, verifyingContract: LEDGER };
const T0 = 1_800_000_000n;
const YEAR = 365n * 86_400n;
const TOKEN = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const party = (): FlowParty => {
  const key = Wallet.createRandom();
  return { address: Wallet.createRandom().address, key };
};
const pseudonymKey = (): FlowParty => {
  const key = Wallet.createRandom();
  return { address: key.address, key };
};
const memoryStore = () => EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });

/** Expects `run` to fail with a `ChargingError` of `code` whose message contains `words` (and, if given, whose reason is `reason`). */
async function refused(run: () => Promise<unknown>, code: string, words: string, reason?: string): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  expect(error, words).to.be.instanceOf(ChargingError);
  expect((error as ChargingError).code, words).to.equal(code);
  expect((error as ChargingError).message).to.contain(words);
  if (reason !== undefined) expect(((error as ChargingError).details as { reason?: string }).reason).to.equal(reason);
}

async function world() {
  const supplier = party();
  const other = party();
  const aggregator = party();
  const directory = new MemoryKeyDirectory();
  for (const p of [supplier, other]) directory.addKey(p.address, await p.key.getAddress(), T0 - YEAR, T0 + YEAR).grant("SUPPLIER", p.address);
  directory.addKey(aggregator.address, await aggregator.key.getAddress(), T0 - YEAR, T0 + YEAR).grant("AGGREGATOR", aggregator.address);
  const isAggregatorKey: KeyCheck = async (p, signer, at) => (await directory.isKeyValid(p, signer, at)) && (await directory.hasRole("AGGREGATOR", p));
  const issuer = new PseudonymIssuer(supplier.address, supplier.key, chargingDomain);
  const otherIssuer = new PseudonymIssuer(other.address, other.key, chargingDomain);
  const user = Wallet.createRandom().address;
  const pseudonym = pseudonymKey();
  await issuer.certify(user, pseudonym.address, T0 - 60n, T0 + 86_400n);
  const stores = { supplier: memoryStore(), other: memoryStore(), aggregator: memoryStore(), user: memoryStore() };
  const sequences = new FlowSequences();
  const sessionId = hexlify(randomBytes(32));
  const ref = hexlify(randomBytes(32));
  /** The aggregator's incentive to `to` (receipted by `receiver`, by default the same pseudonym), kept with the receipt. */
  const incentive = async (to: FlowParty = pseudonym, amount = 912_300n, receiver: FlowParty = to, payer: string = aggregator.address) => {
    const payment = await signPayment(aggregator, sequences, domain, { flow: PaymentFlow.AggregatorToUser, payer, payee: to.address, token: TOKEN, amount, ref, sessionId, issuedAt: T0, receiver: receiver.address });
    const receipt = await receivePayment(receiver, domain, stores.user, new PaymentBook(), payment, aggregator.address, registeredKey(directory), T0 + 5n);
    await keepWithReceipt(domain, stores.aggregator, payment, receipt, ownKey);
    return { payment, receipt };
  };
  const credit = (p: { payment: SignedMessage; receipt: Parameters<typeof creditIncentive>[4] }, book: PaymentBook, store = stores.supplier, which = issuer) =>
    creditIncentive(domain, store, book, p.payment, p.receipt, (x) => which.userOf(x), isAggregatorKey);
  const close = () => Object.values(stores).forEach((s) => s.close());
  return { supplier, other, aggregator, directory, isAggregatorKey, issuer, otherIssuer, user, pseudonym, stores, sequences, sessionId, incentive, credit, close };
}

describe("charging: payments and bills", function () {
  this.timeout(60_000);

  it("should credit an incentive paid to a pseudonym it certified to that pseudonym's user, once", async () => {
    const w = await world();
    const book = PaymentBook.of(w.stores.supplier);
    const paid = await w.incentive();
    expect(await w.credit(paid, book)).to.equal(w.user);
    expect(w.stores.supplier.session(w.sessionId).messages.map((m) => m.digest)).to.deep.equal([paid.payment.digest]);
    expect(w.stores.supplier.session(w.sessionId).receipts.map((r) => r.receiver)).to.deep.equal([w.pseudonym.address]);
    // The aggregator named the pseudonym only: its payment carries no trace of the user.
    expect(paid.payment.body.payee).to.equal(payRef(w.pseudonym.address));
    expect(JSON.stringify(paid.payment, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)).toLowerCase()).not.to.contain(w.user.slice(2).toLowerCase());
    w.close();
  });

  it("should refuse an incentive presented again (replayed), in a fresh book of the same store too", async () => {
    const w = await world();
    const paid = await w.incentive();
    await w.credit(paid, PaymentBook.of(w.stores.supplier));
    await refused(() => w.credit(paid, PaymentBook.of(w.stores.supplier)), "REFUSED", "payment replayed", "replayed");
    expect(PaymentBook.paymentsIn(w.stores.supplier)).to.have.length(1);
    w.close();
  });

  it("should refuse a second incentive signed afresh for what is already paid", async () => {
    const w = await world();
    const book = PaymentBook.of(w.stores.supplier);
    await w.credit(await w.incentive(), book);
    const again = await w.incentive(); // same flow, payer, payee and ref; another nonce, another digest
    await refused(() => w.credit(again, book), "REFUSED", "already paid", "already paid");
    expect(PaymentBook.paymentsIn(w.stores.supplier)).to.have.length(1);
    w.close();
  });

  it("should refuse an incentive to a pseudonym it never certified, and store nothing", async () => {
    const w = await world();
    const stranger = pseudonymKey(); // certified by nobody
    await refused(async () => w.credit(await w.incentive(stranger), PaymentBook.of(w.stores.supplier)), "REFUSED", "unknown pseudonym", "unknown pseudonym");
    // A pseudonym another supplier certified is unknown here too: only its own supplier can link it.
    await refused(async () => w.credit(await w.incentive(), new PaymentBook(), w.stores.other, w.otherIssuer), "REFUSED", "unknown pseudonym", "unknown pseudonym");
    expect(w.stores.supplier.counts()).to.deep.equal({ messages: 0, receipts: 0 });
    expect(w.stores.other.counts()).to.deep.equal({ messages: 0, receipts: 0 });
    w.close();
  });

  it("should refuse an incentive paid to one party and receipted by another, or in another payer's name", async () => {
    const w = await world();
    const stranger = pseudonymKey();
    // Paid to a stranger, receipted by the certified pseudonym: the supplier would credit the wrong party.
    await refused(async () => w.credit(await w.incentive(stranger, 5n, w.pseudonym), new PaymentBook()), "BAD_INPUT", "another party than the one that receipts it");
    // The aggregator's key, but the payer field names another aggregator.
    await refused(async () => w.credit(await w.incentive(w.pseudonym, 5n, w.pseudonym, w.other.address), new PaymentBook()), "BAD_SIGNATURE", "not signed by its payer's registered key");
    // A supplier's registered key is not an aggregator's.
    const bySupplier = await signPayment(w.supplier, w.sequences, domain, { flow: PaymentFlow.AggregatorToUser, payer: w.supplier.address, payee: w.pseudonym.address, token: TOKEN, amount: 5n, ref: hexlify(randomBytes(32)), sessionId: w.sessionId, issuedAt: T0, receiver: w.pseudonym.address });
    const receipt = await receivePayment(w.pseudonym, domain, memoryStore(), new PaymentBook(), bySupplier, w.supplier.address, registeredKey(w.directory), T0);
    await refused(() => w.credit({ payment: bySupplier, receipt }, new PaymentBook()), "BAD_SIGNATURE", "not signed by its payer's registered key");
    expect(w.stores.supplier.counts()).to.deep.equal({ messages: 0, receipts: 0 });
    w.close();
  });

  it("should let a user refuse a payment replayed to it, or one addressed to another pseudonym", async () => {
    const w = await world();
    const book = PaymentBook.of(w.stores.user);
    const debit = await signPayment(w.supplier, w.sequences, domain, { flow: PaymentFlow.UserToSupplier, payer: w.user, payee: w.supplier.address, token: TOKEN, amount: 4_812_300n, ref: hexlify(randomBytes(32)), sessionId: w.sessionId, issuedAt: T0, receiver: w.pseudonym.address });
    const receive = (p: SignedMessage, self = w.pseudonym) => receivePayment(self, domain, w.stores.user, book, p, w.supplier.address, registeredKey(w.directory), T0 + 1n);
    await receive(debit);
    await refused(() => receive(debit), "REFUSED", "payment replayed", "replayed");
    await refused(() => receive(debit, pseudonymKey()), "REFUSED", "addressed to another party");
    expect(w.stores.user.counts()).to.deep.equal({ messages: 1, receipts: 1 });
    w.close();
  });

  it("should refuse bills from a store list holding a payment twice or a payment of no customer", async () => {
    const w = await world();
    const paid = await w.incentive();
    const energy = await signPayment(w.supplier, w.sequences, domain, { flow: PaymentFlow.UserToSupplier, payer: w.user, payee: w.supplier.address, token: TOKEN, amount: 1_000n, ref: hexlify(randomBytes(32)), sessionId: w.sessionId, issuedAt: T0, receiver: w.pseudonym.address });
    const userOf = (x: string) => w.issuer.userOf(x);
    // The old way double-counts a duplicate: the bills must not.
    expect(userBill(w.user, w.supplier.address, [w.pseudonym.address], [energy, energy]).energy).to.equal(2_000n);
    await refused(async () => supplierBills(w.supplier.address, [w.user], [energy, energy], userOf), "REFUSED", "payment replayed", "replayed");
    const stranger = await w.incentive(pseudonymKey());
    await refused(async () => supplierBills(w.supplier.address, [w.user], [energy, stranger.payment as SignedMessage<"Payment">], userOf), "REFUSED", "no customer of this supplier");
    const someoneElse = await signPayment(w.supplier, w.sequences, domain, { flow: PaymentFlow.UserToSupplier, payer: Wallet.createRandom().address, payee: w.supplier.address, token: TOKEN, amount: 7n, ref: hexlify(randomBytes(32)), sessionId: w.sessionId, issuedAt: T0, receiver: w.pseudonym.address });
    await refused(async () => supplierBills(w.supplier.address, [w.user], [someoneElse], userOf), "REFUSED", "no customer of this supplier");
    const { bills, totals } = supplierBills(w.supplier.address, [w.user], [energy, paid.payment as SignedMessage<"Payment">], userOf);
    expect(bills[0]).to.deep.include({ energy: 1_000n, dischargeCredit: 0n, ancillaryCredit: 912_300n, net: 1_000n - 912_300n });
    expect(totals).to.deep.equal({ energy: 1_000n, dischargeCredit: 0n, ancillaryCredit: 912_300n });
    w.close();
  });

  it("should make the bills add up to the stored payments per flow, each payment on one bill (property)", async () => {
    const supplier = party();
    const aggregator = party();
    const issuer = new PseudonymIssuer(supplier.address, supplier.key, chargingDomain);
    const users = Array.from({ length: 4 }, () => Wallet.createRandom().address);
    const pseudonyms = Array.from({ length: 8 }, () => Wallet.createRandom().address);
    for (const [i, p] of pseudonyms.entries()) await issuer.certify(users[i % users.length]!, p, T0, T0 + 86_400n);
    const sequences = new FlowSequences();
    const sessionId = hexlify(randomBytes(32));
    // A pool of signed payments; each run bills a random subset of them.
    const pool: SignedMessage<"Payment">[] = [];
    for (let k = 0; k < 24; k++) {
      const flow = (k % 3) as PaymentFlowCode;
      const user = users[k % users.length]!;
      const pseudonym = pseudonyms[k % pseudonyms.length]!;
      const amount = BigInt(1 + ((k * 7_919) % 5_000_000));
      const base = { token: TOKEN, amount, ref: hexlify(randomBytes(32)), sessionId, issuedAt: T0, receiver: pseudonym };
      if (flow === PaymentFlow.UserToSupplier) pool.push(await signPayment(supplier, sequences, domain, { ...base, flow, payer: user, payee: supplier.address }));
      else if (flow === PaymentFlow.SupplierToUser) pool.push(await signPayment(supplier, sequences, domain, { ...base, flow, payer: supplier.address, payee: user }));
      else pool.push(await signPayment(aggregator, sequences, domain, { ...base, flow, payer: aggregator.address, payee: pseudonym }));
    }
    fc.assert(
      fc.property(fc.subarray(pool), (payments) => {
        const { bills, totals } = supplierBills(supplier.address, users, payments, (p) => issuer.userOf(p));
        const byFlow = (f: number) => payments.filter((p) => p.body.flow === f).reduce((a, p) => a + p.body.amount, 0n);
        expect(totals).to.deep.equal({ energy: byFlow(0), dischargeCredit: byFlow(1), ancillaryCredit: byFlow(2) });
        expect(bills.reduce((a, b) => a + b.energy, 0n)).to.equal(byFlow(0));
        expect(bills.reduce((a, b) => a + b.dischargeCredit, 0n)).to.equal(byFlow(1));
        expect(bills.reduce((a, b) => a + b.ancillaryCredit, 0n)).to.equal(byFlow(2));
        for (const b of bills) expect(b.net).to.equal(b.energy - b.dischargeCredit - b.ancillaryCredit);
        expect(bills.flatMap((b) => b.payments).sort()).to.deep.equal(payments.map((p) => p.digest).sort());
      }),
      { numRuns: 300 },
    );
  });

  it("should round an amount at a rate down once, never creating value when energy is split", () => {
    expect(amountAt(11_000_000n, 300_000n)).to.equal(3_300_000n); // 11 kWh × 0.30
    expect(amountAt(1n, 300_000n)).to.equal(0n); // 1 mWh earns 0.3 micro-units: nothing
    expect(amountAt(3_333n, 300_000n)).to.equal(999n);
    expect(() => amountAt(-1n, 1n)).to.throw(ChargingError, "≥ 0");
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 8n }), (a, b, rate) => {
        const whole = amountAt(a + b, rate);
        expect(amountAt(a, rate) + amountAt(b, rate) <= whole).to.equal(true);
        expect(whole * 1_000_000n <= (a + b) * rate && (a + b) * rate < (whole + 1n) * 1_000_000n).to.equal(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("charging: the host user's home bill", function () {
  const PRICE = 265_000n;
  const host = party();
  const guestSupplier = party();
  const owner = Wallet.createRandom().address;
  const sequences = new FlowSequences();
  const HOUR = 3_600n;

  /** The host supplier's readings of a home smart meter over `values` (Wh: begin, hourly, end), as `recordTransaction` signs them. */
  async function homeReadings(values: number[], sessionId = hexlify(randomBytes(32))): Promise<SignedMessage<"MeterReading">[]> {
    const meter = new OcmfMeter({ serial: "SM-TEST", gateway: "HOME-TEST", gatewaySerial: "TEST" }, randomBytes(32));
    const at = (i: number) => Number((T0 + BigInt(i) * HOUR) * 1000n);
    const records = values.map((wh, i) => (i === 0 ? meter.begin(sessionId, at(i), wh) : i === values.length - 1 ? meter.end(at(i), wh) : meter.progress(at(i), wh)));
    const store = memoryStore();
    const artefacts = ArtefactStore.open(":memory:");
    try {
      const metered = await recordTransaction(host, sequences, domain, store, artefacts, sessionId, owner, records.map((r) => verifyOcmf(r, meter.publicKey())), 2n * 86_400n);
      return metered.readings;
    } finally {
      artefacts.close();
      store.close();
    }
  }

  /** A roaming CDR of `energyWh` signed by `by` (the host by default) for a session at the home charger. */
  const roamingCdr = (energyWh: bigint, o: { by?: FlowParty; start?: bigint; end?: bigint; sessionId?: string } = {}): Promise<SignedMessage<"ChargeDetailRecord">> => {
    const by = o.by ?? host;
    const start = o.start ?? T0 + HOUR;
    const end = o.end ?? T0 + 2n * HOUR;
    return signFlowMessage(by, domain, "ChargeDetailRecord", flowHeader(o.sessionId ?? hexlify(randomBytes(32)), 1n, end, end + 86_400n, guestSupplier.address), {
      cdrId: hexlify(randomBytes(32)), hostSupplier: by.address, homeSupplier: guestSupplier.address, start, end, energyWh, amount: energyWh * 300n, readingsRoot: hexlify(randomBytes(32)),
    });
  };
  const bill = (readings: readonly SignedMessage<"MeterReading">[], roaming: readonly SignedMessage<"ChargeDetailRecord">[]) => homeBill({ readings, roaming, hostSupplier: host.address, priceMicroPerKwh: PRICE });

  it("should bill the smart-meter total minus the roaming energy, to the Wh, from the signed readings and CDRs in any order", async () => {
    const readings = await homeReadings([1_000_000, 1_004_000, 1_012_500, 1_020_000]);
    const cdr = await roamingCdr(7_250n);
    const b = bill([...readings].reverse(), [cdr]);
    expect(b).to.deep.include({ meterStartWh: 1_000_000n, meterEndWh: 1_020_000n, roamingWh: 7_250n, energyWh: 12_750n, energyMilliWh: 12_750_000n, amount: (12_750n * PRICE) / 1_000n, from: T0, to: T0 + 3n * HOUR });
    expect(b.cdrs).to.deep.equal([cdr.digest]);
    expect(bill(readings, []).energyWh).to.equal(20_000n);
  });

  it("should refuse a roaming session excluded twice, a CDR of another host and one outside the metered period", async () => {
    const readings = await homeReadings([1_000_000, 1_010_000, 1_020_000]);
    const cdr = await roamingCdr(7_250n);
    // Against the sum alone, each of these lowers the host's bill by energy it drew.
    expect(hostBill({ meterStartMilliWh: 1_000_000_000n, meterEndMilliWh: 1_020_000_000n, roamingMilliWh: [7_250_000n, 7_250_000n], priceMicroPerKwh: PRICE }).energyWh).to.equal(5_500n);
    await refused(async () => bill(readings, [cdr, cdr]), "REFUSED", "excluded twice", "roaming excluded twice");
    const again = await roamingCdr(7_250n, { sessionId: cdr.header.sessionId });
    await refused(async () => bill(readings, [cdr, again]), "REFUSED", "excluded twice", "roaming excluded twice");
    await refused(async () => bill(readings, [await roamingCdr(1_000n, { by: party() })]), "REFUSED", "another host", "roaming at another host");
    await refused(async () => bill(readings, [await roamingCdr(1_000n, { start: T0 - 60n })]), "REFUSED", "outside the smart meter's period", "roaming outside the metered period");
    await refused(async () => bill(readings, [await roamingCdr(1_000n, { end: T0 + 2n * HOUR + 1n })]), "REFUSED", "outside the smart meter's period", "roaming outside the metered period");
    expect(bill(readings, [cdr]).energyWh).to.equal(12_750n);
  });

  it("should refuse a roaming energy larger than the smart meter's total with a typed error", async () => {
    const readings = await homeReadings([1_000_000, 1_010_000, 1_020_000]);
    await refused(async () => bill(readings, [await roamingCdr(20_001n)]), "BAD_INPUT", "exceeds what the smart meter measured", "roaming exceeds meter");
    await refused(async () => bill(readings, [await roamingCdr(12_000n), await roamingCdr(8_001n)]), "BAD_INPUT", "exceeds what the smart meter measured", "roaming exceeds meter");
    expect(bill(readings, [await roamingCdr(20_000n)])).to.deep.include({ energyWh: 0n, amount: 0n });
  });

  it("should refuse readings of several meters, readings that go back, and a single reading", async () => {
    const readings = await homeReadings([1_000_000, 1_010_000, 1_020_000]);
    const others = await homeReadings([5_000_000, 5_000_100]);
    await refused(async () => bill([...readings, others[1]!], []), "BAD_INPUT", "more than one meter", "several meters");
    const last = readings[readings.length - 1]!;
    const back = await signFlowMessage(host, domain, "MeterReading", flowHeader(last.header.sessionId, last.header.seq + 1n, last.body.readAt + 60n, last.body.readAt + 86_400n, owner), { ...last.body, importWh: last.body.importWh - 1n });
    await refused(async () => bill([...readings, back], []), "BAD_INPUT", "repeat or go back", "meter went back");
    await refused(async () => bill([readings[0]!], []), "BAD_INPUT", "first and last readings");
  });
});
