/**
 * OCPI 2.2.1 `CDR` (module cdrs) and the types it uses, written from the specification: every
 * required field, lengths of `CiString(n)` / `string(n)`, enumerations, the `GeoLocation`
 * patterns and `DateTime` (RFC 3339 in UTC). `plain_data` is limited to 512 characters by the
 * spec; `cdrSchema("whole")` lifts only that limit, for OCMF records carried whole.
 */
import { z } from "zod";

const ci = (n: number) => z.string().max(n);
const str = (n: number) => z.string().max(n);
/** OCPI DateTime: UTC, `Z` or no designator, optional fractional seconds. */
export const DateTime = z.string().max(25).regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z?$/, "OCPI DateTime (UTC)");
const number = z.number().finite();

export const Price = z.object({ excl_vat: number.nonnegative(), incl_vat: number.nonnegative().optional() }).strict();

export const CdrToken = z
  .object({
    country_code: ci(2).length(2),
    party_id: ci(3).length(3),
    uid: ci(36),
    type: z.enum(["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]),
    contract_id: ci(36),
  })
  .strict();

export const GeoLocation = z
  .object({
    latitude: str(10).regex(/^-?[0-9]{1,2}\.[0-9]{5,7}$/),
    longitude: str(11).regex(/^-?[0-9]{1,3}\.[0-9]{5,7}$/),
  })
  .strict();

export const ConnectorType = z.enum([
  "CHADEMO", "CHAOJI", "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E", "DOMESTIC_F", "DOMESTIC_G", "DOMESTIC_H",
  "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K", "DOMESTIC_L", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC", "IEC_60309_2_single_16",
  "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64", "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2",
  "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C", "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30",
  "NEMA_14_50", "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S",
]);

export const CdrLocation = z
  .object({
    id: ci(36),
    name: str(255).optional(),
    address: str(45),
    city: str(45),
    postal_code: str(10).optional(),
    state: str(20).optional(),
    country: str(3).regex(/^[A-Z]{3}$/),
    coordinates: GeoLocation,
    evse_uid: ci(36),
    evse_id: ci(48),
    connector_id: ci(36),
    connector_standard: ConnectorType,
    connector_format: z.enum(["SOCKET", "CABLE"]),
    connector_power_type: z.enum(["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"]),
  })
  .strict();

export const CdrDimension = z
  .object({
    type: z.enum(["CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_CURRENT", "MIN_CURRENT", "MAX_POWER", "MIN_POWER", "PARKING_TIME", "POWER", "RESERVATION_TIME", "STATE_OF_CHARGE", "TIME"]),
    volume: number,
  })
  .strict();

export const ChargingPeriod = z.object({ start_date_time: DateTime, dimensions: z.array(CdrDimension).min(1), tariff_id: ci(36).optional() }).strict();

export const PriceComponent = z
  .object({ type: z.enum(["ENERGY", "FLAT", "PARKING_TIME", "TIME"]), price: number.nonnegative(), vat: number.nonnegative().optional(), step_size: z.number().int().nonnegative() })
  .strict();

export const TariffRestrictions = z
  .object({
    start_time: z.string().regex(/^([0-1][0-9]|2[0-3]):[0-5][0-9]$/).optional(),
    end_time: z.string().regex(/^([0-1][0-9]|2[0-3]):[0-5][0-9]$/).optional(),
    start_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    end_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  })
  .strict();

export const TariffElement = z.object({ price_components: z.array(PriceComponent).min(1), restrictions: TariffRestrictions.optional() }).strict();

export const Tariff = z
  .object({
    country_code: ci(2).length(2),
    party_id: ci(3).length(3),
    id: ci(36),
    currency: str(3).regex(/^[A-Z]{3}$/),
    type: z.enum(["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"]).optional(),
    elements: z.array(TariffElement).min(1),
    start_date_time: DateTime.optional(),
    end_date_time: DateTime.optional(),
    last_updated: DateTime,
  })
  .strict();

const signedValue = (plainMax: number) => z.object({ nature: ci(32), plain_data: z.string().max(plainMax), signed_data: z.string().max(5000).regex(/^[A-Za-z0-9+/]*={0,2}$/, "base64") }).strict();

const signedData = (plainMax: number) =>
  z
    .object({
      encoding_method: ci(36),
      encoding_method_version: z.number().int().optional(),
      public_key: str(512).optional(),
      signed_values: z.array(signedValue(plainMax)).min(1),
      url: str(512).optional(),
    })
    .strict();

export type CdrMode = "strict" | "whole";

export function cdrSchema(mode: CdrMode) {
  return z
    .object({
      country_code: ci(2).length(2),
      party_id: ci(3).length(3),
      id: ci(39),
      start_date_time: DateTime,
      end_date_time: DateTime,
      session_id: ci(36).optional(),
      cdr_token: CdrToken,
      auth_method: z.enum(["AUTH_REQUEST", "COMMAND", "WHITELIST"]),
      authorization_reference: ci(36).optional(),
      cdr_location: CdrLocation,
      meter_id: str(255).optional(),
      currency: str(3).regex(/^[A-Z]{3}$/),
      tariffs: z.array(Tariff).optional(),
      charging_periods: z.array(ChargingPeriod).min(1),
      signed_data: signedData(mode === "strict" ? 512 : Number.MAX_SAFE_INTEGER).optional(),
      total_cost: Price,
      total_fixed_cost: Price.optional(),
      total_energy: number.nonnegative(),
      total_energy_cost: Price.optional(),
      total_time: number.nonnegative(),
      total_time_cost: Price.optional(),
      total_parking_time: number.nonnegative().optional(),
      total_parking_cost: Price.optional(),
      total_reservation_cost: Price.optional(),
      remark: str(255).optional(),
      invoice_reference_id: ci(39).optional(),
      credit: z.boolean().optional(),
      credit_reference_id: ci(39).optional(),
      home_charging_compensation: z.boolean().optional(),
      last_updated: DateTime,
    })
    .strict();
}

export type OcpiCdr = z.infer<ReturnType<typeof cdrSchema>>;
export type OcpiCdrLocation = z.infer<typeof CdrLocation>;
export type OcpiCdrToken = z.infer<typeof CdrToken>;
export type OcpiTariff = z.infer<typeof Tariff>;
export type OcpiChargingPeriod = z.infer<typeof ChargingPeriod>;
