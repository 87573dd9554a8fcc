/**
 * The main job's report (`out/report.json`): what a day of V2G roaming did, in one JSON document.
 * The HTML report is rendered from it alone. Amounts of money and gas totals are decimal strings
 * (they exceed 2^53); energy and power are numbers in kWh and kW. `at` fields are simulated times
 * of the day (ISO 8601, UTC); only `run` holds wall-clock figures. Two runs with one seed differ
 * only in the run-specific fields (`runSpecific.ts`). Documented field by field in docs/report.md.
 */
import { z } from "zod";

const decimal = z.string().regex(/^-?(0|[1-9][0-9]*)$/, "must be a decimal integer string");
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes, lower-case hex");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte address");
const isoTime = z.string().datetime();
const count = z.number().int().min(0);
const kw = z.number().finite();

/**
 * 2: no LAG URLs (their ports were the run's), claims in a fixed order. 3: the day's payments and
 * bills. 4: `ancillary.deliveredKw` is the measured change of demand, signed like `deltaKw`;
 * `ancillary.shortfallKw` and `shortfallReason` added; the host user's home bill (`homeBill`).
 */
export const REPORT_SCHEMA_VERSION = 4;

const supplier = z.object({ id: z.string().min(1), name: z.string().min(1), address }).strict();
const aggregator = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    kind: z.enum(["home", "work", "public", "visiting"]),
    address,
  })
  .strict();

export const timelineEntrySchema = z
  .object({
    at: isoTime,
    phase: z.string().min(1),
    /** Who acted (a party id), when one did. */
    actor: z.string().optional(),
    text: z.string().min(1),
  })
  .strict();

export const gasEntrySchema = z
  .object({ operation: z.string().min(1), count: count, total: decimal, mean: decimal })
  .strict();

/** One item of the disputed CDR's evidence bundle with its verdict. */
export const evidenceItemSchema = z
  .object({
    at: isoTime,
    /** Message type name of the evidence type table (e.g. "MeterReading"), or "Receipt", "Anchor". */
    type: z.string().min(1),
    from: z.string().min(1),
    to: z.string().optional(),
    digest: hex32,
    verdict: z.enum(["valid", "invalid", "missing", "late"]),
    /** Why, in one line (the verifier's reason). */
    reason: z.string(),
  })
  .strict();

const moneyOfBill = { energy: decimal, dischargeCredit: decimal, ancillaryCredit: decimal, net: decimal };

/** The day's payments (the three flows) and the bills the suppliers computed from them. */
export const paymentsSchema = z
  .object({
    /** When they were recorded (simulated), and the token they are in. */
    at: isoTime,
    token: address,
    /** The incentive per kWh delivered to the TSO's event, base units. */
    incentivePerKwh: decimal,
    flows: z
      .array(
        z
          .object({
            flow: z.enum(["energy", "discharge", "ancillary"]),
            payer: z.enum(["user", "supplier", "aggregator"]),
            payee: z.enum(["supplier", "user", "pseudonym"]),
            count,
            total: decimal,
          })
          .strict(),
      )
      .length(3),
    /** Payments kept by their origin with their receiver's receipt. */
    receipted: count,
    /** Attacks on the payments tried during the day, by the reason they were refused for. */
    refused: z.record(z.string(), count),
    /** Per supplier: customers billed and the sums of their bills. */
    suppliers: z.array(z.object({ supplier: z.string().min(1), customers: count, ...moneyOfBill }).strict()),
    /** Per user (by its vehicle's id) at its home supplier. */
    bills: z.array(z.object({ user: z.string().min(1), supplier: z.string().min(1), ...moneyOfBill, payments: count }).strict()),
  })
  .strict();

/** The host user's home bill: its smart meter's total minus the roaming energy of the guest at its home charger. */
export const homeBillSchema = z
  .object({
    /** The host user (by its vehicle's id) and its supplier; the guest (by its vehicle's id) and the guest's supplier. */
    host: z.string().min(1),
    supplier: z.string().min(1),
    guest: z.string().min(1),
    guestSupplier: z.string().min(1),
    /** The home's signing smart meter: serial, public key (hex, uncompressed SEC1 point), OCMF records signed, readings stored. */
    meter: z.object({ serial: z.string().min(1), publicKey: z.string().regex(/^[0-9a-f]+$/, "must be lower-case hex"), records: count, readings: count }).strict(),
    /** The metered period (simulated). */
    from: isoTime,
    to: isoTime,
    /** Wh: the smart meter's total, of it the household and the host's own vehicle, the guest's roaming energy excluded, and what is billed. */
    meterTotalWh: count,
    householdWh: count,
    ownVehicleWh: count,
    roamingWh: count,
    billedWh: count,
    /** The CDRs the roaming energy is excluded by (the host supplier's, claimed from the guest's supplier). */
    cdrs: z.array(hex32),
    /** The home's single-rate price per kWh and the amount billed, base units. */
    pricePerKwh: decimal,
    amount: decimal,
    /** The bill's signed payment (absent when nothing is owed). */
    payment: hex32.optional(),
  })
  .strict()
  .refine((b) => b.billedWh === b.meterTotalWh - b.roamingWh && b.billedWh === b.householdWh + b.ownVehicleWh, "billed = meter total − roaming = household + own vehicle");

