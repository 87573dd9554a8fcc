/**
 * Signs and verifies charging artefacts under the charging domain. Verification recovers the
 * signer (strict: low s, v 27/28) and asks the key directory whether it is a key of the
 * attributed party, valid at the time given, and whether the party holds the role required.
 */
import { TypedDataEncoder, type Signer, type TypedDataDomain } from "ethers";
import { recoverSigner } from "../evidence/sign.js";
import { ChargingError } from "./errors.js";
import { ARTEFACT_FIELDS, type ArtefactOf, type ArtefactType, type SignedArtefact } from "./artefactTypes.js";
import type { ChargingRole, KeyDirectory } from "./keyDirectory.js";

const typesOf = (type: ArtefactType) => ({ [type]: [...ARTEFACT_FIELDS[type]] });

export function artefactDigest<T extends ArtefactType>(domain: TypedDataDomain, type: T, value: ArtefactOf[T]): string {
  return TypedDataEncoder.hash(domain, typesOf(type), value as unknown as Record<string, unknown>);
}

/** Signs `value` with `key`, a registered signing key of `party`; checks its own signature. */
export async function signArtefact<T extends ArtefactType>(key: Signer, party: string, domain: TypedDataDomain, type: T, value: ArtefactOf[T]): Promise<SignedArtefact<T>> {
  const signature = await key.signTypedData(domain, typesOf(type), value as unknown as Record<string, unknown>);
  const digest = artefactDigest(domain, type, value);
  const signer = recoverSigner(digest, signature);
  if (signer !== (await key.getAddress())) throw new ChargingError("BAD_SIGNATURE", "own signature does not recover to the signing key", { type });
  return { type, value, party, signer, signature, digest };
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
  let signer: string;
  try {
    signer = recoverSigner(digest, signed.signature);
  } catch (cause) {
    throw new ChargingError("BAD_SIGNATURE", "artefact signature is malformed", { type: signed.type }, cause);
  }
  if (signer !== signed.signer) throw new ChargingError("BAD_SIGNATURE", "artefact signature is not by its signer (tampered?)", { type: signed.type, digest });
  if (!(await directory.isKeyValid(signed.party, signer, at))) {
    throw new ChargingError("BAD_SIGNATURE", "artefact signer is not a registered key of its party at that time", { type: signed.type, party: signed.party, signer });
  }
  if (!(await directory.hasRole(role, signed.party))) {
    throw new ChargingError("BAD_SIGNATURE", `artefact party does not hold the ${role} role`, { type: signed.type, party: signed.party });
  }
  return digest;
}
