/**
 * Payments and bills. The paper's three flows, each a signed `Payment` message: user → supplier
 * for energy, supplier → user for discharged energy, aggregator → user (its pseudonym) for
 * ancillary services. The receiver of a payment checks it and refuses one it already holds (the
 * same message again, or another message for the same thing: `PaymentBook`); a supplier credits
 * an aggregator's incentive only to a pseudonym it certified itself (`creditIncentive`), the one
 * party that can link it to a user. A user's bill per supplier nets the flows, from the stored
 * payments alone. At a host's home the bill excludes a visitor's energy exactly: smart-meter
 * total minus the charger's roaming energy, in mWh, rounded down to the Wh once (`hostBill`),
 * from the stored readings and CDRs, each visit excluded once (`homeBill`).
 */
import { keccak256, toUtf8Bytes, type TypedDataDomain } from "ethers";
import type { SignedMessage, SignedReceipt } from "../evidence/messages.js";
import type { EvidenceStore } from "../evidence/store.js";
import { ChargingError } from "./errors.js";
import { checkIncoming, flowHeader, keepWithReceipt, ownKey, receiptAndStore, signFlowMessage, verifyFlowMessage, type FlowParty, type FlowSequences, type KeyCheck } from "./flowEvidence.js";

export const PaymentFlow = { UserToSupplier: 0, SupplierToUser: 1, AggregatorToUser: 2 } as const;
export type PaymentFlowCode = (typeof PaymentFlow)[keyof typeof PaymentFlow];

/** The bytes32 a payment names a party by (an account, a user id or a pseudonym). */
export const payRef = (id: string): string => keccak256(toUtf8Bytes(id.toLowerCase()));

/** How long a payment record stays valid for its receiver, from its issue time (seconds). */
export const PAYMENT_VALIDITY = 30n * 86_400n;

export interface PaymentInput {
  flow: PaymentFlowCode;
  payer: string;
  payee: string;
  token: string;
  amount: bigint;
  /** What is paid for (a CDR digest, a bill id, an ancillary event id). */
  ref: string;
  sessionId: string;
  issuedAt: bigint;
  /** The account that receipts the record (the counterparty's account or the session's pseudonym). */
  receiver: string;
}

/** Signs a payment record by `origin` (the supplier for flows 0 and 1, the aggregator for flow 2; numbered in `sequences`). */
export function signPayment(origin: FlowParty, sequences: FlowSequences, domain: TypedDataDomain, p: PaymentInput): Promise<SignedMessage<"Payment">> {
  if (p.amount <= 0n) throw new ChargingError("BAD_INPUT", "a payment must be positive", { amount: p.amount });
  const body = { flow: p.flow, payer: payRef(p.payer), payee: payRef(p.payee), token: p.token, amount: p.amount, ref: p.ref };
  const header = flowHeader(p.sessionId, sequences.take(origin.address, p.sessionId), p.issuedAt, p.issuedAt + PAYMENT_VALIDITY, p.receiver);
  return signFlowMessage(origin, domain, "Payment", header, body);
}

/** Signs a payment record (`signPayment`) into `store`. */
export async function recordPayment(origin: FlowParty, sequences: FlowSequences, domain: TypedDataDomain, store: EvidenceStore, p: PaymentInput): Promise<SignedMessage<"Payment">> {
  const signed = await signPayment(origin, sequences, domain, p);
  store.putMessage(signed);
  return signed;
}

/** What a payment pays for: its flow, payer, payee and reference. Two payments for one thing are one too many. */
export const paidFor = (b: SignedMessage<"Payment">["body"]): string => `${b.flow}/${b.payer}/${b.payee}/${b.ref}`.toLowerCase();

/**
 * The payments a party holds (its store's, then every one it accepts): refuses the same message
 * twice (`replayed`) and a second message for what is already paid (`already paid`), both
 * `ChargingError("REFUSED")` with `details.reason`.
 */
export class PaymentBook {
  private readonly digests = new Set<string>();
  private readonly things = new Map<string, string>();

  /** Every payment in `store`, in the order it was stored. */
  static paymentsIn(store: EvidenceStore): SignedMessage<"Payment">[] {
    const all: SignedMessage<"Payment">[] = [];
    for (let cursor = 0; ; ) {
      const page = store.messagesOfType("Payment", cursor, 500);
      if (page.messages.length === 0) return all;
      all.push(...page.messages);
      cursor = page.cursor;
    }
  }

  /** A book of the payments in `store`. */
  static of(store: EvidenceStore): PaymentBook {
    const book = new PaymentBook();
    for (const m of PaymentBook.paymentsIn(store)) book.add(m);
    return book;
  }

