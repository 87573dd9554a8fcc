/**
 * Sign and verify proofs of origin (NRO) and of receipt (NRR) with EIP-712.
 * Recovery is strict: 65-byte signatures, v in {27, 28}, low s (as OpenZeppelin ECDSA).
 */
import { getBytes, recoverAddress, Signature, TypedDataEncoder, type Signer, type TypedDataDomain } from "ethers";
import { EvidenceError } from "./errors.js";
import type { EvidenceMessage, Receipt, SignedMessage, SignedReceipt } from "./messages.js";
import { bodyTypes, messageTypes, RECEIPT_TYPES, type MessageTypeName } from "./types.js";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N >> 1n;

/** EIP-712 struct hash of a message body: what the chain receives instead of the body. */
export function bodyHash<T extends MessageTypeName>(type: T, body: EvidenceMessage<T>["body"]): string {
  return TypedDataEncoder.hashStruct(`${type}Body`, bodyTypes(type), body as unknown as Record<string, unknown>);
}

/** The NRO digest: EIP-712 digest of `{header, body}` under `domain`. */
export function messageDigest(domain: TypedDataDomain, msg: EvidenceMessage): string {
  return TypedDataEncoder.hash(domain, messageTypes(msg.type), { header: msg.header, body: msg.body });
}

export function receiptDigest(domain: TypedDataDomain, receipt: Receipt): string {
  return TypedDataEncoder.hash(domain, RECEIPT_TYPES, receipt);
}

/** Signs `msg` with `key` (a registered signing key of `party`): the proof of origin. */
export async function signMessage<T extends MessageTypeName>(
  key: Signer,
  party: string,
  domain: TypedDataDomain,
  msg: EvidenceMessage<T>,
): Promise<SignedMessage<T>> {
  const signature = await key.signTypedData(domain, messageTypes(msg.type), { header: msg.header, body: msg.body });
  const digest = messageDigest(domain, msg);
  const signer = recoverSigner(digest, signature);
  if (signer !== (await key.getAddress())) {
    throw new EvidenceError("BAD_SIGNATURE", "signature does not recover to the signing key", { digest });
  }
  return { ...msg, party, signer, signature, digest };
}

/** Signs a receipt over `nroDigest`: the proof of receipt. */
export async function signReceipt(
  key: Signer,
  receiver: string,
  domain: TypedDataDomain,
  receipt: Receipt,
): Promise<SignedReceipt> {
  const signature = await key.signTypedData(domain, RECEIPT_TYPES, receipt);
  const digest = receiptDigest(domain, receipt);
  const signer = recoverSigner(digest, signature);
  if (signer !== (await key.getAddress())) {
    throw new EvidenceError("BAD_SIGNATURE", "signature does not recover to the signing key", { digest });
  }
  return { receipt, receiver, signer, signature, digest };
}

/**
 * Recovers the signer of `digest`. Throws `EvidenceError("BAD_SIGNATURE")` for anything
 * OpenZeppelin ECDSA would reject: wrong length, bad v, high s, r or s out of range.
 */
export function recoverSigner(digest: string, signature: string): string {
  let bytes: Uint8Array;
  try {
    bytes = getBytes(signature);
  } catch (cause) {
    throw new EvidenceError("BAD_SIGNATURE", "signature is not hex", {}, cause);
  }
  if (bytes.length !== 65) {
    throw new EvidenceError("BAD_SIGNATURE", "signature must be 65 bytes", { length: bytes.length });
  }
  const r = BigInt("0x" + Buffer.from(bytes.subarray(0, 32)).toString("hex"));
  const s = BigInt("0x" + Buffer.from(bytes.subarray(32, 64)).toString("hex"));
  const v = bytes[64];
  if (v !== 27 && v !== 28) throw new EvidenceError("BAD_SIGNATURE", "signature v must be 27 or 28", { v });
  if (s > HALF_N || s === 0n) throw new EvidenceError("BAD_SIGNATURE", "signature s is not low", { s: s.toString(16) });
  if (r === 0n || r >= SECP256K1_N) throw new EvidenceError("BAD_SIGNATURE", "signature r out of range");
  try {
    return recoverAddress(digest, Signature.from(signature));
  } catch (cause) {
    throw new EvidenceError("BAD_SIGNATURE", "signature does not recover", { digest }, cause);
  }
}

/** True if `signed.signature` is by `signed.signer` over the message contents under `domain`. */
export function verifyMessageSignature(domain: TypedDataDomain, signed: SignedMessage): boolean {
  try {
    const digest = messageDigest(domain, signed);
    return digest === signed.digest && recoverSigner(digest, signed.signature) === signed.signer;
  } catch {
    return false;
  }
}

export function verifyReceiptSignature(domain: TypedDataDomain, signed: SignedReceipt): boolean {
  try {
    const digest = receiptDigest(domain, signed.receipt);
    return digest === signed.digest && recoverSigner(digest, signed.signature) === signed.signer;
  } catch {
    return false;
  }
}
