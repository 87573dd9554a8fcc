/**
 * Session pseudonyms. A user's supplier certifies a fresh pseudonym key per session ("a customer
 * of S", a validity window); the aggregator verifies the certificate against the registry and
 * learns only the group. The link pseudonym → user stays in the supplier's own book, so
 * incentives paid to a pseudonym still reach the right user.
 */
import type { Signer, TypedDataDomain } from "ethers";
import { customerGroup, type PseudonymCert } from "../evidence/pseudonymCerts.js";
import { signArtefact, verifyArtefact } from "./artefacts.js";
import type { SignedArtefact } from "./artefactTypes.js";
import { ChargingError } from "./errors.js";
import { randomNonce } from "./flowEvidence.js";
import type { KeyDirectory } from "./keyDirectory.js";

export { customerGroup } from "../evidence/pseudonymCerts.js";

/** The supplier's side: issues certificates and keeps the private link to its users. */
export class PseudonymIssuer {
  private readonly links = new Map<string, string>();

  constructor(
    readonly supplier: string,
    private readonly key: Signer,
    private readonly domain: TypedDataDomain,
  ) {}

  async certify(user: string, pseudonym: string, validFrom: bigint, validUntil: bigint): Promise<SignedArtefact<"PseudonymCert">> {
    if (validUntil <= validFrom) throw new ChargingError("BAD_INPUT", "certificate window must not be empty", { validFrom, validUntil });
    if (this.links.has(pseudonym.toLowerCase())) throw new ChargingError("BAD_INPUT", "pseudonym already certified", { pseudonym });
    const value: PseudonymCert = { pseudonym, supplier: this.supplier, group: customerGroup(this.supplier), validFrom, validUntil, nonce: randomNonce() };
    const signed = await signArtefact(this.key, this.supplier, this.domain, "PseudonymCert", value);
    this.links.set(pseudonym.toLowerCase(), user);
    return signed;
  }

  /** The user behind a pseudonym (only the issuing supplier can answer). */
  userOf(pseudonym: string): string | undefined {
    return this.links.get(pseudonym.toLowerCase());
  }
}

export interface CertifiedPseudonym {
  pseudonym: string;
  /** What the aggregator learns: the supplier whose customer this is, and the group id. */
  supplier: string;
  group: string;
  certDigest: string;
}

/** Verifies a pseudonym certificate at `at`: signed by a registered key of a supplier, in its window. */
export async function verifyPseudonymCert(directory: KeyDirectory, domain: TypedDataDomain, cert: SignedArtefact<"PseudonymCert">, at: bigint): Promise<CertifiedPseudonym> {
  if (cert.type !== "PseudonymCert") throw new ChargingError("BAD_INPUT", "not a pseudonym certificate", { type: cert.type });
  const c = cert.value;
  if (c.supplier.toLowerCase() !== cert.party.toLowerCase()) throw new ChargingError("BAD_SIGNATURE", "certificate names another supplier than its signer's party");
  const certDigest = await verifyArtefact(directory, domain, cert, "SUPPLIER", at);
  if (at < c.validFrom || at >= c.validUntil) throw new ChargingError("EXPIRED", "pseudonym certificate outside its validity window", { at, validFrom: c.validFrom, validUntil: c.validUntil });
  if (c.group !== customerGroup(c.supplier)) throw new ChargingError("BAD_INPUT", "certificate group is not the supplier's customer group");
  return { pseudonym: c.pseudonym, supplier: c.supplier, group: c.group, certDigest };
}
