/**
 * The day's payments, the paper's three flows, after the charging day and the TSO's event, each a
 * signed `Payment` receipted by the session's pseudonym (the user holds its key) and kept with the
 * receipt by its origin: the user pays its home supplier for the session's energy (a roaming
 * session: the amount of the host's CDR; at home: the readings the supplier received, priced at
 * its tariff; the owner's own vehicle at its home: on the home bill, homeBill.ts); the host user
 * pays its home bill, its smart meter's total minus the guest's roaming energy; the home supplier
 * credits the user for the energy its schedule discharged, at the export price of the tariff the
 * session ran under; the aggregator pays each pseudonym that delivered the ancillary service its
 * incentive, knowing only the pseudonym and "a customer of S", and hands the receipted payment
 * to S, which alone links the pseudonym to its user. Two attacks are tried and must be refused: an
 * incentive presented again, and one presented to a supplier that never certified its pseudonym.
 * The bills come from the suppliers' stored payments alone (`supplierBills`) and are checked
 * against what was paid, flow by flow.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { PaymentBook, PaymentFlow, creditIncentive, receivePayment, signPayment, supplierBills, type PaymentInput, type UserBill } from "../../charging/billing.js";
import { priceEnergy } from "../../charging/cdr.js";
import { ChargingError } from "../../charging/errors.js";
import { keepWithReceipt, ownKey, registeredKey, type FlowParty, type KeyCheck } from "../../charging/flowEvidence.js";
import type { SlotPrices } from "../../charging/prices.js";
import type { PseudonymIssuer } from "../../charging/pseudonyms.js";
import type { SignedMessage, SignedReceipt } from "../../evidence/messages.js";
import { buildBatch } from "../../evidence/merkle.js";
import type { EvidenceStore } from "../../evidence/store.js";
import { incentiveOf, type AncillaryReport } from "./ancillary.js";
import { SLOT_SECONDS } from "./clock.js";
import { flowParty, type DayContext } from "./context.js";
import { DayError } from "./errors.js";
import type { ExecutedSession } from "./execution.js";
import { TARIFF_ID } from "./grid.js";
import { billHome, type HomeBillOutcome, type HomeMetering } from "./homeBill.js";

export const FLOW_NAMES = ["energy", "discharge", "ancillary"] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

export interface DayBill {
  /** The user, by its vehicle's id, and its home supplier's id. */
  readonly user: string;
  readonly supplier: string;
  readonly bill: UserBill;
}

export interface PaymentsOutcome {
  readonly at: bigint;
  /** Per flow: payments recorded and their sum (micro-units). */
  readonly flows: Record<FlowName, { count: number; total: bigint }>;
  /** Payments kept by their origin with the receiver's receipt (every one of them). */
  readonly receipted: number;
  /** The attacks tried, by the reason they were refused for. */
  readonly refused: Record<string, number>;
  readonly bills: DayBill[];
  /** The host user's home bill from its smart meter (one of the energy payments). */
  readonly home: HomeBillOutcome;
}

/** The event the incentives pay for (their `ref`). */
export const ancillaryRef = (aggregator: string, event: AncillaryReport): string => keccak256(toUtf8Bytes(`ancillary service ${aggregator.toLowerCase()} ${event.from} ${event.to}`));

/** The session's discharge under its schedule in force as cumulative (ms, mWh) points from arrival to departure. */
function dischargePoints(day: DayContext, s: ExecutedSession): { at: number; mWh: bigint }[] {
  const { arrivalSlot, departureSlot } = s.session.vehicle;
  const { powerW } = s.session.schedule.body;
  const points = [{ at: Number(day.clock.slotStart(arrivalSlot)) * 1000, mWh: 0n }];
  let mWh = 0n;
  for (let t = arrivalSlot; t < departureSlot; t++) {
    mWh += (BigInt(Math.max(0, -(powerW[t] ?? 0))) * BigInt(SLOT_SECONDS) * 1000n) / 3600n;
    points.push({ at: Number(day.clock.slotStart(t + 1)) * 1000, mWh });
  }
  return points;
}

/** What the user owes for a session's energy and for what (the CDR, or the root of the readings its home supplier received). */
function energyOwed(store: EvidenceStore, s: ExecutedSession, prices: SlotPrices): { amount: bigint; ref: string } {
  if (s.cdr !== undefined) return { amount: s.cdr.body.amount, ref: s.cdr.digest };
  const readings = store.session(s.session.sessionId).messages.filter((m): m is SignedMessage<"MeterReading"> => m.type === "MeterReading");
  readings.sort((a, b) => (a.header.seq < b.header.seq ? -1 : 1));
  if (s.roaming || readings.length < 2) return { amount: 0n, ref: "" };
  const points = readings.map((r) => ({ at: Number(r.body.readAt) * 1000, mWh: r.body.importWh * 1000n }));
  return { amount: priceEnergy(points, prices).amount, ref: buildBatch(readings.map((r) => r.digest)).root };
}

