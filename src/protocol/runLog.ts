/**
 * The LAG's log of protocol runs, the input of its batch acknowledgements. Every message a LAG
 * accepts from a vehicle (an authentication transcript, a hidden discharge answer, a masked
 * status report, a storage answer, an energy bid) is the vehicle's proof of origin; the LAG
 * records its digest here, and one signed acknowledgement over a batch of digests
 * (`batchAck.ts`) is the LAG's proof of receipt toward every vehicle in it. A vehicle computes
 * the same digest from the bytes it sent (`messageDigest`, or `authDigest` for an
 * authentication) and checks its inclusion.
 */
import { transcriptDigest } from "./transcript.js";

/** What kind of run a digest records. */
export type RunKind = "authentication" | "home-authentication" | "discharge-answer" | "status-report" | "storage-answer" | "energy-bid";

/** The digest of one message a vehicle sent (its leaf in an acknowledgement). */
export function messageDigest(bytes: Uint8Array): string {
  return transcriptDigest([bytes]);
}

/** Digests of accepted runs, in order, until taken for a batch. */
export class RunLog {
  private entries: { readonly kind: RunKind; readonly digest: string }[] = [];

  /** Records a digest (duplicates are ignored: a batch holds each digest once). */
  record(kind: RunKind, digest: string): void {
    if (!this.entries.some((e) => e.digest === digest)) this.entries.push({ kind, digest });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Takes every recorded entry (the next batch). */
  take(): { readonly kind: RunKind; readonly digest: string }[] {
    const out = this.entries;
    this.entries = [];
    return out;
  }
}
