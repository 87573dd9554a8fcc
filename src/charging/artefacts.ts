/**
 * Signs and verifies charging artefacts under the charging domain. Verification checks the
 * signature against the signer it names (strict: low s, v 27/28; what recovering the signer
 * says, `signerKeys.ts`) and asks the key directory whether it is a key of the attributed
 * party, valid at the time given, and whether the party holds the role required.
 */
import type { Signer, TypedDataDomain, TypedDataField } from "ethers";
import { recoverSigner, signDigest, typedDataDigest } from "../evidence/sign.js";
import { EvidenceError } from "../evidence/errors.js";
import { isSignedBy } from "../evidence/signerKeys.js";
import { ChargingError } from "./errors.js";
import { ARTEFACT_FIELDS, type ArtefactOf, type ArtefactType, type SignedArtefact } from "./artefactTypes.js";
import type { ChargingRole, KeyDirectory } from "./keyDirectory.js";

/** One type table object per artefact type (its encoder is built once, `typedDataDigest`). */
const TABLES = Object.fromEntries(Object.entries(ARTEFACT_FIELDS).map(([type, fields]) => [type, { [type]: [...fields] }])) as Record<ArtefactType, Record<string, TypedDataField[]>>;
const typesOf = (type: ArtefactType): Record<string, TypedDataField[]> => TABLES[type];

export function artefactDigest<T extends ArtefactType>(domain: TypedDataDomain, type: T, value: ArtefactOf[T]): string {
  return typedDataDigest(domain, typesOf(type), value as unknown as Record<string, unknown>);
}

/** Signs `value` with `key`, a registered signing key of `party`; checks its own signature. */
export async function signArtefact<T extends ArtefactType>(key: Signer, party: string, domain: TypedDataDomain, type: T, value: ArtefactOf[T]): Promise<SignedArtefact<T>> {
  const digest = artefactDigest(domain, type, value);
  // A local key signs the digest itself (hashed once); any other signer's answer must recover to its address.
  let signed: { signer: string; signature: string };
  try {
    signed = await signDigest(key, digest, () => key.signTypedData(domain, typesOf(type), value as unknown as Record<string, unknown>));
  } catch (error) {
    if (error instanceof EvidenceError && error.code === "BAD_SIGNATURE") throw new ChargingError("BAD_SIGNATURE", "own signature does not recover to the signing key", { type }, error);
    throw error;
  }
  return { type, value, party, signer: signed.signer, signature: signed.signature, digest };
}

/**
 * Throws `ChargingError("BAD_SIGNATURE")` unless `signed` is by a key of `signed.party` valid at
 * `at`, with the party holding `role`; returns the recomputed digest.
 */
export async function verifyArtefact(directory: KeyDirectory, domain: TypedDataDomain, signed: SignedArtefact, role: ChargingRole, at: bigint): Promise<string> {
  let digest: string;
  try {
    digest = artefactDigest(domain, signed.type, signed.value as never);
  } catch (cause) {
    throw new ChargingError("BAD_INPUT", "artefact does not encode", { type: signed.type }, cause);
  }
  // What `recoverSigner(digest, signature) === signed.signer` says, through the signer's known key.
  if (!isSignedBy(digest, signed.signature, signed.signer)) {
    try {
      recoverSigner(digest, signed.signature);
    } catch (cause) {
      throw new ChargingError("BAD_SIGNATURE", "artefact signature is malformed", { type: signed.type }, cause);
    }
    throw new ChargingError("BAD_SIGNATURE", "artefact signature is not by its signer (tampered?)", { type: signed.type, digest });
  }
  const signer = signed.signer;
  if (!(await directory.isKeyValid(signed.party, signer, at))) {
    throw new ChargingError("BAD_SIGNATURE", "artefact signer is not a registered key of its party at that time", { type: signed.type, party: signed.party, signer });
  }
  if (!(await directory.hasRole(role, signed.party))) {
    throw new ChargingError("BAD_SIGNATURE", `artefact party does not hold the ${role} role`, { type: signed.type, party: signed.party });
  }
  return digest;
}
