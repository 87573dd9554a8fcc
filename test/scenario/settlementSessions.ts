/**
 * Roaming sessions as the charging layer records them: an OCMF meter at the host's charger, its
 * signed MeterReadings (the EVSE's, received and receipted by the host), the host's CDR priced from
 * them (src/charging/cdr.ts), sent to the home supplier, which receipts it; the host keeps the CDR
 * with that receipt. Every record lands in the evidence store of the party that holds it.
 */
import { encodeBytes32String, hexlify, keccak256, randomBytes, toUtf8Bytes, type TypedDataDomain } from "ethers";
import { ArtefactStore } from "../../src/charging/artefactStore.js";
import { issueCdr } from "../../src/charging/cdr.js";
import { keepWithReceipt, receiptAndStore, FlowSequences, type FlowParty } from "../../src/charging/flowEvidence.js";
import { recordTransaction } from "../../src/charging/metering.js";
import { OCMF_CURVES } from "../../src/charging/ocmf/curves.js";
import { OcmfMeter } from "../../src/charging/ocmf/meter.js";
import { MeterKeyring } from "../../src/charging/ocmf/verify.js";
import type { SlotPrices } from "../../src/charging/prices.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import type { EvidenceStore } from "../../src/evidence/store.js";

export interface SessionSides {
  host: FlowParty;
  hostStore: EvidenceStore;
  home: FlowParty;
  homeStore: EvidenceStore;
  /** The host's charger: signs the meter readings (its key must be registered for them to verify). */
  evse: FlowParty;
  evseStore: EvidenceStore;
}

export interface SessionPlan {
  /** Start of the session, seconds. */
  start: bigint;
  /** Energy delivered in each 10-minute step, Wh. */
  stepsWh: number[];
  /** Tariff: one price (micro-units per kWh) for all of the session. */
  priceMicroPerKWh: bigint;
}

const STEP_MS = 600_000;

/** Records one roaming session of `sides` and returns the host's CDR (in both stores with the home's receipt). */
export async function roamingSession(domain: TypedDataDomain, sides: SessionSides, plan: SessionPlan): Promise<SignedMessage<"ChargeDetailRecord">> {
  const serial = `M-${hexlify(randomBytes(4)).slice(2)}`;
  const meter = new OcmfMeter({ serial, gateway: "EVSE", gatewaySerial: serial }, OCMF_CURVES.secp256r1.ecdsa.utils.randomSecretKey());
  const keyring = new MeterKeyring();
  keyring.register(serial, meter.publicKey());
  const t0 = Number(plan.start) * 1000;
  let wh = 10_000;
  const records = [meter.begin("s", t0, wh)];
  plan.stepsWh.forEach((step, i) => {
    wh += step;
    records.push(i === plan.stepsWh.length - 1 ? meter.end(t0 + (i + 1) * STEP_MS, wh) : meter.progress(t0 + (i + 1) * STEP_MS, wh));
  });
  const sessionId = keccak256(toUtf8Bytes(`session ${serial}`));
  const artefacts = ArtefactStore.open(":memory:");
  const sequences = new FlowSequences();
  try {
    const metered = await recordTransaction(sides.evse, sequences, domain, sides.evseStore, artefacts, sessionId, sides.host.address, records.map((r) => keyring.verify(r)));
    for (const reading of metered.readings) await receiptAndStore(sides.host, domain, sides.hostStore, reading, reading.header.issuedAt + 1n);
    const end = plan.start + BigInt((plan.stepsWh.length * STEP_MS) / 1000);
    const slots = Math.ceil(plan.stepsWh.length / 6) + 1;
    const prices: SlotPrices = {
      tariffId: encodeBytes32String("roaming"), start: plan.start, slotSeconds: 3600,
      importPrice: Array(slots).fill(plan.priceMicroPerKWh), exportPrice: Array(slots).fill(0n), peak: Array(slots).fill(false),
    };
    const { cdr } = await issueCdr(sides.host, sequences, domain, sides.hostStore, { cdrId: keccak256(toUtf8Bytes(`cdr ${serial}`)), homeSupplier: sides.home.address, metered, prices, issuedAt: end + 30n });
    const receipt = await receiptAndStore(sides.home, domain, sides.homeStore, cdr, end + 40n);
    const homeKey = (await sides.home.key.getAddress()).toLowerCase();
    await keepWithReceipt(domain, sides.hostStore, cdr, receipt, async (party, signer) => party.toLowerCase() === sides.home.address.toLowerCase() && signer.toLowerCase() === homeKey);
    return cdr;
  } finally {
    artefacts.close();
  }
}