  /** Throws if `payment` is one the book holds, or pays for something it holds a payment for. */
  check(payment: SignedMessage<"Payment">): void {
    const digest = payment.digest.toLowerCase();
    if (this.digests.has(digest)) throw new ChargingError("REFUSED", "payment replayed: this payment is already held", { reason: "replayed", digest });
    const earlier = this.things.get(paidFor(payment.body));
    if (earlier !== undefined) throw new ChargingError("REFUSED", "payment for something already paid", { reason: "already paid", digest, earlier });
  }

  add(payment: SignedMessage<"Payment">): void {
    this.check(payment);
    this.digests.add(payment.digest.toLowerCase());
    this.things.set(paidFor(payment.body), payment.digest.toLowerCase());
  }
}

/**
 * The receiver of a payment (`self`: the account its header names, e.g. the session's pseudonym)
 * at `now`: checks it (`checkIncoming`: signature, origin `from` with a key `isOriginKey` admits,
 * addressed to `self`, in its window), refuses one `book` holds, then signs its receipt and stores
 * both. Returns the receipt for the origin.
 */
export async function receivePayment(self: FlowParty, domain: TypedDataDomain, store: EvidenceStore, book: PaymentBook, message: SignedMessage, from: string, isOriginKey: KeyCheck, now: bigint): Promise<SignedReceipt> {
  const payment = await checkIncoming(self.address, domain, message, "Payment", from, isOriginKey, now);
  book.check(payment);
  const receipt = await receiptAndStore(self, domain, store, payment, now);
  book.add(payment);
  return receipt;
}

/**
 * A supplier credits an aggregator's incentive (flow 2) that the aggregator hands it with the
 * pseudonym's receipt: signed by the aggregator's key (`isAggregatorKey`) in its own name, paid to
 * the pseudonym its header names, receipted by that pseudonym, a pseudonym this supplier certified
 * (`userOf` answers its user, else `REFUSED` "unknown pseudonym"), and not held before (`book`).
 * Stores the payment and its receipt; returns the user it is credited to.
 */
export async function creditIncentive(domain: TypedDataDomain, store: EvidenceStore, book: PaymentBook, message: SignedMessage, receipt: SignedReceipt, userOf: (pseudonym: string) => string | undefined, isAggregatorKey: KeyCheck): Promise<string> {
  if (message.type !== "Payment") throw new ChargingError("BAD_INPUT", "not a Payment message", { type: message.type });
  const payment = message as SignedMessage<"Payment">;
  if (!verifyFlowMessage(domain, payment)) throw new ChargingError("BAD_SIGNATURE", "Payment signature does not verify (changed after signing?)");
  const { body, header } = payment;
  if (body.flow !== PaymentFlow.AggregatorToUser) throw new ChargingError("BAD_INPUT", "not an ancillary-service payment", { flow: body.flow });
  if (body.payer !== payRef(payment.party) || !(await isAggregatorKey(payment.party, payment.signer, header.issuedAt))) {
    throw new ChargingError("BAD_SIGNATURE", "incentive not signed by its payer's registered key", { party: payment.party, signer: payment.signer });
  }
  const pseudonym = header.receiver;
  if (pseudonym === undefined || body.payee !== payRef(pseudonym)) throw new ChargingError("BAD_INPUT", "incentive paid to another party than the one that receipts it", { receiver: pseudonym });
  const user = userOf(pseudonym);
  if (user === undefined) throw new ChargingError("REFUSED", "incentive paid to an unknown pseudonym: not certified by this supplier", { reason: "unknown pseudonym", pseudonym });
  book.check(payment);
  await keepWithReceipt(domain, store, payment, receipt, ownKey);
  book.add(payment);
  return user;
}

/** floor(energy mWh × rate micro-units per kWh / 10⁶): what an amount of energy earns at a rate, never more. */
export function amountAt(milliWh: bigint, microPerKwh: bigint): bigint {
  if (milliWh < 0n || microPerKwh < 0n) throw new ChargingError("BAD_INPUT", "energy and rate must be ≥ 0", { milliWh, microPerKwh });
  return (milliWh * microPerKwh) / 1_000_000n;
}

export interface HomeEnergy {
  /** Smart-meter register at the start and end of the billing period, mWh. */
  meterStartMilliWh: bigint;
  meterEndMilliWh: bigint;
  /** Exact energy of every roaming (visitor) session at the home charger, mWh. */
  roamingMilliWh: readonly bigint[];
  /** The host user's price, micro-units per kWh. */
  priceMicroPerKwh: bigint;
}

