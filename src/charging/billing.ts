/**
 * Payments and bills. The paper's three flows, each a signed `Payment` message: user → supplier
 * for energy, supplier → user for discharged energy, aggregator → user (its pseudonym) for
 * ancillary services. A user's bill per supplier nets them. At a host's home the bill excludes
 * a visitor's energy exactly: smart-meter total minus the charger's roaming energy, in mWh,
 * rounded down to the Wh once.
 */
import { keccak256, toUtf8Bytes, type TypedDataDomain } from "ethers";
import type { SignedMessage } from "../evidence/messages.js";
import type { EvidenceStore } from "../evidence/store.js";
import { ChargingError } from "./errors.js";
import { flowHeader, signFlowMessage, type FlowParty, type FlowSequences } from "./flowEvidence.js";

export const PaymentFlow = { UserToSupplier: 0, SupplierToUser: 1, AggregatorToUser: 2 } as const;
export type PaymentFlowCode = (typeof PaymentFlow)[keyof typeof PaymentFlow];

/** The bytes32 a payment names a party by (an account, a user id or a pseudonym). */
export const payRef = (id: string): string => keccak256(toUtf8Bytes(id.toLowerCase()));

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

/** Signs a payment record by `origin` (the supplier for flows 0 and 1, the aggregator for flow 2; numbered in `sequences`) into `store`. */
export async function recordPayment(origin: FlowParty, sequences: FlowSequences, domain: TypedDataDomain, store: EvidenceStore, p: PaymentInput): Promise<SignedMessage<"Payment">> {
  if (p.amount <= 0n) throw new ChargingError("BAD_INPUT", "a payment must be positive", { amount: p.amount });
  const body = { flow: p.flow, payer: payRef(p.payer), payee: payRef(p.payee), token: p.token, amount: p.amount, ref: p.ref };
  const signed = await signFlowMessage(origin, domain, "Payment", flowHeader(p.sessionId, sequences.take(origin.address, p.sessionId), p.issuedAt, p.issuedAt + 30n * 86_400n, p.receiver), body);
  store.putMessage(signed);
  return signed;
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
  if (roaming > total) throw new ChargingError("BAD_INPUT", "roaming energy exceeds what the smart meter measured", { roaming, total });
  if (h.priceMicroPerKwh < 0n) throw new ChargingError("BAD_INPUT", "price must be ≥ 0");
  const own = total - roaming;
  return { energyWh: own / 1000n, energyMilliWh: own, amount: (own * h.priceMicroPerKwh) / 1_000_000n };
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
