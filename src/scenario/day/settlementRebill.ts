/**
 * The day's dishonest host: it bills one roaming session a second time. The CDR it sent the home
 * supplier (and the home receipted) stays; it signs another CDR for the same session with its
 * registered key, the next number of its sequence in the session, with half as much energy again
 * as its meter readings show and the amount scaled with it, and delivers it through the normal
 * flow: the home checks it and receipts it (a receipt proves receipt, not agreement), the host
 * keeps it with that receipt in its own evidence store, where its settlement bot finds it and
 * claims it with the rest. The session's evidence is complete and authentic; what is wrong is its
 * content. The home's bot sees in the claim package a CDR of a session for which it received and
 * receipted an earlier one (`SESSION_ALREADY_BILLED`); the arbiter sees in the session's bundle
 * that the meter readings do not support it and that the session was billed before.
 */
import { getAddress, keccak256, solidityPacked, type TypedDataDomain } from "ethers";
import { checkIncoming, FlowSequences, keepWithReceipt, receiptAndStore, signFlowMessage, type FlowParty, type KeyCheck } from "../../charging/flowEvidence.js";
import type { SignedMessage } from "../../evidence/messages.js";
import type { EvidenceStore } from "../../evidence/store.js";
import { SettlementDayError } from "./settlementErrors.js";

export type Cdr = SignedMessage<"ChargeDetailRecord">;

/** Every CDR in `store` that `host` signed as host against one of `homes`. */
export function roamingCdrs(store: EvidenceStore, host: string, homes: readonly string[]): Cdr[] {
  const out: Cdr[] = [];
  const wanted = new Set(homes.map((h) => getAddress(h)));
  for (let cursor = 0; ; ) {
    const batch = store.messagesOfType("ChargeDetailRecord", cursor, 1000);
    for (const m of batch.messages) {
      if (getAddress(m.party) === getAddress(host) && getAddress(m.body.hostSupplier) === getAddress(host) && wanted.has(getAddress(m.body.homeSupplier))) out.push(m);
    }
    if (batch.messages.length < 1000) return out;
    cursor = batch.cursor;
  }
}

/**
 * The first CDR of `host` (in its store's order) that its home received and receipted: the home's
 * store holds it with a receipt by the home. Null when there is none.
 */
export function receiptedCdr(hostStore: EvidenceStore, host: string, homes: ReadonlyMap<string, EvidenceStore>): Cdr | null {
  for (const cdr of roamingCdrs(hostStore, host, [...homes.keys()])) {
    const homeStore = homes.get(getAddress(cdr.body.homeSupplier))!;
    const receipt = homeStore.message(cdr.digest) ? homeStore.receipt(cdr.digest) : null;
    if (receipt && receipt.receipt.nroDigest.toLowerCase() === cdr.digest.toLowerCase() && getAddress(receipt.receiver) === getAddress(cdr.body.homeSupplier)) return cdr;
  }
  return null;
}

/** Both ends of the delivery: each side's party and evidence store, and how each checks the other's keys. */
export interface RebillSides {
  host: FlowParty;
  hostStore: EvidenceStore;
  home: FlowParty;
  homeStore: EvidenceStore;
  /** Whether a signer is a registered key of a party at a time (the registry). */
  keys: KeyCheck;
}

/**
 * Signs the second, inflated CDR of `sent`'s session with the host's key, as the next message of
 * its sequence in the session (after what its store holds), and delivers it: the home checks and
 * receipts it into its store, the host keeps it with the receipt. Delivered when `sent` was issued.
 */
export async function rebillSession(sides: RebillSides, domain: TypedDataDomain, sent: Cdr): Promise<Cdr> {
  const { host, hostStore, home, homeStore, keys } = sides;
  const extraWh = sent.body.energyWh / 2n > 0n ? sent.body.energyWh / 2n : 1n;
  const extra = sent.body.energyWh > 0n ? (sent.body.amount * extraWh) / sent.body.energyWh : 1n;
  const { sessionId } = sent.header;
  const seq = FlowSequences.after(hostStore.session(sessionId).messages).take(host.address, sessionId);
  const header = { ...sent.header, seq, nonce: keccak256(solidityPacked(["bytes32", "string"], [sent.header.nonce, "rebill"])) };
  const body = {
    ...sent.body,
    cdrId: keccak256(solidityPacked(["bytes32", "string"], [sent.body.cdrId, "rebill"])),
    energyWh: sent.body.energyWh + extraWh,
    amount: sent.body.amount + (extra > 0n ? extra : 1n),
  };
  const cdr = await signFlowMessage(host, domain, "ChargeDetailRecord", header, body);
  if (hostStore.message(cdr.digest) !== null) throw new SettlementDayError("INPUT", "the host's store already holds the second CDR of the session", { digest: cdr.digest });
  const at = header.issuedAt;
  const received = await checkIncoming(home.address, domain, cdr, "ChargeDetailRecord", host.address, keys, at);
  const receipt = await receiptAndStore(home, domain, homeStore, received, at);
  await keepWithReceipt(domain, hostStore, cdr, receipt, keys);
  return cdr;
}
