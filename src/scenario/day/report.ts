/**
 * The day's `DayReport` (src/report/schema.ts), assembled from what each step returned and
 * validated with `reportSchema.parse` before anyone sees it. Only `run` holds wall-clock figures.
 */
import { join } from "node:path";
import { REPORT_SCHEMA_VERSION, reportSchema, type DayReport } from "../../report/schema.js";
import type { AuthenticationOutcome } from "./authentication.js";
import { SLOT_SECONDS } from "./clock.js";
import type { DayContext } from "./context.js";
import type { DischargeOutcome } from "./discharge.js";
import type { EscrowOpeningOutcome } from "./escrow.js";
import type { ExecutionOutcome } from "./execution.js";
import type { LoadCurves } from "./grid.js";
import type { Fleet } from "./negotiation.js";
import { INCENTIVE_MICRO_PER_KWH } from "./ancillary.js";
import type { PaymentsOutcome } from "./payments.js";
import type { SettlementOutcome } from "./settlementStep.js";

export interface ReportInputs {
  readonly day: DayContext;
  readonly startedAt: Date;
  readonly auth: AuthenticationOutcome;
  readonly discharge: DischargeOutcome;
  readonly fleets: readonly Fleet[];
  readonly execution: ExecutionOutcome;
  readonly payments: PaymentsOutcome;
  readonly load: LoadCurves;
  readonly anchored: { batches: number; roots: number };
  readonly settled: SettlementOutcome;
  readonly escrowOpening: EscrowOpeningOutcome;
  readonly attributes: readonly string[];
}

export const REPORT_FILES = { json: "report.json", html: "report.html", deployments: "deployments.json" } as const;

/** What each kind of party learned during the day, and what it could not (by construction of the protocols). */
function privacy(i: ReportInputs): DayReport["privacy"] {
  const { day } = i;
  return [
    {
      party: "LAG (each aggregator)",
      learned: [`the vehicle's group only: ${i.auth.learned.join("; ")}`, "the pseudonym, targets and schedule of each session it runs", `the ancillary incentives it paid (${i.payments.flows.ancillary.count}), each to a pseudonym, and the supplier that pseudonym's certificate names, to which it handed the payment`],
      couldNotLearn: ["which vehicle of the group authenticated (ring signature)", "the user behind a pseudonym, also of one it paid (only the certifying supplier links them)", "a vehicle's answer to a discharge request (sealed for the CA)"],
    },
    {
      party: "Supplier (home)",
      learned: ["which of its customers a pseudonym it certified belongs to", "its customers' roaming CDRs (energy, amount, host)", "its customers' payments and bills, with the incentives paid to their pseudonyms", "the host user's hourly smart-meter readings of its whole home, which it bills it on"],
      couldNotLearn: ["the other suppliers' customers", "where its customers authenticated (the LAGs see only the group)"],
    },
    { party: "Supplier (host)", learned: ["the metered energy and the CDR of each session on its network", "the home supplier of each roaming session"], couldNotLearn: ["the user or vehicle behind a roaming session's pseudonym"] },
    { party: "CA", learned: ["the tally of discharge answers per request", `the vehicle behind the disputed session, once ${i.escrowOpening.threshold} arbiters approved`], couldNotLearn: ["any other authentication's vehicle (each opening needs its own approved dispute)"] },
    { party: "Arbiters", learned: ["the disputed CDR's evidence bundle and verdicts", `the opened key of the disputed session (${i.escrowOpening.opened ? "opened" : "not opened"})`], couldNotLearn: ["other sessions' vehicles", "the escrow secret"] },
    { party: "Chain observers", learned: [`${i.anchored.roots} anchored evidence roots, the claims and net settlement between ${day.parties.suppliers.length} suppliers`, "that an escrow was opened, as a salted commitment"], couldNotLearn: ["any session's vehicle, user or pseudonym certificate", "the opened key (only its salted commitment is on-chain)"] },
  ];
}

/** Claims by host, home, amount and CDR count: not in the order the concurrent bots happened to submit them. */
function claimOrder(a: DayReport["settlement"]["claims"][number], b: DayReport["settlement"]["claims"][number]): number {
  const amount = BigInt(a.amount) - BigInt(b.amount);
  return a.host.localeCompare(b.host) || a.home.localeCompare(b.home) || (amount === 0n ? a.cdrs - b.cdrs : amount < 0n ? -1 : 1);
}

/** The payments section: per flow, per supplier, per user. */
function paymentsSection(i: ReportInputs): DayReport["payments"] {
  const { day, payments: p } = i;
  const str = (v: bigint) => v.toString();
  const sides = { energy: ["user", "supplier"], discharge: ["supplier", "user"], ancillary: ["aggregator", "pseudonym"] } as const;
  const money = (b: { energy: bigint; dischargeCredit: bigint; ancillaryCredit: bigint; net: bigint }) => ({ energy: str(b.energy), dischargeCredit: str(b.dischargeCredit), ancillaryCredit: str(b.ancillaryCredit), net: str(b.net) });
  return {
    at: day.clock.iso(p.at),
    token: day.contracts.full.tokenAddress,
    incentivePerKwh: str(INCENTIVE_MICRO_PER_KWH),
    flows: (Object.keys(sides) as (keyof typeof sides)[]).map((flow) => ({ flow, payer: sides[flow][0], payee: sides[flow][1], count: p.flows[flow].count, total: str(p.flows[flow].total) })),
    receipted: p.receipted,
    refused: p.refused,
    suppliers: day.parties.suppliers.map((s) => {
      const mine = p.bills.filter((b) => b.supplier === s.id).map((b) => b.bill);
      const sum = (k: "energy" | "dischargeCredit" | "ancillaryCredit" | "net") => mine.reduce((a, b) => a + b[k], 0n);
      return { supplier: s.id, customers: mine.length, ...money({ energy: sum("energy"), dischargeCredit: sum("dischargeCredit"), ancillaryCredit: sum("ancillaryCredit"), net: sum("net") }) };
    }),
    bills: p.bills.map((b) => ({ user: b.user, supplier: b.supplier, ...money(b.bill), payments: b.bill.payments.length })),
  };
}

