/**
 * The pseudonym certificates an evidence store keeps (`store.certificates`): the supplier's
 * certificate of each session pseudonym the party dealt with, kept beside the messages that
 * pseudonym signed, so a bundle built from the store can prove who vouched for the key.
 * Write-once by digest: the same digest with other contents is refused, never overwritten.
 */
import { parseAddress, parseBytes32 } from "./codec.js";
import { EvidenceError } from "./errors.js";
import { encodePseudonymCert, signedPseudonymCertSchema, type SignedPseudonymCert } from "./pseudonymCerts.js";
import { isSignedBy } from "./signerKeys.js";
import type { SqlDatabase } from "./storeDb.js";

/** The certificate in its canonical form (checksummed addresses, lower-case hex, exact types); `BAD_INPUT` otherwise. */
function normalise(cert: SignedPseudonymCert): SignedPseudonymCert {
  let parsed;
  try {
    parsed = signedPseudonymCertSchema.safeParse(encodePseudonymCert(cert));
  } catch (cause) {
    throw new EvidenceError("BAD_INPUT", "invalid pseudonym certificate", {}, cause);
  }
  if (!parsed.success) throw new EvidenceError("BAD_INPUT", "invalid pseudonym certificate", { issues: parsed.error.issues });
  return parsed.data;
}

export class CertificateBook {
  constructor(private readonly sql: SqlDatabase) {}

  /**
   * Keeps `cert` after checking its form and that its signature over its digest is by its signer
   * (that the digest is the certificate's under the registry's domain, and that the signer is a
   * key of the supplier, the verifier checks against the chain). "duplicate" if already kept.
   */
  put(cert: SignedPseudonymCert): "inserted" | "duplicate" {
    const c = normalise(cert);
    if (!isSignedBy(c.digest, c.signature, c.signer)) {
      throw new EvidenceError("BAD_SIGNATURE", "certificate signature is not by its signer", { digest: c.digest });
    }
    const json = JSON.stringify(encodePseudonymCert(c));
    return this.sql.transaction(() => {
      const existing = this.sql.get("SELECT json FROM certificates WHERE digest = ?", c.digest);
      if (existing !== undefined) {
        if (String(existing.json) !== json) throw new EvidenceError("STORE", "another certificate is kept under this digest", { digest: c.digest });
        return "duplicate";
      }
      this.sql.run("INSERT INTO certificates (digest, pseudonym, json) VALUES (?, ?, ?)", c.digest, c.value.pseudonym.toLowerCase(), json);
      return "inserted";
    });
  }

  get(digest: string): SignedPseudonymCert | null {
    const row = this.sql.get("SELECT json FROM certificates WHERE digest = ?", parseBytes32(digest, "digest"));
    return row ? signedPseudonymCertSchema.parse(JSON.parse(String(row.json))) : null;
  }

  /** The certificates kept for `pseudonym`, oldest first. */
  of(pseudonym: string): SignedPseudonymCert[] {
    const rows = this.sql.all("SELECT json FROM certificates WHERE pseudonym = ? ORDER BY rowid", parseAddress(pseudonym, "pseudonym").toLowerCase());
    return rows.map((r) => signedPseudonymCertSchema.parse(JSON.parse(String(r.json))));
  }
}
