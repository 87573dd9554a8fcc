/**
 * The day executed quarter by quarter: the aggregator steers each EVSE with CSEVs that follow the
 * schedule in force (start, set power, discharge, stop), the EVSE executes only what verifies and
 * receipts it; a signing OCMF meter per EVSE records the session (begin, every hour, end), the
 * records are verified and turned into MeterReadings that the host supplier receipts; at
 * departure the host prices a roaming session from its signed tariff and signs its CDR, which the
 * home supplier receipts. The guest at another user's home charger is admitted only with the
 * owner's signed authorisation; the owner's home smart meter measures the household, the owner's
 * vehicle at home and the guest (homeBill.ts). At 11:00 the TSO's event re-optimises the work fleet.
 */
import type { Highs } from "highs";
import { hexlify, keccak256 } from "ethers";
import { signArtefact } from "../../charging/artefacts.js";
import { issueCdr } from "../../charging/cdr.js";
import { CsevCommand, CsevIssuer, EvseController } from "../../charging/control.js";
import { ChargingError } from "../../charging/errors.js";
import { EvseAccess } from "../../charging/evseAccess.js";
import { keepWithReceipt, receiptAndStore, registeredKey } from "../../charging/flowEvidence.js";
import type { ArtefactStore } from "../../charging/artefactStore.js";
import { recordTransaction } from "../../charging/metering.js";
import { OcmfMeter } from "../../charging/ocmf/meter.js";
import { verifyOcmf } from "../../charging/ocmf/verify.js";
import type { SignedMessage } from "../../evidence/messages.js";
import { ANCILLARY, runAncillaryEvent, type AncillaryReport } from "./ancillary.js";
import { SLOT_SECONDS, SLOTS } from "./clock.js";
import { flowParty, type DayContext } from "./context.js";
import { DayError } from "./errors.js";
import { TARIFF_ID } from "./grid.js";
import { HomeSmartMeter, type HomeMetering } from "./homeBill.js";
import type { DaySession, Fleet } from "./negotiation.js";

export interface ExecutedSession {
  readonly session: DaySession;
  readonly fleet: Fleet;
  readonly energyWh: bigint;
  readonly dischargedKwh: number;
  readonly roaming: boolean;
  readonly cdr?: SignedMessage<"ChargeDetailRecord">;
}

export interface ExecutionOutcome {
  readonly sessions: ExecutedSession[];
  readonly csevs: number;
  readonly readings: number;
  readonly cdrs: number;
  readonly ancillary: AncillaryReport;
  /** The guest's admission at the home charger: refused without the owner's authorisation, then admitted. */
  readonly homeAccess: { refusedWithout: boolean; admitted: boolean };
  /** The owner's home smart meter over the day (the household, the owner's vehicle at home, the guest). */
  readonly home: HomeMetering;
}

interface Live {
  readonly s: DaySession;
  readonly fleet: Fleet;
  controller: EvseController;
  issuer: CsevIssuer;
  digest: string;
  readonly meter: OcmfMeter;
  readonly meterKey: Uint8Array;
  readonly records: string[];
  wh: number;
  discharged: number;
}

