/**
 * The one seam between the charging flow and the evidence layer: every flow message (ReqEv,
 * Schedule, Confirmation, Csev, MeterReading, ChargeDetailRecord, Payment) is signed, received
 * and verified here, through `src/evidence`'s signing API and type table.
 */
import { hexlify, randomBytes, type Signer, type TypedDataDomain } from "ethers";
import type { BodyOf, Header, SignedMessage, SignedReceipt } from "../evidence/messages.js";
import { signMessage, signReceipt, verifyMessageSignature, verifyReceiptSignature } from "../evidence/sign.js";
import type { MessageTypeName } from "../evidence/types.js";

/** A participant of the flow: its account (the party) and its registered signing key. */
export interface FlowParty {
  address: string;
  key: Signer;
}

export const randomNonce = (): string => hexlify(randomBytes(32));

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