export interface HostBill {
  /** The host user's own energy, rounded down to the Wh. */
  energyWh: bigint;
  energyMilliWh: bigint;
  /** floor(energy mWh × price / 10⁶) micro-units. */
  amount: bigint;
}

export function hostBill(h: HomeEnergy): HostBill {
  const total = h.meterEndMilliWh - h.meterStartMilliWh;
  if (total < 0n) throw new ChargingError("BAD_INPUT", "the smart meter went back", { total });
  const roaming = h.roamingMilliWh.reduce((s, e) => {
    if (e < 0n) throw new ChargingError("BAD_INPUT", "roaming energy must be ≥ 0", { e });
    return s + e;
  }, 0n);
  if (roaming > total) throw new ChargingError("BAD_INPUT", "roaming energy exceeds what the smart meter measured", { reason: "roaming exceeds meter", roaming, total });
  if (h.priceMicroPerKwh < 0n) throw new ChargingError("BAD_INPUT", "price must be ≥ 0");
  const own = total - roaming;
  return { energyWh: own / 1000n, energyMilliWh: own, amount: amountAt(own, h.priceMicroPerKwh) };
}

export interface HomeBillInput {
  /** The home smart meter's `MeterReading`s of the billing period, as stored (any order). */
  readings: readonly SignedMessage<"MeterReading">[];
  /** The roaming CDRs of the home charger in the period, as stored: each signed by `hostSupplier`. */
  roaming: readonly SignedMessage<"ChargeDetailRecord">[];
  /** The host user's supplier (the host of the roaming sessions at its home charger). */
  hostSupplier: string;
  priceMicroPerKwh: bigint;
}

export interface HomeBill extends HostBill {
  /** The smart meter's register at the first and last reading (Wh), and their times (seconds). */
  meterStartWh: bigint;
  meterEndWh: bigint;
  from: bigint;
  to: bigint;
  /** The visitors' energy excluded (Wh), and the CDRs it is excluded by, in the order given. */
  roamingWh: bigint;
  cdrs: string[];
}

const refuse = (reason: string, message: string, details: Record<string, unknown>): never => {
  throw new ChargingError("REFUSED", message, { reason, ...details });
};

/**
 * The host user's home bill from stored evidence (`hostBill` on it): the smart meter's readings,
 * one meter in one transaction, whose register and time never go back (else `BAD_INPUT`), minus
 * the energy of the roaming CDRs of its home charger. A CDR is excluded only once per roaming
 * session (`REFUSED` "roaming excluded twice"), only if its host is the home's supplier
 * ("roaming at another host") and only inside the metered period ("roaming outside the metered
 * period"): each would otherwise lower the host's bill by energy it did draw.
 */
export function homeBill(h: HomeBillInput): HomeBill {
  if (h.readings.length < 2) throw new ChargingError("BAD_INPUT", "a home bill needs the smart meter's first and last readings", { readings: h.readings.length });
  const readings = [...h.readings].sort((a, b) => (a.header.seq < b.header.seq ? -1 : a.header.seq > b.header.seq ? 1 : 0));
  const first = readings[0]!;
  readings.forEach((r, i) => {
    if (r.body.meterId !== first.body.meterId || r.header.sessionId !== first.header.sessionId || r.party.toLowerCase() !== first.party.toLowerCase()) {
      throw new ChargingError("BAD_INPUT", "readings of more than one meter or transaction", { reason: "several meters", digest: r.digest });
    }
    const prev = readings[i - 1];
    if (prev !== undefined && (r.header.seq === prev.header.seq || r.body.importWh < prev.body.importWh || r.body.readAt < prev.body.readAt)) {
      throw new ChargingError("BAD_INPUT", "the smart meter's readings repeat or go back", { reason: "meter went back", digest: r.digest });
    }
  });
  const last = readings[readings.length - 1]!;
  const sessions = new Set<string>();
  for (const c of h.roaming) {
    const details = { cdr: c.digest, sessionId: c.header.sessionId };
    if (sessions.has(c.header.sessionId.toLowerCase())) refuse("roaming excluded twice", "a roaming session's energy excluded twice", details);
    sessions.add(c.header.sessionId.toLowerCase());
    if (c.body.hostSupplier.toLowerCase() !== h.hostSupplier.toLowerCase() || c.party.toLowerCase() !== h.hostSupplier.toLowerCase()) refuse("roaming at another host", "a CDR of another host than the home's supplier", details);
    if (c.body.start < first.body.readAt || c.body.end > last.body.readAt) refuse("roaming outside the metered period", "a CDR outside the smart meter's period", details);
  }
  const roamingWh = h.roaming.reduce((s, c) => s + c.body.energyWh, 0n);
  const bill = hostBill({ meterStartMilliWh: first.body.importWh * 1000n, meterEndMilliWh: last.body.importWh * 1000n, roamingMilliWh: h.roaming.map((c) => c.body.energyWh * 1000n), priceMicroPerKwh: h.priceMicroPerKwh });
  return { ...bill, meterStartWh: first.body.importWh, meterEndWh: last.body.importWh, from: first.body.readAt, to: last.body.readAt, roamingWh, cdrs: h.roaming.map((c) => c.digest) };
}