export async function executeDay(day: DayContext, fleets: readonly Fleet[], artefacts: readonly ArtefactStore[], highs: Highs): Promise<ExecutionOutcome> {
  const { clock, domains, directory, parties } = day;
  const random = day.random.fork("execution");
  const live: Live[] = [];
  const executed: ExecutedSession[] = [];
  let csevs = 0;
  let readings = 0;
  let cdrs = 0;
  let ancillary: AncillaryReport | undefined;
  const homeAccess = { refusedWithout: false, admitted: false };
  const home = new HomeSmartMeter(day);
  const work = fleets.find((f) => f.aggregator.kind === "work");
  if (work === undefined) throw new DayError("FAILED", "the day needs a work aggregator for the TSO's event");

  const bind = (l: Pick<Live, "s" | "fleet">) => {
    const site = flowParty(l.fleet.aggregator.site);
    const binding = { sessionId: l.s.sessionId, evse: site.address, scheduleDigest: l.s.schedule.digest, schedule: l.s.schedule.body, scheduleSeq: l.s.schedule.header.seq };
    return {
      controller: new EvseController(site, l.fleet.party.address, directory, domains.evidence, binding, day.siteStores[l.fleet.aggregator.index]!),
      issuer: new CsevIssuer(l.fleet.party, day.sequences, domains.evidence, binding),
      digest: l.s.schedule.digest,
    };
  };
  const command = async (l: Live, powerW: number, slot: number) => {
    if (l.digest !== l.s.schedule.digest) Object.assign(l, bind(l)); // a revised schedule: the EVSE follows the new one
    const current = l.controller.powerW;
    if (powerW === current) return;
    const kind = powerW === 0 ? CsevCommand.Stop : powerW < 0 ? CsevCommand.Discharge : current > 0 ? CsevCommand.SetPower : CsevCommand.Start;
    const at = clock.slotStart(slot);
    const csev = await l.issuer.issue(kind, powerW, at, 300n, at);
    const receipt = await l.controller.execute(csev, at);
    await keepWithReceipt(domains.evidence, l.fleet.store, csev, receipt, registeredKey(directory));
    csevs++;
  };

  for (let t = 0; t <= SLOTS; t++) {
    // One commit per store and quarter-hour: the quarter's evidence lands whole or not at all.
    await day.stores.batch(async () => {
      clock.set(clock.slotStart(t));
      if (t === ANCILLARY.announceSlot) ancillary = await runAncillaryEvent(day, work, highs);
      for (const fleet of fleets) {
        for (const s of fleet.sessions) {
          if (s.decision === "reject" || s.vehicle.arrivalSlot !== t) continue;
          if (s.vehicle.index === parties.homeHost.guest) await admitGuest(day, homeAccess);
          const meterKey = random.bytes(32);
          const meter = new OcmfMeter({ serial: `MTR-${fleet.aggregator.id}-${s.vehicle.id}`, gateway: `EVSE-${fleet.aggregator.id}-${s.vehicle.id}`, gatewaySerial: s.vehicle.id }, meterKey);
          const wh = 1_000_000 + random.int(9_000_000);
          const l: Live = { s, fleet, ...bind({ s, fleet }), meter, meterKey, records: [meter.begin(s.sessionId, Number(clock.now) * 1000, wh)], wh, discharged: 0 };
          live.push(l);
          if (home.isAtHome(s.vehicle.index, fleet.aggregator.index)) home.plugIn({ sessionId: s.sessionId, vehicle: s.vehicle.index, startWh: wh, nowWh: () => Math.round(l.wh) });
        }
      }
      for (const l of [...live]) {
        const { vehicle } = l.s;
        if (t === vehicle.departureSlot) {
          await command(l, 0, t);
          l.records.push(l.meter.end(Number(clock.now) * 1000, Math.round(l.wh)));
          live.splice(live.indexOf(l), 1);
          const done = await finishSession(day, l, artefacts[l.fleet.aggregator.index]!, random);
          executed.push(done);
          readings += l.records.length;
          if (done.cdr !== undefined) cdrs++;
          day.progress.tick();
          continue;
        }
        const powerW = l.s.schedule.body.powerW[t] ?? 0;
        await command(l, powerW, t);
        l.wh += (Math.max(0, powerW) / 1000) * (SLOT_SECONDS / 3600) * 1000;
        l.discharged += (Math.max(0, -powerW) / 1000) * (SLOT_SECONDS / 3600);
        if ((t - vehicle.arrivalSlot) % 4 === 3) l.records.push(l.meter.progress(Number(clock.now) * 1000 + SLOT_SECONDS * 1000 - 1000, Math.round(l.wh)));
      }
      home.quarter(t);
    });
    // The quarter's evidence is committed: anchor now what would expire before the next quarter's round.
    await day.stores.anchorDue(clock.slotStart(t + 1), day);
  }
  if (live.length > 0) throw new DayError("FAILED", "sessions still open at the end of the day", { open: live.length });
  if (ancillary === undefined) throw new DayError("FAILED", "the TSO's event did not run");
  return { sessions: executed, csevs, readings, cdrs, ancillary, homeAccess, home: home.finish() };
}

