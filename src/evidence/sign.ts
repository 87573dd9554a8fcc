/**
 * Sign and verify proofs of origin (NRO) and of receipt (NRR) with EIP-712.
 * Recovery is strict: 65-byte signatures, v in {27, 28}, low s (as OpenZeppelin ECDSA); a
 * signature naming a signer whose key is known is verified against that key (`signerKeys.ts`).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { BaseWallet, getAddress, TypedDataEncoder, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import { EvidenceError } from "./errors.js";
import type { Addressing, EvidenceMessage, Header, Receipt, SignedMessage, SignedReceipt } from "./messages.js";
import { isSignedBy, recoverSigner } from "./signerKeys.js";
import { structHasher } from "./typedHash.js";
import { bodyTypes, domainTypesVersion, messageTypes, RECEIPT_TYPES, type EvidenceTypesVersion, type MessageTypeName } from "./types.js";

export { recoverSigner } from "./signerKeys.js";

/** EIP-712 struct hash of a message body: what the chain receives instead of the body. */
export function bodyHash<T extends MessageTypeName>(type: T, body: EvidenceMessage<T>["body"]): string {
  return TypedDataEncoder.hashStruct(`${type}Body`, bodyTypes(type), body as unknown as Record<string, unknown>);
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * The header as the domain's type-table version signs it: version 1 without, version 2 with the
 * receiver and the receipt deadline (`EvidenceError("BAD_INPUT")` if a version 2 header lacks them).
 */
function signedHeader(domain: TypedDataDomain, header: Header): Header {
  const { receiver, receiptDeadline, ...v1 } = header;
  if (domainTypesVersion(domain) === 1) return v1;
  if (receiver === undefined || receiptDeadline === undefined) {
    throw new EvidenceError("BAD_INPUT", "a version 2 header needs its receiver and receipt deadline", {
      receiver: receiver ?? null,
      receiptDeadline: receiptDeadline?.toString() ?? null,
    });
  }
  return { ...v1, receiver, receiptDeadline };
}

/**
 * Puts `addressing` into the header of a message to be signed under a version 2 domain, after
 * checking it: a checksummable receiver other than the origin, a uint64 deadline after issuedAt.
 * Without `addressing`, the header's own receiver and deadline are taken if it has both.
 */
export function addressMessage<T extends MessageTypeName>(
  msg: EvidenceMessage<T>,
  party: string,
  addressing: Addressing | undefined,
): EvidenceMessage<T> {
  const own = msg.header;
  const given =
    addressing ??
    (own.receiver !== undefined && own.receiptDeadline !== undefined
      ? { receiver: own.receiver, receiptDeadline: own.receiptDeadline }
      : undefined);
  if (!given) {
    throw new EvidenceError("BAD_INPUT", "a message needs its receiver and receipt deadline (version 2)");
  }
  const { receiver, receiptDeadline } = given;
  let address: string;
  try {
    address = getAddress(receiver);
  } catch (cause) {
    throw new EvidenceError("BAD_INPUT", "the receiver is not an address", { receiver: String(receiver) }, cause);
  }
  if (address.toLowerCase() === party.toLowerCase()) {
    throw new EvidenceError("BAD_INPUT", "the receiver cannot be the origin", { receiver: address });
  }
  if (typeof receiptDeadline !== "bigint" || receiptDeadline <= msg.header.issuedAt || receiptDeadline > UINT64_MAX) {
    throw new EvidenceError("BAD_INPUT", "the receipt deadline must be a uint64 after issuedAt", {
      receiptDeadline: String(receiptDeadline),
    });
  }
  if (
    addressing &&
    ((own.receiver !== undefined && own.receiver.toLowerCase() !== address.toLowerCase()) ||
      (own.receiptDeadline !== undefined && own.receiptDeadline !== receiptDeadline))
  ) {
    throw new EvidenceError("BAD_INPUT", "the header already names another receiver or receipt deadline");
  }
  return { ...msg, header: { ...msg.header, receiver: address, receiptDeadline } };
}

/*
 * What `TypedDataEncoder.hash(domain, types, value)` computes, keccak256(0x1901 ‖ domain
 * separator ‖ struct hash), with the encoder of each type table built once and each domain's
 * separator hashed once: both depend only on their inputs, and building them was a third of a
 * digest's cost. The domain cache is keyed by every field's name, type and value, and bounded.
 * The struct hash is computed on bytes (`typedHash.ts`); a value that path does not take goes
 * to ethers' encoder, which computes the same hash or throws as it always did.
 */
const MAX_DOMAINS = 1_024;
const separators = new Map<string, Uint8Array>();

interface TableHasher {
  readonly ethers: TypedDataEncoder;
  readonly fast: ((value: unknown) => Uint8Array | undefined) | undefined;
}

const hasherOf = (types: Record<string, TypedDataField[]>): TableHasher => {
  const ethers = TypedDataEncoder.from(types);
  return { ethers, fast: structHasher(types, ethers) };
};
const hashers = new Map<string, TableHasher>();
const receiptHasher = hasherOf(RECEIPT_TYPES);
const bytesOf = (hex: string): Uint8Array => Buffer.from(hex.slice(2), "hex");

function domainSeparator(domain: TypedDataDomain): Uint8Array {
  const parts: string[] = [];
  for (const [name, v] of Object.entries(domain) as [string, unknown][]) {
    if (v === null || v === undefined) continue;
    // Anything but a string or a number is hashed (or refused) by ethers every time.
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "bigint") return bytesOf(TypedDataEncoder.hashDomain(domain));
    parts.push(name, typeof v, String(v));
  }
  const key = JSON.stringify(parts);
  let separator = separators.get(key);
  if (separator === undefined) {
    separator = bytesOf(TypedDataEncoder.hashDomain(domain));
    if (separators.size >= MAX_DOMAINS) separators.clear();
    separators.set(key, separator);
  }
  return separator;
}

