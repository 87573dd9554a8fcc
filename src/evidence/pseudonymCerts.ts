/**
 * Pseudonym certificates as evidence. A session's messages from the vehicle are signed by a fresh
 * pseudonym key that no registry knows; what makes them attributable is the certificate by which
 * the user's supplier vouched for that key: the EIP-712 struct
 * `PseudonymCert(address pseudonym,address supplier,bytes32 group,uint64 validFrom,uint64 validUntil,bytes32 nonce)`
 * signed by one of the supplier's registered keys under the charging domain of the participant
 * registry (`{ name: "V2G Smart Charging", version: "1", chainId, verifyingContract: registry }`).
 * This module is the one definition of that format (the charging layer issues certificates with
 * it, the verifier checks them), its JSON form and the checks that need no chain.
 */
import { AbiCoder, keccak256, TypedDataEncoder, type TypedDataDomain, type TypedDataField } from "ethers";
import { z } from "zod";
import { addressSchema, bytes32Schema, encodeStruct, signatureSchema, structSchema, type Json } from "./codec.js";
import { isSignedBy } from "./signerKeys.js";

export const CERTIFICATE_DOMAIN_NAME = "V2G Smart Charging";
export const CERTIFICATE_DOMAIN_VERSION = "1";

/** The domain participants of the registry sign certificates (and other charging artefacts) under. */
export function certificateDomain(chainId: bigint | number, registry: string): TypedDataDomain {
  return { name: CERTIFICATE_DOMAIN_NAME, version: CERTIFICATE_DOMAIN_VERSION, chainId: BigInt(chainId), verifyingContract: registry };
}

const f = (name: string, type: string): TypedDataField => ({ name, type });

/** The signed fields of a pseudonym certificate, in EIP-712 order. */
export const PSEUDONYM_CERT_FIELDS = [
  f("pseudonym", "address"),
  f("supplier", "address"),
  f("group", "bytes32"),
  f("validFrom", "uint64"),
  f("validUntil", "uint64"),
  f("nonce", "bytes32"),
] as const;

/** A supplier certifies `pseudonym` as "a customer of `supplier`" for `[validFrom, validUntil)`. */
export interface PseudonymCert {
  pseudonym: string;
  supplier: string;
  group: string;
  validFrom: bigint;
  validUntil: bigint;
  nonce: string;
}

/** A signed certificate: attributed to `party` (the supplier), signed by its key `signer`. */
export interface SignedPseudonymCert {
  type: "PseudonymCert";
  value: PseudonymCert;
  party: string;
  signer: string;
  signature: string;
  digest: string;
}

/** The group attribute "customer of `supplier`". */
export function customerGroup(supplier: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["string", "address"], ["customer of", supplier]));
}

export function pseudonymCertDigest(domain: TypedDataDomain, value: PseudonymCert): string {
  return TypedDataEncoder.hash(domain, { PseudonymCert: [...PSEUDONYM_CERT_FIELDS] }, value as unknown as Record<string, unknown>);
}

/** Schema of the JSON form of a signed certificate (strict; decodes the value types). */
export const signedPseudonymCertSchema = z
  .object({
    type: z.literal("PseudonymCert"),
    value: structSchema(PSEUDONYM_CERT_FIELDS),
    party: addressSchema,
    signer: addressSchema,
    signature: signatureSchema,
    digest: bytes32Schema,
  })
  .strict() as unknown as z.ZodType<SignedPseudonymCert, z.ZodTypeDef, unknown>;

export function encodePseudonymCert(c: SignedPseudonymCert): Record<string, Json> {
  return {
    type: c.type,
    value: encodeStruct(PSEUDONYM_CERT_FIELDS, c.value),
    party: c.party,
    signer: c.signer,
    signature: c.signature.toLowerCase(),
    digest: c.digest.toLowerCase(),
  };
}

/**
 * The checks of a certificate that need no chain: its digest is the one of its value under
 * `domain`, its signature is by `signer` (strict ECDSA), it names its own party as the supplier
 * and that supplier's customer group, and its window is not empty. Whether `signer` is a key of
 * that supplier, valid when the certificate was issued, is the chain's to say.
 */
export function certificateSelfConsistent(domain: TypedDataDomain, c: SignedPseudonymCert): boolean {
  const v = c.value;
  try {
    const digest = pseudonymCertDigest(domain, v);
    return (
      digest === c.digest.toLowerCase() &&
      isSignedBy(digest, c.signature, c.signer) &&
      v.supplier.toLowerCase() === c.party.toLowerCase() &&
      v.group.toLowerCase() === customerGroup(v.supplier).toLowerCase() &&
      v.validFrom < v.validUntil
    );
  } catch {
    return false;
  }
}