/** The guest vehicle at another user's home charger: refused without, admitted with the owner's authorisation. */
async function admitGuest(day: DayContext, out: { refusedWithout: boolean; admitted: boolean }): Promise<void> {
  const { parties, clock, domains } = day;
  const owner = parties.vehicles[parties.homeHost.owner]!;
  const guest = parties.vehicles[parties.homeHost.guest]!;
  const access = new EvseAccess(parties.homeHost.evseId, owner.user.address, domains.charging);
  try {
    access.admit(guest.user.address, clock.now);
  } catch (error) {
    if (!(error instanceof ChargingError) || error.code !== "REFUSED") throw error;
    out.refusedWithout = true;
  }
  const authorisation = await signArtefact(owner.user, owner.user.address, domains.charging, "EvseAuthorisation", {
    owner: owner.user.address,
    evseId: parties.homeHost.evseId,
    vehicle: guest.user.address,
    validFrom: clock.now,
    validUntil: clock.now + 86_400n,
  });
  access.admit(guest.user.address, clock.now, authorisation);
  out.admitted = true;
  day.timeline.add("sessions", `${guest.id} (a customer of ${parties.suppliers[guest.home]!.name}) plugged in at ${owner.id}'s home charger: refused until the owner signed an authorisation, then admitted`);
}

/** Metering and, for a roaming session, the CDR; every message receipted by its receiver. */
async function finishSession(day: DayContext, l: Live, artefacts: ArtefactStore, random: DayContext["random"]): Promise<ExecutedSession> {
  const { domains, directory, clock, parties } = day;
  const fleet = l.fleet;
  const site = flowParty(fleet.aggregator.site);
  const hostSupplier = parties.suppliers[fleet.aggregator.host]!;
  const host = flowParty(hostSupplier);
  const hostStore = day.supplierStores[hostSupplier.index]!;
  const siteStore = day.siteStores[fleet.aggregator.index]!;
  const verdicts = l.records.map((raw) => verifyOcmf(raw, l.meter.publicKey()));
  const metered = await recordTransaction(site, day.sequences, domains.evidence, siteStore, artefacts, l.s.sessionId, host.address, verdicts);
  for (const reading of metered.readings) {
    const receipt = await receiptAndStore(host, domains.evidence, hostStore, reading, clock.now);
    await keepWithReceipt(domains.evidence, siteStore, reading, receipt, registeredKey(directory));
  }
  const energyWh = metered.points[metered.points.length - 1]!.mWh / 1000n - metered.points[0]!.mWh / 1000n;
  const roaming = l.s.vehicle.home !== fleet.aggregator.host;
  const base = { session: l.s, fleet, energyWh, dischargedKwh: Math.round(l.discharged * 1000) / 1000, roaming };
  if (!roaming || energyWh === 0n) return base;
  const homeSupplier = parties.suppliers[l.s.vehicle.home]!;
  const { cdr } = await issueCdr(host, day.sequences, domains.evidence, hostStore, {
    cdrId: keccak256(hexlify(random.bytes(32))),
    homeSupplier: homeSupplier.account.address,
    metered,
    prices: fleet.book.prices(host.address, TARIFF_ID),
    issuedAt: clock.now,
  });
  const receipt = await receiptAndStore(flowParty(homeSupplier), domains.evidence, day.supplierStores[homeSupplier.index]!, cdr, clock.now);
  await keepWithReceipt(domains.evidence, hostStore, cdr, receipt, registeredKey(directory));
  return { ...base, cdr };
}
