/**
 * OCMF records: `OCMF|<payload JSON>|<signature JSON>`. The payload is kept byte for byte as
 * received (everything between the first and the last `|`): that is what the signature covers
 * and what the evidence hashes. Tolerant of what real meters send: spaces, exponent numbers,
 * a missing `SA`, base64 `SE`.
 */
import { ChargingError } from "../errors.js";

export interface OcmfReading {
  /** `TM` as sent, e.g. `2023-04-06T13:39:40,000+0200 R`. */
  TM: string;
  TX?: string;
  RV: number;
  RI?: string;
  RU: string;
  RT?: string;
  ST?: string;
  [field: string]: unknown;
}

export interface OcmfPayload {
  FV?: string;
  PG: string;
  MS?: string;
  ID?: string;
  RD: OcmfReading[];
  [field: string]: unknown;
}

export interface OcmfSignatureSection {
  SA?: string;
  SE?: string;
  SM?: string;
  SD: string;
  [field: string]: unknown;
}

export interface OcmfRecord {
  /** The record exactly as received. */
  raw: string;
  /** The payload section exactly as received (the signed bytes, as UTF-8). */
  payloadText: string;
  payload: OcmfPayload;
  signature: OcmfSignatureSection;
}

const malformed = (message: string, details: Record<string, unknown> = {}): never => {
  throw new ChargingError("BAD_INPUT", `OCMF: ${message}`, details);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses a record; throws `ChargingError("BAD_INPUT")` naming what is wrong. */
export function parseOcmf(raw: string): OcmfRecord {
  if (typeof raw !== "string") malformed("record must be a string");
  if (!raw.startsWith("OCMF|")) malformed("record must start with OCMF|");
  const last = raw.lastIndexOf("|");
  if (last <= 4) malformed("record must have a payload and a signature section");
  const payloadText = raw.slice(5, last);
  const signatureText = raw.slice(last + 1);
  let payload: unknown;
  let signature: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch (cause) {
    throw new ChargingError("BAD_INPUT", "OCMF: payload is not JSON", {}, cause);
  }
  try {
    signature = JSON.parse(signatureText);
  } catch (cause) {
    throw new ChargingError("BAD_INPUT", "OCMF: signature section is not JSON", {}, cause);
  }
  if (!isObject(payload)) return malformed("payload must be an object");
  if (!isObject(signature)) return malformed("signature section must be an object");
  if (typeof payload.PG !== "string") malformed("PG (pagination) must be a string");
  if (!Array.isArray(payload.RD) || payload.RD.length === 0) malformed("RD must hold at least one reading");
  (payload.RD as unknown[]).forEach((rd, i) => {
    if (!isObject(rd)) return malformed("reading must be an object", { index: i });
    if (typeof rd.TM !== "string") malformed("reading TM must be a string", { index: i });
    if (typeof rd.RV !== "number" || !Number.isFinite(rd.RV)) malformed("reading RV must be a number", { index: i });
    if (typeof rd.RU !== "string") malformed("reading RU must be a string", { index: i });
  });
  if (typeof signature.SD !== "string" || signature.SD.length === 0) malformed("SD (signature) must be a non-empty string");
  for (const k of ["SA", "SE", "SM"] as const) {
    if (signature[k] !== undefined && typeof signature[k] !== "string") malformed(`${k} must be a string`);
  }
  return { raw, payloadText, payload: payload as OcmfPayload, signature: signature as OcmfSignatureSection };
}

/** Milliseconds since the epoch of an OCMF time (`YYYY-MM-DDThh:mm:ss,fff+hhmm` and a sync flag). */
export function ocmfTime(tm: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[,.](\d{1,3}))?([+-])(\d{2}):?(\d{2})(?:\s+[A-Z])?$/.exec(tm.trim());
  if (m === null) return malformed("time TM is not in OCMF form", { TM: tm });
  const ms = Number((m[2] ?? "0").padEnd(3, "0"));
  const base = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(base)) malformed("time TM is not a date", { TM: tm });
  const offset = (m[3] === "+" ? 1 : -1) * (Number(m[4]) * 60 + Number(m[5])) * 60_000;
  return base + ms - offset;
}

/** A reading's value in Wh (units kWh and Wh). */
export function readingWh(rd: OcmfReading): number {
  if (rd.RU === "Wh") return rd.RV;
  if (rd.RU === "kWh") return rd.RV * 1000;
  return malformed("reading unit must be kWh or Wh", { RU: rd.RU });
}

/** The number of a pagination value (`T17` → 17) and its counter kind (T transaction, F fiscal). */
export function pagination(pg: string): { kind: string; n: number } {
  const m = /^([TF])(\d+)$/.exec(pg);
  if (m === null) return malformed("PG must be T<n> or F<n>", { PG: pg });
  return { kind: m[1]!, n: Number(m[2]) };
}