export async function recordDayPayments(day: DayContext, sessions: readonly ExecutedSession[], ancillary: AncillaryReport, homeMeter: HomeMetering, issuers: readonly PseudonymIssuer[]): Promise<PaymentsOutcome> {
  const { clock, domains, directory, parties } = day;
  const domain = domains.evidence;
  const token = day.contracts.full.tokenAddress;
  const now = clock.advance(60);
  const flows = Object.fromEntries(FLOW_NAMES.map((f) => [f, { count: 0, total: 0n }])) as PaymentsOutcome["flows"];
  const bySupplier = parties.suppliers.map(() => ({ energy: 0n, dischargeCredit: 0n, ancillaryCredit: 0n }));
  const supplierBooks = day.supplierStores.map((s) => PaymentBook.of(s));
  const books = new Map<EvidenceStore, PaymentBook>();
  const bookOf = (store: EvidenceStore) => books.get(store) ?? books.set(store, PaymentBook.of(store)).get(store)!;
  let receipted = 0;

  /** `origin` signs, the session's pseudonym receipts into the user's store, `origin` keeps both in `store`. */
  const pay = async (origin: FlowParty, store: EvidenceStore, book: PaymentBook, s: ExecutedSession, p: Pick<PaymentInput, "flow" | "payer" | "payee" | "amount" | "ref">) => {
    const { pseudonym, userStore, sessionId } = s.session;
    const payment = await signPayment(origin, day.sequences, domain, { ...p, token, sessionId, issuedAt: now, receiver: pseudonym.address });
    const receipt = await receivePayment(pseudonym, domain, userStore, bookOf(userStore), payment, origin.address, registeredKey(directory), now);
    book.check(payment);
    await keepWithReceipt(domain, store, payment, receipt, ownKey);
    book.add(payment);
    receipted++;
    const flow = flows[FLOW_NAMES[p.flow]!];
    flow.count++;
    flow.total += p.amount;
    return { payment, receipt };
  };

  for (const s of sessions) {
    const v = s.session.vehicle;
    const home = parties.suppliers[v.home]!;
    const supplier = flowParty(home);
    const store = day.supplierStores[home.index]!;
    const prices = s.fleet.book.prices(parties.suppliers[s.fleet.aggregator.host]!.account.address, TARIFF_ID);
    // The owner's own vehicle at home is on the home bill (its smart meter), not paid per session.
    const energy = s.session.sessionId === homeMeter.ownSessionId ? { amount: 0n, ref: "" } : energyOwed(store, s, prices);
    if (energy.amount > 0n) {
      await pay(supplier, store, supplierBooks[home.index]!, s, { flow: PaymentFlow.UserToSupplier, payer: v.user.address, payee: supplier.address, ...energy });
      bySupplier[home.index]!.energy += energy.amount;
    }
    const credit = priceEnergy(dischargePoints(day, s), { ...prices, importPrice: prices.exportPrice }).amount;
    if (credit > 0n) {
      await pay(supplier, store, supplierBooks[home.index]!, s, { flow: PaymentFlow.SupplierToUser, payer: supplier.address, payee: v.user.address, amount: credit, ref: s.session.schedule.digest });
      bySupplier[home.index]!.dischargeCredit += credit;
    }
  }

  // The host user's home bill: smart-meter total minus the guest's roaming energy, an energy payment of its own.
  const ownVehicleWh = sessions.find((s) => s.session.sessionId === homeMeter.ownSessionId)?.energyWh ?? 0n;
  const owner = parties.vehicles[parties.homeHost.owner]!;
  const homeBill = await billHome(day, homeMeter, ownVehicleWh, supplierBooks[owner.home]!, bookOf(day.userStores[owner.index]!), now);
  if (homeBill.payment !== undefined) {
    receipted++;
    flows.energy.count++;
    flows.energy.total += homeBill.payment.body.amount;
    bySupplier[owner.home]!.energy += homeBill.payment.body.amount;
  }

  // The incentives: to the pseudonyms that delivered, handed to the supplier each one's certificate names.
  const isAggregatorKey: KeyCheck = async (party, signer, at) => (await directory.isKeyValid(party, signer, at)) && (await directory.hasRole("AGGREGATOR", party));
  const userOf = (i: number) => (pseudonym: string) => issuers[i]!.userOf(pseudonym);
  const credited: { payment: SignedMessage; receipt: SignedReceipt; supplier: number }[] = [];
  const paidPseudonyms = new Map<string, bigint>();
  for (const [pseudonym, kwh] of Object.entries(ancillary.deliveredKwh)) {
    const amount = incentiveOf(kwh);
    if (amount === 0n) continue;
    const s = sessions.find((x) => x.session.pseudonym.address.toLowerCase() === pseudonym.toLowerCase());
    if (s === undefined) throw new DayError("FAILED", "an ancillary delivery by a pseudonym of no session", { pseudonym });
    const aggregator = s.fleet.party;
    const { payment, receipt } = await pay(aggregator, s.fleet.store, bookOf(s.fleet.store), s, { flow: PaymentFlow.AggregatorToUser, payer: aggregator.address, payee: pseudonym, amount, ref: ancillaryRef(aggregator.address, ancillary) });
    const named = parties.suppliers.findIndex((x) => x.account.address.toLowerCase() === s.session.accepted.pseudonym.supplier.toLowerCase());
    if (named < 0) throw new DayError("FAILED", "a pseudonym certified by no supplier of the day", { pseudonym });
    await creditIncentive(domain, day.supplierStores[named]!, supplierBooks[named]!, payment, receipt, userOf(named), isAggregatorKey);
    bySupplier[named]!.ancillaryCredit += amount;
    credited.push({ payment, receipt, supplier: named });
    paidPseudonyms.set(pseudonym.toLowerCase(), amount);
  }

  // The attacks: the first incentive again at its supplier, and at a supplier that never certified its pseudonym.
  const refused: Record<string, number> = {};
  const attempt = async (supplier: number, c: (typeof credited)[number]) => {
    try {
      await creditIncentive(domain, day.supplierStores[supplier]!, supplierBooks[supplier]!, c.payment, c.receipt, userOf(supplier), isAggregatorKey);
    } catch (error) {
      const reason = error instanceof ChargingError && error.code === "REFUSED" ? (error.details as { reason?: string } | undefined)?.reason : undefined;
      if (reason === undefined) throw error;
      refused[reason] = (refused[reason] ?? 0) + 1;
      return;
    }
    throw new DayError("FAILED", "a supplier credited an incentive it should have refused", { digest: c.payment.digest, supplier });
  };
  const first = credited[0];
  if (first !== undefined) {
    await attempt(first.supplier, first);
    await attempt((first.supplier + 1) % parties.suppliers.length, first);
  }

  const bills = billsOfTheDay(day, issuers, bySupplier, paidPseudonyms);
  day.timeline.add(
    "payments",
    `${flows.energy.count} energy payments by users to their suppliers, ${flows.discharge.count} discharge credits, ${flows.ancillary.count} ancillary incentives paid to pseudonyms; ${bills.length} bills from the suppliers' stored payments; refused: ${Object.entries(refused).map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`,
  );
  return { at: now, flows, receipted, refused, bills, home: homeBill };
}

