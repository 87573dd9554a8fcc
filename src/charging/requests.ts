/**
 * The aggregator receives a REQ_EV: target state of charge by a deadline, maximum power and
 * preferences, signed by the session's pseudonym key and naming its supplier's certificate.
 * Refused: a request not signed by its pseudonym, a certificate that is not the one named, a
 * pseudonym certified by a key that is not a registered supplier key, or outside its window.
 */
import type { TypedDataDomain } from "ethers";
import type { SignedMessage } from "../evidence/messages.js";
import type { SignedArtefact } from "./artefactTypes.js";
import { ChargingError } from "./errors.js";
import { verifyFlowMessage } from "./flowEvidence.js";
import type { KeyDirectory } from "./keyDirectory.js";
import { verifyPseudonymCert, type CertifiedPseudonym } from "./pseudonyms.js";

/** Bits of `ReqEvBody.preferences`. */
export const Preference = { RenewableOnly: 1, OffPeakOnly: 2, AncillaryServices: 4 } as const;

export interface Domains {
  /** The ledger's evidence domain (flow messages). */
  evidence: TypedDataDomain;
  /** The charging domain (artefacts). */
  charging: TypedDataDomain;
}

export interface AcceptedRequest {
  request: SignedMessage<"ReqEv">;
  pseudonym: CertifiedPseudonym;
}

/** Verifies a REQ_EV and its pseudonym certificate at `now`; throws a typed `ChargingError` otherwise. */
export async function acceptRequest(directory: KeyDirectory, domains: Domains, request: SignedMessage<"ReqEv">, cert: SignedArtefact<"PseudonymCert">, now: bigint): Promise<AcceptedRequest> {
  if (request.type !== "ReqEv") throw new ChargingError("BAD_INPUT", "not a REQ_EV", { type: request.type });
  if (!verifyFlowMessage(domains.evidence, request)) throw new ChargingError("BAD_SIGNATURE", "REQ_EV signature does not verify");
  const body = request.body;
  if (request.signer.toLowerCase() !== body.pseudonym.toLowerCase() || request.party.toLowerCase() !== body.pseudonym.toLowerCase()) {
    throw new ChargingError("BAD_SIGNATURE", "REQ_EV is not signed by its pseudonym key", { pseudonym: body.pseudonym, signer: request.signer });
  }
  if (now < request.header.issuedAt || now >= request.header.expiresAt) throw new ChargingError("EXPIRED", "REQ_EV outside its validity window", { now });
  if (body.pseudonymCert !== cert.digest) throw new ChargingError("BAD_INPUT", "REQ_EV names another certificate", { named: body.pseudonymCert, given: cert.digest });
  const pseudonym = await verifyPseudonymCert(directory, domains.charging, cert, now);
  if (pseudonym.pseudonym.toLowerCase() !== body.pseudonym.toLowerCase()) throw new ChargingError("BAD_SIGNATURE", "certificate is for another pseudonym");
  if (body.targetSocBp > 10_000 || body.maxPowerW <= 0 || body.departure <= now) {
    throw new ChargingError("BAD_INPUT", "REQ_EV target, power or departure out of range", { targetSocBp: body.targetSocBp, maxPowerW: body.maxPowerW });
  }
  if (body.preferences > 7) throw new ChargingError("BAD_INPUT", "unknown preference bits", { preferences: body.preferences });
  return { request, pseudonym };
}
