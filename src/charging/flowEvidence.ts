/**
 * The one seam between the charging flow and the evidence layer: every flow message (ReqEv,
 * Schedule, Confirmation, Csev, MeterReading, ChargeDetailRecord, Payment) is signed, received
 * and verified here, through `src/evidence`'s signing API and type table. A negotiation message
 * ends in both parties' evidence stores: the receiver checks it (`checkIncoming`), signs its
 * receipt and stores both (`receiptAndStore`); the origin stores both once the named receiver's
 * receipt comes back (`keepWithReceipt`).
 */
import { hexlify, randomBytes, type Signer, type TypedDataDomain } from "ethers";
import type { BodyOf, Header, SignedMessage, SignedReceipt } from "../evidence/messages.js";
import { signMessage, signReceipt, verifyMessageSignature, verifyReceiptSignature } from "../evidence/sign.js";
import type { EvidenceStore } from "../evidence/store.js";
import type { MessageTypeName } from "../evidence/types.js";
import { ChargingError } from "./errors.js";
import type { KeyDirectory } from "./keyDirectory.js";

/** A participant of the flow: its account (the party) and its registered signing key. */
export interface FlowParty {
  address: string;
  key: Signer;
}

export const randomNonce = (): string => hexlify(randomBytes(32));

/**
 * The sequence numbers of flow messages: each party numbers its own messages of a session 0, 1,
 * 2, … without gaps, whatever other parties sign in between (a user's REQ_EV and confirmations,
 * an aggregator's schedules and CSEVs, a charger's meter readings, a host's CDRs, …). This is
 * the rule the verifier holds every bundle to (`sequence_gap`, docs/evidence-bundle.md). One book
 * can serve several parties: it keys by party and session.
 */
export class FlowSequences {
  private readonly next = new Map<string, bigint>();

  private static key(party: string, sessionId: string): string {
    return `${party.toLowerCase()}/${sessionId.toLowerCase()}`;
  }

  /** A book that continues after `messages` (a party's record of what it signed, e.g. its store's). */
  static after(messages: readonly SignedMessage[]): FlowSequences {
    const book = new FlowSequences();
    for (const m of messages) {
      const k = FlowSequences.key(m.party, m.header.sessionId);
      if (m.header.seq >= (book.next.get(k) ?? 0n)) book.next.set(k, m.header.seq + 1n);
    }
    return book;
  }

  /** Takes the next number of `party`'s messages in `sessionId`. */
  take(party: string, sessionId: string): bigint {
    const k = FlowSequences.key(party, sessionId);
    const seq = this.next.get(k) ?? 0n;
    this.next.set(k, seq + 1n);
    return seq;
  }
}

/** Time a flow message's receiver has to receipt it, from its issue time (seconds). */
export const DEFAULT_RECEIPT_WINDOW = 86_400n;

/**
 * The header of a flow message addressed to `receiver`: only that participant's receipt counts,
 * and its receipt is due `receiptWindow` seconds after `issuedAt` (both signed in the header).
 */
export function flowHeader(
  sessionId: string,
  seq: bigint,
  issuedAt: bigint,
  expiresAt: bigint,
  receiver: string,
  receiptWindow: bigint = DEFAULT_RECEIPT_WINDOW,
): Header {
  return { sessionId, seq, nonce: randomNonce(), issuedAt, expiresAt, receiver, receiptDeadline: issuedAt + receiptWindow };
}

/** Signs a flow message: the origin's proof (NRO). */
export function signFlowMessage<T extends MessageTypeName>(origin: FlowParty, domain: TypedDataDomain, type: T, header: Header, body: BodyOf[T]): Promise<SignedMessage<T>> {
  return signMessage(origin.key, origin.address, domain, { type, header, body });
}

/** Signs the receipt of `message` at `receivedAt`: the receiver's proof (NRR). */
export function signFlowReceipt(receiver: FlowParty, domain: TypedDataDomain, message: SignedMessage, receivedAt: bigint): Promise<SignedReceipt> {
  return signReceipt(receiver.key, receiver.address, domain, {
    nroDigest: message.digest,
    sessionId: message.header.sessionId,
    receivedAt,
    nonce: randomNonce(),
  });
}

export function verifyFlowMessage(domain: TypedDataDomain, message: SignedMessage): boolean {
  return verifyMessageSignature(domain, message);
}

