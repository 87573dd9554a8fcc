/**
 * The aggregator receives a REQ_EV: target state of charge by a deadline, maximum power and
 * preferences, signed by the session's pseudonym key and naming its supplier's certificate.
 * Refused: a request not signed by its pseudonym, addressed to another aggregator, a certificate
 * that is not the one named, a pseudonym certified by a key that is not a registered supplier
 * key, or outside its window. An accepted request is receipted by the aggregator (NRR) and both
 * are stored in the aggregator's evidence store with the certificate; the user keeps them with
 * `keepWithReceipt`.
 */
import type { TypedDataDomain } from "ethers";
import type { SignedMessage, SignedReceipt } from "../evidence/messages.js";
import type { EvidenceStore } from "../evidence/store.js";
import type { SignedArtefact } from "./artefactTypes.js";
import { ChargingError } from "./errors.js";
import { checkIncoming, ownKey, receiptAndStore, type FlowParty } from "./flowEvidence.js";
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
  /** The aggregator's receipt of the request. */
  receipt: SignedReceipt;
}

/**
 * The aggregator receives a REQ_EV at `now`: verifies it and its pseudonym certificate, signs its
 * receipt and stores both in `store`; throws a typed `ChargingError` (and stores nothing) otherwise.
 */
export async function acceptRequest(
  directory: KeyDirectory,
  domains: Domains,
  aggregator: FlowParty,
  store: EvidenceStore,
  request: SignedMessage<"ReqEv">,
  cert: SignedArtefact<"PseudonymCert">,
  now: bigint,
): Promise<AcceptedRequest> {
  await checkIncoming(aggregator.address, domains.evidence, request, "ReqEv", request.body.pseudonym, ownKey, now);
  const body = request.body;
  if (body.pseudonymCert !== cert.digest) throw new ChargingError("BAD_INPUT", "REQ_EV names another certificate", { named: body.pseudonymCert, given: cert.digest });
  const pseudonym = await verifyPseudonymCert(directory, domains.charging, cert, now);
  if (pseudonym.pseudonym.toLowerCase() !== body.pseudonym.toLowerCase()) throw new ChargingError("BAD_SIGNATURE", "certificate is for another pseudonym");
  if (body.targetSocBp > 10_000 || body.maxPowerW <= 0 || body.departure <= now) {
    throw new ChargingError("BAD_INPUT", "REQ_EV target, power or departure out of range", { targetSocBp: body.targetSocBp, maxPowerW: body.maxPowerW });
  }
  if (body.preferences > 7) throw new ChargingError("BAD_INPUT", "unknown preference bits", { preferences: body.preferences });
  // The certificate is evidence too: it is what attributes the pseudonym's messages to a customer of S.
  store.certificates.put(cert);
  const receipt = await receiptAndStore(aggregator, domains.evidence, store, request, now);
  return { request, pseudonym, receipt };
}