/**
 * Each supplier's bills from its stored payments alone, checked: per flow they add up to what was
 * paid to and by its customers, and every pseudonym that delivered was credited its incentive once.
 */
function billsOfTheDay(
  day: DayContext,
  issuers: readonly PseudonymIssuer[],
  paid: readonly { energy: bigint; dischargeCredit: bigint; ancillaryCredit: bigint }[],
  incentives: ReadonlyMap<string, bigint>,
): DayBill[] {
  const { parties } = day;
  const out: DayBill[] = [];
  const creditedTo = new Map<string, bigint[]>();
  for (const supplier of parties.suppliers) {
    const store = day.supplierStores[supplier.index]!;
    const payments = PaymentBook.paymentsIn(store);
    const customers = parties.vehicles.filter((v) => v.home === supplier.index);
    const { bills, totals } = supplierBills(supplier.account.address, customers.map((v) => v.user.address), payments, (p) => issuers[supplier.index]!.userOf(p));
    const expected = paid[supplier.index]!;
    const sum = (k: keyof typeof expected) => bills.reduce((a, b) => a + b[k], 0n);
    for (const k of ["energy", "dischargeCredit", "ancillaryCredit"] as const) {
      if (sum(k) !== expected[k] || totals[k] !== expected[k]) throw new DayError("FAILED", `${supplier.id}'s bills do not add up to the ${k} paid`, { bills: sum(k), stored: totals[k], paid: expected[k] });
    }
    for (const p of payments) {
      if (p.body.flow !== PaymentFlow.AggregatorToUser) continue;
      const pseudonym = p.header.receiver!.toLowerCase();
      creditedTo.set(pseudonym, [...(creditedTo.get(pseudonym) ?? []), p.body.amount]);
    }
    bills.forEach((bill, i) => out.push({ user: customers[i]!.id, supplier: supplier.id, bill }));
  }
  for (const [pseudonym, amount] of incentives) {
    const credits = creditedTo.get(pseudonym) ?? [];
    if (credits.length !== 1 || credits[0] !== amount) throw new DayError("FAILED", "an ancillary delivery not credited exactly once", { pseudonym, amount, credits });
  }
  const stray = [...creditedTo.keys()].filter((p) => !incentives.has(p));
  if (stray.length > 0) throw new DayError("FAILED", "incentives credited to pseudonyms that delivered nothing", { stray });
  return out;
}
