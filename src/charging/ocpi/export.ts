/**
 * Exports a signed CDR as an OCPI 2.2.1 `CDR`, validated against the schema before it leaves.
 * `signed_data` carries the OCMF records (encoding method "OCMF"): each `signed_data` value is
 * the base64 of the record's exact bytes. OCPI limits `plain_data` to 512 characters, which
 * most real OCMF records exceed:
 *   - "strict": within every limit of the spec; `plain_data` holds the record when it fits,
 *     otherwise `keccak256:<hash of the record>` (the record itself is in `signed_data`);
 *   - "whole": `plain_data` holds every record whole, whatever its length (beyond the spec's
 *     limit, as the OCPI community asks to allow).
 * `remark` names the CDR's evidence digest, so a roaming partner can dispute it by proof.
 */
import type { SignedMessage } from "../../evidence/messages.js";
import { sliceBySlot } from "../cdr.js";
import { ChargingError } from "../errors.js";
import type { MeteredTransaction } from "../metering.js";
import { ocmfRecordHash } from "../ocmf/verify.js";
import type { SlotPrices } from "../prices.js";
import { cdrSchema, type CdrMode, type OcpiCdr, type OcpiCdrLocation, type OcpiCdrToken, type OcpiChargingPeriod, type OcpiTariff } from "./schema.js";

export interface OcpiExportInput {
  mode: CdrMode;
  countryCode: string;
  partyId: string;
  cdr: SignedMessage<"ChargeDetailRecord">;
  metered: MeteredTransaction;
  /** Cumulative export register (V2G) at the same kind of points, if the vehicle discharged. */
  exportPoints?: readonly { at: number; mWh: bigint }[];
  prices: SlotPrices;
  /** OCPI id of the tariff (CiString(36)). */
  tariffId: string;
  currency: string;
  token: OcpiCdrToken;
  location: OcpiCdrLocation;
  authMethod: OcpiCdr["auth_method"];
  /** The OCMF records of the session, as received. */
  ocmfRecords: readonly string[];
  meterId?: string;
  publicKeyHex?: string;
  lastUpdated: number;
}

const iso = (ms: number | bigint): string => new Date(Number(ms)).toISOString().replace(".000Z", "Z");
const units = (micro: bigint): number => Number(micro) / 1e6;
const hhmm = (ms: bigint): string => new Date(Number(ms)).toISOString().slice(11, 16);

const NATURE: Record<string, string> = { B: "Start", E: "End" };

function tariffOf(input: OcpiExportInput): OcpiTariff {
  const p = input.prices;
  const slotMs = BigInt(p.slotSeconds) * 1000n;
  const elements: OcpiTariff["elements"] = [];
  for (let k = 0; k < p.importPrice.length; ) {
    let j = k;
    while (j + 1 < p.importPrice.length && p.importPrice[j + 1] === p.importPrice[k]) j++;
    const from = p.start * 1000n + BigInt(k) * slotMs;
    const to = p.start * 1000n + BigInt(j + 1) * slotMs;
    elements.push({
      price_components: [{ type: "ENERGY", price: units(p.importPrice[k]!), step_size: 1 }],
      restrictions: { start_time: hhmm(from), end_time: hhmm(to), start_date: iso(from).slice(0, 10) },
    });
    k = j + 1;
  }
  return { country_code: input.countryCode, party_id: input.partyId, id: input.tariffId, currency: input.currency, elements, last_updated: iso(input.lastUpdated) };
}

function chargingPeriods(input: OcpiExportInput): OcpiChargingPeriod[] {
  const { prices } = input;
  const bySlot = new Map<number, { from: bigint; importKwh: number; exportKwh: number; ms: bigint }>();
  const add = (points: readonly { at: number; mWh: bigint }[], key: "importKwh" | "exportKwh"): void => {
    for (const s of sliceBySlot(points, prices.start, prices.slotSeconds, prices.importPrice.length)) {
      const entry = bySlot.get(s.slot) ?? { from: s.fromMs, importKwh: 0, exportKwh: 0, ms: 0n };
      entry[key] += (Number(s.energyMilliWh) * Number(s.overlapMs)) / Number(s.durationMs) / 1e6;
      if (key === "importKwh") entry.ms += s.overlapMs;
      if (s.fromMs < entry.from) entry.from = s.fromMs;
      bySlot.set(s.slot, entry);
    }
  };
  add(input.metered.points, "importKwh");
  if (input.exportPoints !== undefined) add(input.exportPoints, "exportKwh");
  return [...bySlot.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, e]) => {
      const dimensions: OcpiChargingPeriod["dimensions"] = [
        { type: "ENERGY", volume: Number(e.importKwh.toFixed(6)) },
        { type: "TIME", volume: Number((Number(e.ms) / 3_600_000).toFixed(6)) },
      ];
      if (e.exportKwh > 0) dimensions.push({ type: "ENERGY_EXPORT", volume: Number(e.exportKwh.toFixed(6)) });
      return { start_date_time: iso(e.from), dimensions, tariff_id: input.tariffId };
    });
}

export function exportOcpiCdr(input: OcpiExportInput): OcpiCdr {
  const b = input.cdr.body;
  if (input.ocmfRecords.length === 0) throw new ChargingError("BAD_INPUT", "an exported CDR carries its OCMF records");
  const signedValues = input.ocmfRecords.map((record, i) => {
    const tx = /"TX"\s*:\s*"([A-Z])"/.exec(record)?.[1] ?? "";
    const nature = NATURE[tx] ?? (i === 0 ? "Start" : i === input.ocmfRecords.length - 1 ? "End" : "Intermediate");
    const plain = input.mode === "whole" || record.length <= 512 ? record : `keccak256:${ocmfRecordHash(record)}`;
    return { nature, plain_data: plain, signed_data: Buffer.from(record, "utf8").toString("base64") };
  });
  const cdr = {
    country_code: input.countryCode,
    party_id: input.partyId,
    id: b.cdrId.slice(2, 41),
    start_date_time: iso(b.start * 1000n),
    end_date_time: iso(b.end * 1000n),
    session_id: input.cdr.header.sessionId.slice(2, 38),
    cdr_token: input.token,
    auth_method: input.authMethod,
    cdr_location: input.location,
    ...(input.meterId === undefined ? {} : { meter_id: input.meterId }),
    currency: input.currency,
    tariffs: [tariffOf(input)],
    charging_periods: chargingPeriods(input),
    signed_data: {
      encoding_method: "OCMF",
      ...(input.publicKeyHex === undefined ? {} : { public_key: input.publicKeyHex }),
      signed_values: signedValues,
    },
    total_cost: { excl_vat: units(b.amount) },
    total_energy: Number(b.energyWh) / 1000,
    total_energy_cost: { excl_vat: units(b.amount) },
    total_time: Number(b.end - b.start) / 3600,
    remark: `evidence:${input.cdr.digest}`,
    last_updated: iso(input.lastUpdated),
  };
  const checked = cdrSchema(input.mode).safeParse(cdr);
  if (!checked.success) {
    throw new ChargingError("BAD_INPUT", "OCPI CDR does not validate", { issues: checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
  }
  return checked.data;
}
