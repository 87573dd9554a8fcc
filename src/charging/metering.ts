/**
 * From verified OCMF records to `MeterReading` evidence: one signed message per record,
 * carrying the keccak256 of the record's exact bytes; the record itself goes to the artefact
 * store. Records that do not verify or break continuity produce nothing.
 */
import { keccak256, toUtf8Bytes, type TypedDataDomain } from "ethers";
import type { SignedMessage } from "../evidence/messages.js";
import type { EvidenceStore } from "../evidence/store.js";
import type { ArtefactStore } from "./artefactStore.js";
import { ChargingError } from "./errors.js";
import { flowHeader, signFlowMessage, type FlowParty, type FlowSequences } from "./flowEvidence.js";
import { checkContinuity, type TransactionReadings, type ValidVerdict } from "./ocmf/continuity.js";
import { ocmfTime, readingWh } from "./ocmf/record.js";
import type { OcmfVerdict } from "./ocmf/verify.js";

/** Import and export registers (OBIS) of an OCMF reading. */
const EXPORT_REGISTERS = new Set(["1-b:2.8.0", "1-0:2.8.0"]);

/** A meter value as integer milliwatt-hours (the unit CDR arithmetic is exact in). */
export const milliWh = (wh: number): bigint => BigInt(Math.round(wh * 1000));

export interface MeteredTransaction {
  readings: SignedMessage<"MeterReading">[];
  /** Every (time, cumulative mWh) point of the transaction, in order. */
  points: { at: number; mWh: bigint }[];
  summary: TransactionReadings;
}

/** Verifies the transaction's continuity, keeps its records and signs one `MeterReading` per record. */
export async function recordTransaction(
  meter: FlowParty,
  /** The meter's sequence numbers: each reading takes the next one of the session. */
  sequences: FlowSequences,
  domain: TypedDataDomain,
  store: EvidenceStore,
  artefacts: ArtefactStore,
  sessionId: string,
  /** The host supplier that prices the readings: the receiver of every `MeterReading`. */
  receiver: string,
  verdicts: readonly OcmfVerdict[],
  validitySeconds = 86_400n,
): Promise<MeteredTransaction> {
  const bad = verdicts.find((v) => !v.valid);
  if (bad !== undefined && !bad.valid) throw new ChargingError("REFUSED", `OCMF record refused: ${bad.reason}`, { reason: bad.reason, detail: bad.detail });
  const valid = verdicts as readonly ValidVerdict[];
  const { issues, readings: summary } = checkContinuity(valid);
  if (summary === undefined) throw new ChargingError("REFUSED", `OCMF transaction breaks continuity: ${issues.map((i) => i.kind).join(", ")}`, { issues });
  const readings: SignedMessage<"MeterReading">[] = [];
  const points: { at: number; mWh: bigint }[] = [];
  artefacts.putAll(valid.map((v) => ({ kind: "ocmf", digest: v.recordHash, body: v.record.raw })));
  for (const v of valid) {
    let importWh = 0;
    let exportWh = 0;
    let at = 0;
    for (const rd of v.record.payload.RD) {
      at = ocmfTime(rd.TM);
      if (EXPORT_REGISTERS.has(String(rd.RI))) exportWh = readingWh(rd);
      else {
        importWh = readingWh(rd);
        points.push({ at, mWh: milliWh(importWh) });
      }
    }
    const readAt = BigInt(Math.floor(at / 1000));
    const seq = sequences.take(meter.address, sessionId);
    const body = {
      meterId: keccak256(toUtf8Bytes(String(v.record.payload.MS ?? ""))),
      readAt,
      importWh: BigInt(Math.floor(importWh)),
      exportWh: BigInt(Math.floor(exportWh)),
      ocmfHash: v.recordHash,
    };
    // The receiver may receipt a reading as long as it is valid (readings of a whole day arrive at its end).
    readings.push(await signFlowMessage(meter, domain, "MeterReading", flowHeader(sessionId, seq, readAt, readAt + validitySeconds, receiver, validitySeconds), body));
  }
  store.putMessages(readings);
  return { readings, points, summary };
}