export interface UserBill {
  user: string;
  supplier: string;
  /** What the user owes for energy, and what it is owed for discharge and ancillary services. */
  energy: bigint;
  dischargeCredit: bigint;
  ancillaryCredit: bigint;
  /** energy − credits (negative: the supplier owes the user). */
  net: bigint;
  payments: string[];
}

/** The bill of `user` at `supplier` from the payments that name them (ancillary credits by the user's pseudonyms). */
export function userBill(user: string, supplier: string, pseudonyms: readonly string[], payments: readonly SignedMessage<"Payment">[]): UserBill {
  const me = payRef(user);
  const mine = new Set(pseudonyms.map(payRef));
  const them = payRef(supplier);
  const bill: UserBill = { user, supplier, energy: 0n, dischargeCredit: 0n, ancillaryCredit: 0n, net: 0n, payments: [] };
  for (const p of payments) {
    const b = p.body;
    if (b.flow === PaymentFlow.UserToSupplier && b.payer === me && b.payee === them) bill.energy += b.amount;
    else if (b.flow === PaymentFlow.SupplierToUser && b.payer === them && b.payee === me) bill.dischargeCredit += b.amount;
    else if (b.flow === PaymentFlow.AggregatorToUser && (b.payee === me || mine.has(b.payee))) bill.ancillaryCredit += b.amount;
    else continue;
    bill.payments.push(p.digest);
  }
  bill.net = bill.energy - bill.dischargeCredit - bill.ancillaryCredit;
  return bill;
}

export interface SupplierBills {
  supplier: string;
  /** One per customer, in the order given. */
  bills: UserBill[];
  /** The payments' sums per flow (what the bills add up to). */
  totals: { energy: bigint; dischargeCredit: bigint; ancillaryCredit: bigint };
}

/**
 * The bills of `supplier`'s `customers` from `payments` (its store's) alone. Every payment must be
 * a customer's — flow 0 from the customer to the supplier, flow 1 from the supplier to the
 * customer, flow 2 to a pseudonym that `userOf` (the supplier's own link) gives a customer for —
 * else `REFUSED`; the same payment or the same thing paid twice is `REFUSED` (`PaymentBook`). The
 * bills then add up to the payments per flow, each payment on exactly one bill.
 */
export function supplierBills(supplier: string, customers: readonly string[], payments: readonly SignedMessage<"Payment">[], userOf: (pseudonym: string) => string | undefined): SupplierBills {
  const byRef = new Map(customers.map((c) => [payRef(c), c]));
  if (byRef.size !== customers.length) throw new ChargingError("BAD_INPUT", "a customer named twice");
  const them = payRef(supplier);
  const pseudonyms = new Map<string, string[]>(customers.map((c) => [c, []]));
  const totals = { energy: 0n, dischargeCredit: 0n, ancillaryCredit: 0n };
  const book = new PaymentBook();
  for (const p of payments) {
    book.add(p);
    const b = p.body;
    const receiver = p.header.receiver;
    let customer: string | undefined;
    if (b.flow === PaymentFlow.UserToSupplier && b.payee === them) customer = byRef.get(b.payer);
    else if (b.flow === PaymentFlow.SupplierToUser && b.payer === them) customer = byRef.get(b.payee);
    else if (b.flow === PaymentFlow.AggregatorToUser && receiver !== undefined && b.payee === payRef(receiver)) {
      const user = userOf(receiver);
      customer = user === undefined ? undefined : byRef.get(payRef(user));
      if (customer !== undefined) pseudonyms.get(customer)!.push(receiver);
    }
    if (customer === undefined) throw new ChargingError("REFUSED", "a payment of no customer of this supplier", { digest: p.digest, flow: b.flow });
    if (b.flow === PaymentFlow.UserToSupplier) totals.energy += b.amount;
    else if (b.flow === PaymentFlow.SupplierToUser) totals.dischargeCredit += b.amount;
    else totals.ancillaryCredit += b.amount;
  }
  const bills = customers.map((c) => userBill(c, supplier, pseudonyms.get(c)!, payments));
  return { supplier, bills, totals };
}