export const reportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    run: z
      .object({
        seed: z.number().int().min(0),
        scale: z.object({ suppliers: count, aggregators: count, vehicles: count }).strict(),
        network: z.object({ name: z.string().min(1), chainId: decimal }).strict(),
        /** Wall-clock start of the run and its length. */
        startedAt: isoTime,
        wallSeconds: z.number().min(0),
        /** First second of the simulated day. */
        dayStart: isoTime,
      })
      .strict(),
    parties: z
      .object({
        suppliers: z.array(supplier).min(1),
        aggregators: z.array(aggregator).min(1),
        arbiters: z.array(z.object({ id: z.string().min(1), address }).strict()),
        evses: count,
        meters: count,
        vehicles: count,
      })
      .strict(),
    timeline: z.array(timelineEntrySchema).min(1),
    sessions: z
      .object({
        total: count,
        /** Sessions at a charger of another supplier's customer or network. */
        roaming: count,
        byAggregator: z.record(z.string(), count),
        energyKWh: z.number().min(0),
        dischargedKWh: z.number().min(0),
        /** Requests answered "infeasible" with a shortfall. */
        infeasible: count,
      })
      .strict(),
    authentication: z
      .object({
        attempts: count,
        accepted: count,
        refused: z.record(z.string(), count),
        ringSize: count,
        /** What the LAGs learned about the vehicles they authenticated. */
        lagLearned: z.array(z.string()),
      })
      .strict(),
    discharge: z.object({ requested: count, accepted: count, declined: count }).strict(),
    ancillary: z
      .object({
        from: isoTime,
        to: isoTime,
        /** The TSO's command: change of the fleet's aggregate demand over the window, kW (negative: less demand). */
        deltaKw: kw,
        /** The change delivered: aggregate demand under the schedules in force after the event minus before, mean over the window, kW, same sign convention. */
        deliveredKw: kw,
        /** The part of the command the fleet did not take, kW (≥ 0; 0 when taken whole). */
        shortfallKw: kw.nonnegative(),
        /** Why: `targets` (more would leave vehicles short of their departure targets) or `limits` (beyond the fleet's limits); null when taken whole. */
        shortfallReason: z.enum(["targets", "limits"]).nullable(),
        /** Pseudonyms credited with a delivery (each moved its demand in the command's direction). */
        pseudonyms: count,
        incentive: decimal,
      })
      .strict(),
    load: z
      .object({
        slotMinutes: z.number().int().positive(),
        /** Per slot, kW: the DNO's feeder limit, the scheduled import and export, and uncontrolled charging. */
        feederLimitKw: z.array(kw),
        importKw: z.array(kw),
        exportKw: z.array(kw),
        uncontrolledKw: z.array(kw),
      })
      .strict()
      .refine(
        (l) => [l.importKw, l.exportKw, l.uncontrolledKw].every((a) => a.length === l.feederLimitKw.length),
        "every load curve has one value per slot",
      ),
    evidence: z
      .object({
        messages: count,
        receipts: count,
        batches: count,
        anchoredRoots: count,
        stores: z.array(z.object({ party: z.string().min(1), path: z.string().min(1), items: count }).strict()),
      })
      .strict(),
    gas: z.array(gasEntrySchema),
    settlement: z
      .object({
        token: z.object({ symbol: z.string().min(1), decimals: z.number().int().min(0).max(36), address }).strict(),
        period: count,
        claims: z.array(
          z
            .object({
              claimId: decimal,
              host: z.string().min(1),
              home: z.string().min(1),
              cdrs: count,
              amount: decimal,
              paid: decimal,
              status: z.string().min(1),
            })
            .strict(),
        ),
        /** Per supplier: what it was paid, what it paid, the difference, and what it withdrew. */
        net: z.array(
          z.object({ supplier: z.string().min(1), received: decimal, paid: decimal, net: decimal, withdrawn: decimal }).strict(),
        ),
      })
      .strict(),
    dispute: z
      .object({
        claimId: decimal,
        sessionId: hex32,
        cdrDigest: hex32,
        raisedBy: z.string().min(1),
        reason: z.string().min(1),
        outcome: z.enum(["upheld", "not upheld"]),
        arbiter: z.string().min(1),
        amountClaimed: decimal,
        amountPaid: decimal,
        /** Path of the bundle written for the arbiter. */
        bundle: z.string().min(1),
        evidence: z.array(evidenceItemSchema).min(1),
        /** The command that shows this dispute again. */
        command: z.string().min(1),
      })
      .strict(),
    payments: paymentsSchema,
    homeBill: homeBillSchema,
    escrowOpening: z
      .object({
        dispute: z.string().min(1),
        threshold: count,
        approvals: count,
        opened: z.boolean(),
        /** What the opening revealed, and to whom. */
        revealed: z.string(),
      })
      .strict(),
    privacy: z.array(
      z.object({ party: z.string().min(1), learned: z.array(z.string()), couldNotLearn: z.array(z.string()) }).strict(),
    ),
    outputs: z
      .object({ reportJson: z.string(), reportHtml: z.string(), deployments: z.string(), stores: z.array(z.string()) })
      .strict(),
  })
  .strict();

export type DayReport = z.infer<typeof reportSchema>;
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
export type GasEntry = z.infer<typeof gasEntrySchema>;
export type EvidenceItem = z.infer<typeof evidenceItemSchema>;
export type PaymentsReport = z.infer<typeof paymentsSchema>;
export type HomeBillReport = z.infer<typeof homeBillSchema>;