const PREFIX = Uint8Array.of(0x19, 0x01);

function typedDigest(domain: TypedDataDomain, hasher: TableHasher, value: Record<string, unknown>): string {
  const separator = domainSeparator(domain);
  const struct = hasher.fast?.(value) ?? bytesOf(hasher.ethers.hash(value));
  const preimage = new Uint8Array(66);
  preimage.set(PREFIX, 0);
  preimage.set(separator, 2);
  preimage.set(struct, 34);
  return "0x" + Buffer.from(keccak_256(preimage)).toString("hex");
}

const tableHashers = new WeakMap<Record<string, TypedDataField[]>, TableHasher>();

/**
 * `TypedDataEncoder.hash(domain, types, value)`, with the table's encoder built once per `types`
 * object (keep one object per table: a table changed after its first use is not seen).
 */
export function typedDataDigest(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): string {
  let hasher = tableHashers.get(types);
  if (hasher === undefined) tableHashers.set(types, (hasher = hasherOf(types)));
  return typedDigest(domain, hasher, value);
}

function messageHasher(type: MessageTypeName, version: EvidenceTypesVersion): TableHasher {
  const key = `${type}/${version}`;
  let hasher = hashers.get(key);
  if (hasher === undefined) hashers.set(key, (hasher = hasherOf(messageTypes(type, version))));
  return hasher;
}

/** The NRO digest: EIP-712 digest of `{header, body}` under `domain` (its version picks the header). */
export function messageDigest(domain: TypedDataDomain, msg: EvidenceMessage): string {
  const version = domainTypesVersion(domain);
  return typedDigest(domain, messageHasher(msg.type, version), {
    header: signedHeader(domain, msg.header),
    body: msg.body,
  });
}

export function receiptDigest(domain: TypedDataDomain, receipt: Receipt): string {
  return typedDigest(domain, receiptHasher, receipt as unknown as Record<string, unknown>);
}

/**
 * Signs `msg` with `key` (a registered signing key of `party`): the proof of origin. Under a
 * version 2 domain (every ledger deployed today) `addressing` names the receiver and the receipt
 * deadline, which become part of the signed header; a missing or invalid one is
 * `EvidenceError("BAD_INPUT")`. Under a version 1 domain it must be absent.
 */
export async function signMessage<T extends MessageTypeName>(
  key: Signer,
  party: string,
  domain: TypedDataDomain,
  message: EvidenceMessage<T>,
  addressing?: Addressing,
): Promise<SignedMessage<T>> {
  const version = domainTypesVersion(domain);
  if (version === 1 && addressing) {
    throw new EvidenceError("BAD_INPUT", "a version 1 message has no receiver or receipt deadline");
  }
  const msg = version === 1 ? message : addressMessage(message, party, addressing);
  const header = signedHeader(domain, msg.header);
  const digest = messageDigest(domain, msg);
  const { signer, signature } = await signDigest(key, digest, () => key.signTypedData(domain, messageTypes(msg.type, version), { header, body: msg.body }));
  return { ...msg, header, party, signer, signature, digest };
}

/** Signs a receipt over `nroDigest`: the proof of receipt. */
export async function signReceipt(
  key: Signer,
  receiver: string,
  domain: TypedDataDomain,
  receipt: Receipt,
): Promise<SignedReceipt> {
  const digest = receiptDigest(domain, receipt);
  const { signer, signature } = await signDigest(key, digest, () => key.signTypedData(domain, RECEIPT_TYPES, receipt));
  return { receipt, receiver, signer, signature, digest };
}

/**
 * Signs the EIP-712 `digest`: a local key (an ethers wallet) signs the digest itself (hashed
 * once, the signature is by the key over that digest by construction); any other signer signs the
 * typed data through `signTypedData`, and its answer must recover to its address.
 */
export async function signDigest(key: Signer, digest: string, signTypedData: () => Promise<string>): Promise<{ signer: string; signature: string }> {
  if (key instanceof BaseWallet) return { signer: key.address, signature: key.signingKey.sign(digest).serialized };
  const signature = await signTypedData();
  const signer = recoverSigner(digest, signature);
  if (signer !== (await key.getAddress())) {
    throw new EvidenceError("BAD_SIGNATURE", "signature does not recover to the signing key", { digest });
  }
  return { signer, signature };
}

/** True if `signed.signature` is by `signed.signer` over the message contents under `domain`. */
export function verifyMessageSignature(domain: TypedDataDomain, signed: SignedMessage): boolean {
  try {
    const digest = messageDigest(domain, signed);
    return digest === signed.digest && isSignedBy(digest, signed.signature, signed.signer);
  } catch {
    return false;
  }
}

export function verifyReceiptSignature(domain: TypedDataDomain, signed: SignedReceipt): boolean {
  try {
    const digest = receiptDigest(domain, signed.receipt);
    return digest === signed.digest && isSignedBy(digest, signed.signature, signed.signer);
  } catch {
    return false;
  }
}
