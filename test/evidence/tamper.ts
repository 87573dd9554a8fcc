/** Tampering helpers for the verdict tests: re-sign one message of a bundle with other header values or another key. */
import type { EvidenceBundle } from "../../src/evidence/bundle.js";
import type { Header } from "../../src/evidence/messages.js";
import { signMessage, signReceipt } from "../../src/evidence/sign.js";
import type { PartyName, SessionFixture } from "./session.js";

const NAMES: PartyName[] = ["aggregator", "meter", "supplierA", "supplierB"];

export function partyName(f: SessionFixture, address: string): PartyName {
  const name = NAMES.find((n) => f.fx.participants[n].address === address);
  if (!name) throw new Error(`no party ${address}`);
  return name;
}

/**
 * Replaces message `digest` of `bundle` by the same message with `header` changes, signed by its
 * party's key (or by `key`'s), and re-signs its receipt over the new digest so only the change shows.
 * Returns the new message's index.
 */
export async function resign(
  f: SessionFixture,
  bundle: EvidenceBundle,
  digest: string,
  change: { header?: Partial<Header>; key?: PartyName },
): Promise<number> {
  const index = bundle.messages.findIndex((m) => m.digest === digest);
  const m = bundle.messages[index]!;
  const key = f.fx.keys[change.key ?? partyName(f, m.party)]!;
  const next = await signMessage(key, m.party, f.fx.domain, {
    type: m.type,
    header: { ...m.header, ...change.header },
    body: m.body,
  });
  bundle.messages[index] = next;
  const ri = bundle.receipts.findIndex((r) => r.receipt.nroDigest === m.digest);
  if (ri >= 0) {
    const old = bundle.receipts[ri]!;
    const receipt = { ...old.receipt, nroDigest: next.digest };
    bundle.receipts[ri] = await signReceipt(f.fx.keys[partyName(f, old.receiver)]!, old.receiver, f.fx.domain, receipt);
  }
  return index;
}

export function indexOf(bundle: EvidenceBundle, digest: string): number {
  const i = bundle.messages.findIndex((m) => m.digest === digest);
  if (i < 0) throw new Error("message not in bundle");
  return i;
}
