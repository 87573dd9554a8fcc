/**
 * A pseudonymous session on the in-process chain, as the charging flow signs it: a vehicle's
 * REQ_EV, its confirmation and its receipt of the schedule signed by a fresh session pseudonym
 * that a supplier certified, the aggregator's schedule and receipts, all kept with the certificate
 * in the aggregator's store, anchored, and bundled with a snapshot of the chain.
 */
import { Wallet, type Signer } from "ethers";
import { chargingDomain } from "../../src/charging/artefactTypes.js";
import { signArtefact } from "../../src/charging/artefacts.js";
import { flowHeader, signFlowMessage, signFlowReceipt, type FlowParty } from "../../src/charging/flowEvidence.js";
import { PseudonymIssuer } from "../../src/charging/pseudonyms.js";
import { anchorNextBatch } from "../../src/evidence/anchor.js";
import { buildBundle } from "../../src/evidence/bundle.js";
import { customerGroup, type PseudonymCert } from "../../src/evidence/pseudonymCerts.js";
import { randomId } from "./offline.js";
import type { SessionTools } from "./session.js";

export interface CertifyBy {
  /** The participant the certificate is attributed to (its `supplier` and `party`). */
  party: string;
  /** The key that signs it. */
  key: Signer;
}

export interface SessionOptions {
  certifier?: CertifyBy;
  /** Certificate window (default: from half a minute before the session, for a day). */
  window?: [bigint, bigint];
  /** When the confirmation is signed (default: the session's time). */
  confirmedAt?: bigint;
  /** Fields of the certificate the certifier signs in place of what `PseudonymIssuer` would. */
  certValue?: Partial<PseudonymCert>;
}

/**
 * A pseudonymous session between a vehicle and the aggregator, stored in the aggregator's store
 * with the certificate, anchored, and bundled with a snapshot of the chain.
 */
export async function pseudonymSession(t: SessionTools, o: SessionOptions = {}) {
  const { fx, conn } = t;
  const at = BigInt(await conn.networkHelpers.time.latest());
  const certifier = o.certifier ?? { party: fx.participants.supplierA.address, key: fx.keys.supplierA! };
  const registry = await fx.registry.getAddress();
  const charging = chargingDomain(fx.chainId, registry);
  const key = Wallet.createRandom();
  const pseudonym: FlowParty = { address: key.address, key };
  const aggregator: FlowParty = { address: fx.participants.aggregator.address, key: fx.keys.aggregator! };
  const [from, until] = o.window ?? [at - 30n, at + 86_400n];
  const cert = o.certValue
    ? await signArtefact(certifier.key, certifier.party, charging, "PseudonymCert", {
        pseudonym: key.address, supplier: certifier.party, group: customerGroup(certifier.party), validFrom: from, validUntil: until, nonce: randomId(), ...o.certValue,
      })
    : await new PseudonymIssuer(certifier.party, certifier.key, charging).certify(Wallet.createRandom().address, key.address, from, until);
  const sessionId = randomId();
  const request = await signFlowMessage(pseudonym, fx.domain, "ReqEv", flowHeader(sessionId, 0n, at, at + 600n, aggregator.address), {
    pseudonym: key.address,
    pseudonymCert: cert.digest,
    targetSocBp: 8000,
    departure: at + 3_600n,
    maxPowerW: 11_000,
    preferences: 0,
  });
  const schedule = await signFlowMessage(aggregator, fx.domain, "Schedule", flowHeader(sessionId, 0n, at, at + 900n, key.address), {
    requestDigest: request.digest,
    start: at,
    slotSeconds: 900,
    powerW: [11_000, 0],
    costEstimate: 1n,
    revision: 0,
  });
  const confirmedAt = o.confirmedAt ?? at;
  const confirmation = await signFlowMessage(pseudonym, fx.domain, "Confirmation", flowHeader(sessionId, 1n, confirmedAt, confirmedAt + 900n, aggregator.address), {
    scheduleDigest: schedule.digest,
    decision: 0,
  });
  const receipts = [
    await signFlowReceipt(aggregator, fx.domain, request, at),
    await signFlowReceipt(pseudonym, fx.domain, schedule, at),
    await signFlowReceipt(aggregator, fx.domain, confirmation, confirmedAt),
  ];
  t.store.certificates.put(cert);
  t.store.putMessages([request, schedule, confirmation]);
  t.store.putReceipts(receipts);
  await anchorNextBatch(t.store, t.account("aggregator"), { kind: "Messages" });
  await anchorNextBatch(t.store, t.account("aggregator"), { kind: "Receipts" });
  const bundle = await buildBundle(t.store, sessionId, { provider: conn.ethers.provider });
  return { bundle, cert, key, request, schedule, confirmation, receipts, charging };
}
