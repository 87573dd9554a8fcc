/**
 * Continuity of one transaction's verified OCMF records, in the order received: pagination
 * without gaps, meter values that never decrease, time that never goes back, one meter, one
 * key (begin and end signed by different keys are refused), a begin first and an end last.
 */
import { ocmfTime, pagination, readingWh } from "./record.js";
import type { OcmfVerdict } from "./verify.js";

export type ContinuityIssue =
  | { kind: "pagination-gap"; index: number; expected: number; got: number }
  | { kind: "value-decreased"; index: number; fromWh: number; toWh: number }
  | { kind: "time-went-back"; index: number }
  | { kind: "meter-changed"; index: number }
  | { kind: "signer-changed"; index: number }
  | { kind: "missing-begin" }
  | { kind: "missing-end" };

export type ValidVerdict = Extract<OcmfVerdict, { valid: true }>;

export interface TransactionReadings {
  /** First and last meter values (Wh) and times (ms) of the transaction. */
  startWh: number;
  endWh: number;
  startAt: number;
  endAt: number;
}

export function checkContinuity(records: readonly ValidVerdict[]): { issues: ContinuityIssue[]; readings?: TransactionReadings } {
  const issues: ContinuityIssue[] = [];
  if (records.length === 0) return { issues: [{ kind: "missing-begin" }, { kind: "missing-end" }] };
  const first = records[0]!;
  let lastPage: number | undefined;
  let lastWh = -Infinity;
  let lastAt = -Infinity;
  records.forEach((v, index) => {
    const { payload } = v.record;
    const page = pagination(payload.PG);
    if (lastPage !== undefined && page.n !== lastPage + 1) issues.push({ kind: "pagination-gap", index, expected: lastPage + 1, got: page.n });
    lastPage = page.n;
    if (payload.MS !== first.record.payload.MS) issues.push({ kind: "meter-changed", index });
    if (v.publicKeyHex !== first.publicKeyHex) issues.push({ kind: "signer-changed", index });
    for (const rd of payload.RD) {
      const wh = readingWh(rd);
      const at = ocmfTime(rd.TM);
      if (wh < lastWh) issues.push({ kind: "value-decreased", index, fromWh: lastWh, toWh: wh });
      if (at < lastAt) issues.push({ kind: "time-went-back", index });
      lastWh = Math.max(lastWh, wh);
      lastAt = Math.max(lastAt, at);
    }
  });
  const all = records.flatMap((v) => v.record.payload.RD);
  if (all[0]!.TX !== "B") issues.push({ kind: "missing-begin" });
  if (all[all.length - 1]!.TX !== "E") issues.push({ kind: "missing-end" });
  const readings: TransactionReadings = {
    startWh: readingWh(all[0]!),
    endWh: readingWh(all[all.length - 1]!),
    startAt: ocmfTime(all[0]!.TM),
    endAt: ocmfTime(all[all.length - 1]!.TM),
  };
  return issues.length === 0 ? { issues, readings } : { issues };
}