/** The host user's home bill, as its supplier recorded it. */
function homeBillSection(i: ReportInputs): DayReport["homeBill"] {
  const { clock } = i.day;
  const h = i.payments.home;
  const { bill } = h;
  return {
    host: h.owner,
    supplier: h.supplier,
    guest: h.guest,
    guestSupplier: h.guestSupplier,
    meter: { serial: h.metering.serial, publicKey: h.metering.publicKey, records: h.metering.records.length, readings: h.readings },
    from: clock.iso(bill.from),
    to: clock.iso(bill.to),
    meterTotalWh: Number(bill.meterEndWh - bill.meterStartWh),
    householdWh: h.metering.householdWh,
    ownVehicleWh: Number(h.ownVehicleWh),
    roamingWh: Number(bill.roamingWh),
    billedWh: Number(bill.energyWh),
    cdrs: bill.cdrs.map((d) => d.toLowerCase()),
    pricePerKwh: h.priceMicroPerKwh.toString(),
    amount: bill.amount.toString(),
    ...(h.payment === undefined ? {} : { payment: h.payment.digest.toLowerCase() }),
  };
}

export function assembleReport(i: ReportInputs): DayReport {
  const { day, execution } = i;
  const { parties, options, clock } = day;
  const byAggregator: Record<string, number> = {};
  for (const a of parties.aggregators) byAggregator[a.id] = execution.sessions.filter((s) => s.fleet.aggregator.index === a.index).length;
  const counts = day.stores.entries.map((e) => e.store.counts());
  const stores = day.stores.summary();
  const report: DayReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    run: {
      seed: options.seed,
      scale: { suppliers: parties.suppliers.length, aggregators: parties.aggregators.length, vehicles: parties.vehicles.length },
      network: { name: day.chain.name, chainId: day.contracts.full.chainId.toString() },
      startedAt: i.startedAt.toISOString(),
      wallSeconds: Math.round((Date.now() - i.startedAt.getTime()) / 100) / 10,
      dayStart: clock.iso(clock.dayStart),
    },
    parties: {
      suppliers: parties.suppliers.map((s) => ({ id: s.id, name: s.name, address: s.account.address })),
      aggregators: parties.aggregators.map((a) => ({ id: a.id, name: a.name, kind: a.kind, address: a.account.address })),
      arbiters: parties.arbiters.map((r) => ({ id: r.id, address: r.account.address })),
      evses: execution.sessions.length,
      meters: execution.sessions.length + 1,
      vehicles: parties.vehicles.length,
    },
    timeline: [...day.timeline.all],
    sessions: {
      total: execution.sessions.length,
      roaming: execution.sessions.filter((s) => s.roaming).length,
      byAggregator,
      energyKWh: Math.round(execution.sessions.reduce((s, x) => s + Number(x.energyWh), 0)) / 1000,
      dischargedKWh: Math.round(execution.sessions.reduce((s, x) => s + x.dischargedKwh, 0) * 1000) / 1000,
      infeasible: i.fleets.reduce((s, f) => s + f.infeasible, 0),
    },
    authentication: { attempts: i.auth.attempts, accepted: i.auth.accepted, refused: i.auth.refused, ringSize: options.ringSize, lagLearned: i.auth.learned },
    discharge: { requested: i.discharge.requested, accepted: i.discharge.accepted, declined: i.discharge.declined },
    ancillary: (({ from, to, deltaKw, deliveredKw, shortfallKw, shortfallReason, pseudonyms, incentive }) => ({ from, to, deltaKw, deliveredKw, shortfallKw, shortfallReason, pseudonyms, incentive }))(execution.ancillary),
    load: { slotMinutes: SLOT_SECONDS / 60, ...i.load },
    evidence: {
      messages: counts.reduce((s, c) => s + c.messages, 0),
      receipts: counts.reduce((s, c) => s + c.receipts, 0),
      batches: i.anchored.batches,
      anchoredRoots: i.anchored.roots,
      stores,
    },
    gas: day.gas.entries(),
    settlement: { ...i.settled.settlement, claims: [...i.settled.settlement.claims].sort(claimOrder) },
    dispute: i.settled.dispute,
    payments: paymentsSection(i),
    homeBill: homeBillSection(i),
    escrowOpening: i.escrowOpening,
    privacy: privacy(i),
    outputs: {
      reportJson: join(options.outDir, REPORT_FILES.json),
      reportHtml: join(options.outDir, REPORT_FILES.html),
      deployments: join(options.outDir, REPORT_FILES.deployments),
      stores: stores.map((s) => s.path),
    },
  };
  return reportSchema.parse(report);
}