export function verifyFlowReceipt(domain: TypedDataDomain, receipt: SignedReceipt): boolean {
  return verifyReceiptSignature(domain, receipt);
}

const same = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** Whether `signer` is a key of `party` at `at`. */
export type KeyCheck = (party: string, signer: string, at: bigint) => Promise<boolean>;

/** A session pseudonym signs with its own key: the party is the key. */
export const ownKey: KeyCheck = (party, signer) => Promise.resolve(same(party, signer));

/** A party of the registry signs with one of its registered keys. */
export const registeredKey =
  (directory: KeyDirectory): KeyCheck =>
  (party, signer, at) =>
    directory.isKeyValid(party, signer, at);

/**
 * The receiver's checks of an incoming flow message at `now`: its type, its signature, its
 * origin (`from`, signing with a key `isOriginKey` admits), addressed to `receiver` in its header,
 * and inside its validity window. Throws a typed `ChargingError` naming the reason.
 */
export async function checkIncoming<T extends MessageTypeName>(
  receiver: string,
  domain: TypedDataDomain,
  message: SignedMessage,
  type: T,
  from: string,
  isOriginKey: KeyCheck,
  now: bigint,
): Promise<SignedMessage<T>> {
  if (message.type !== type) throw new ChargingError("BAD_INPUT", `not a ${type} message`, { type: message.type });
  if (!verifyFlowMessage(domain, message)) throw new ChargingError("BAD_SIGNATURE", `${type} signature does not verify (changed after signing?)`);
  if (!same(message.party, from) || !(await isOriginKey(message.party, message.signer, message.header.issuedAt))) {
    throw new ChargingError("BAD_SIGNATURE", `${type} is not signed by its origin's key`, { party: message.party, signer: message.signer, from });
  }
  const { header } = message;
  if (!same(header.receiver, receiver)) throw new ChargingError("REFUSED", `${type} is addressed to another party`, { receiver: header.receiver, self: receiver });
  if (now < header.issuedAt || now >= header.expiresAt) throw new ChargingError("EXPIRED", `${type} outside its validity window`, { now, issuedAt: header.issuedAt, expiresAt: header.expiresAt });
  return message as SignedMessage<T>;
}

/** The receiver signs its receipt of a checked `message` at `now` and stores both in one transaction. */
export async function receiptAndStore(receiver: FlowParty, domain: TypedDataDomain, store: EvidenceStore, message: SignedMessage, now: bigint): Promise<SignedReceipt> {
  const receipt = await signFlowReceipt(receiver, domain, message, now);
  store.transaction(() => {
    store.putMessage(message);
    store.putReceipt(receipt);
  });
  return receipt;
}

/**
 * The origin keeps its `message` with the receipt that came back, in one transaction, after
 * checking that the receipt is of that message, by the receiver its header names (signing with a
 * key `isReceiverKey` admits), and no later than the header's receipt deadline.
 */
export async function keepWithReceipt(domain: TypedDataDomain, store: EvidenceStore, message: SignedMessage, receipt: SignedReceipt, isReceiverKey: KeyCheck): Promise<void> {
  if (!verifyFlowReceipt(domain, receipt)) throw new ChargingError("BAD_SIGNATURE", "receipt signature does not verify");
  const { header } = message;
  if (receipt.receipt.nroDigest !== message.digest || receipt.receipt.sessionId !== header.sessionId) {
    throw new ChargingError("BAD_INPUT", "receipt of another message", { nroDigest: receipt.receipt.nroDigest, digest: message.digest });
  }
  if (header.receiver === undefined || !same(receipt.receiver, header.receiver) || !(await isReceiverKey(receipt.receiver, receipt.signer, receipt.receipt.receivedAt))) {
    throw new ChargingError("BAD_SIGNATURE", "receipt is not by the message's receiver", { receiver: receipt.receiver, named: header.receiver });
  }
  if (header.receiptDeadline !== undefined && receipt.receipt.receivedAt > header.receiptDeadline) {
    throw new ChargingError("EXPIRED", "receipt after the message's receipt deadline", { receivedAt: receipt.receipt.receivedAt, deadline: header.receiptDeadline });
  }
  store.transaction(() => {
    store.putMessage(message);
    store.putReceipt(receipt);
  });
}
