/**
 * The charging part of a day, every step through the real code and the real services:
 * contracts and parties on the chain, the CA and LAG services on loopback, anonymous
 * authentication, discharge requests, requests and one LP per fleet, schedules and
 * confirmations, the day executed (CSEV control, OCMF metering, CDRs, the TSO's event), the
 * payments and bills, and the evidence anchored. Everything random comes from the seed. What it
 * started stays open for the settlement until `close()`; on a failure it is closed before the
 * error goes on.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Signer } from "ethers";
import { writeDeployments } from "../../chain/deployAll.js";
import type { SignedArtefact } from "../../charging/artefactTypes.js";
import { signArtefact } from "../../charging/artefacts.js";
import { ArtefactStore } from "../../charging/artefactStore.js";
import { FlowSequences } from "../../charging/flowEvidence.js";
import { loadHighs } from "../../charging/highs.js";
import { CachedKeyDirectory } from "../../charging/keyDirectory.js";
import { PseudonymIssuer } from "../../charging/pseudonyms.js";
import { ScheduleService } from "../../charging/scheduleService.js";
import { authenticateVehicles, type AuthenticationOutcome } from "./authentication.js";
import { DayClock, SLOT_SECONDS, SLOTS } from "./clock.js";
import { Timeline, type DayContext } from "./context.js";
import { DayError } from "./errors.js";
import { runDischargeRequests, type DischargeOutcome } from "./discharge.js";
import { executeDay, type ExecutionOutcome } from "./execution.js";
import { GasBook } from "./gas.js";
import { addLoad, CURRENCY, emptyCurves, TARIFF_ID, tariffOf, type LoadCurves } from "./grid.js";
import { negotiateFleet, type Fleet } from "./negotiation.js";
import { checkDayOptions, type DayOptions } from "./options.js";
import { createParties } from "./parties.js";
import { recordDayPayments, type PaymentsOutcome } from "./payments.js";
import { silentProgress, type Progress } from "./progress.js";
import { SeededRandom, seedEthersRandom } from "./random.js";
import { REPORT_FILES } from "./report.js";
import { startDayServices, type DayServices } from "./services.js";
import { DayStores } from "./stores.js";
import { deployDayContracts, enrolParties, type DayChain } from "./world.js";

export interface ChargingDayOptions extends DayOptions {
  readonly progress?: Progress;
}

export interface ChargingDay {
  readonly day: DayContext;
  readonly startedAt: Date;
  readonly services: DayServices;
  readonly auth: AuthenticationOutcome;
  readonly discharge: DischargeOutcome;
  readonly fleets: Fleet[];
  readonly execution: ExecutionOutcome;
  readonly payments: PaymentsOutcome;
  readonly load: LoadCurves;
  /** Batches anchored over the whole day, and of those at its end. */
  readonly anchored: { batches: number; roots: number; atEnd: number };
  /** Wall-clock seconds from the first authentication to the last anchored batch. */
  readonly sessionSeconds: number;
  /** Stops the services, closes the stores and puts ethers' own randomness back (idempotent). */
  close(): Promise<void>;
}

export async function runChargingDay(options: ChargingDayOptions, chain: DayChain): Promise<ChargingDay> {
  const o = checkDayOptions(options);
  const startedAt = new Date();
  const random = new SeededRandom(o.seed);
  const restoreRandom = seedEthersRandom(random.fork("nonces"));
  const progress = options.progress ?? silentProgress;
  const clock = new DayClock();
  const gas = new GasBook();
  const timeline = new Timeline(clock);
  const cleanups: (() => Promise<void> | void)[] = [restoreRandom, () => progress.close()];
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    for (const c of cleanups.reverse()) await c();
  })());
  try {
    const parties = createParties(o, random);
    mkdirSync(o.outDir, { recursive: true });

    progress.phase("chain");
    const latest = await chain.provider.getBlock("latest");
    if (latest !== null && BigInt(latest.timestamp) >= clock.setUpAt) {
      throw new DayError("BAD_OPTION", `the chain's clock (${clock.iso(BigInt(latest.timestamp))}) is past the simulated day: run the day on a fresh node`);
    }
    await clock.syncChain(chain, clock.setUpAt);
    const contracts = await deployDayContracts(chain, gas);
    writeDeployments(join(o.outDir, REPORT_FILES.deployments), contracts.full.deployment);
    const enrolled = await enrolParties(chain, contracts, parties, clock, gas);
    timeline.add("set-up", `contracts deployed; ${enrolled} participants registered with roles and signing keys`, "operator");
    progress.done(`contracts deployed, ${enrolled} participants registered`);

    const domain = { chainId: contracts.full.chainId, verifyingContract: contracts.full.ledgerAddress };
    const stores = new DayStores(join(o.outDir, "stores"), domain, contracts.full.deployment.contracts.EvidenceLedger.block);
    cleanups.push(() => stores.close());
    const connect = (w: { connect(p: DayChain["provider"]): unknown }) => w.connect(chain.provider) as Signer;
    const supplierStores = parties.suppliers.map((s) => stores.open(s.id, `supplier-${s.id}.sqlite`, connect(s.account)));
    const aggregatorStores = parties.aggregators.map((a) => stores.open(a.id, `aggregator-${a.id}.sqlite`, connect(a.account)));
    const siteStores = parties.aggregators.map((a) => stores.open(a.site.id, `site-${a.site.id}.sqlite`, connect(a.site.account)));
    const userStores = parties.vehicles.map((v) => stores.open(`user of ${v.id}`, join("users", `${v.id}.sqlite`)));
    const artefacts = parties.aggregators.map((a) => ArtefactStore.open(join(stores.dir, `site-${a.site.id}-ocmf.sqlite`)));
    cleanups.push(() => artefacts.forEach((x) => x.close()));
    const day: DayContext = {
      options: o, random, clock, chain, contracts, domains: contracts.domains, directory: new CachedKeyDirectory(contracts.full.registry, chain.provider),
      parties, stores, supplierStores, aggregatorStores, siteStores, userStores, sequences: new FlowSequences(), gas, timeline, progress,
    };

    await clock.syncChain(chain);
    progress.phase("services");
    // The services' own state (key images seen, rounds counted) is the day's: a fresh folder each run.
    const servicesDir = join(o.outDir, "services");
    rmSync(servicesDir, { recursive: true, force: true });
    mkdirSync(servicesDir, { recursive: true });
    const services: DayServices = await startDayServices(parties, contracts.full.registry, chain.operator, clock, random, o.ringSize, servicesDir, gas);
    cleanups.push(() => services.stop());
    timeline.add("set-up", `CA service and ${services.lags.length} LAG services listening on 127.0.0.1; ${parties.suppliers.length} group roots committed on-chain`, "CA");
    progress.done(`CA service at ${services.caService.url}, ${services.lags.length} LAG services`);

    const sessionsStarted = Date.now();
    progress.phase("authentication", parties.vehicles.length);
    clock.advance(300);
    const auth = await authenticateVehicles(parties, services, () => progress.tick());
    timeline.add("authentication", `${auth.accepted} vehicles authenticated anonymously over the network (rings of ${o.ringSize}); refused: ${Object.entries(auth.refused).map(([k, v]) => `${v} ${k}`).join(", ")}`);
    progress.done(`${auth.accepted} accepted, ${auth.attempts - auth.accepted} refused (${Object.keys(auth.refused).join(", ")})`);

    progress.phase("discharge requests");
    clock.advance(300);
    const discharge = await runDischargeRequests(parties, services, auth.sessions);
    timeline.add("discharge", `the CA asked ${discharge.requested} vehicles for V2G through their LAGs: ${discharge.accepted} accepted, ${discharge.declined} declined (answers sealed for the CA)`, "CA");
    progress.done(`${discharge.requested} asked, ${discharge.accepted} accepted, ${discharge.declined} declined`);

    progress.phase("requests and schedules", parties.vehicles.length);
    clock.advance(300);
    const tariffs: SignedArtefact<"Tariff">[] = [];
    for (const s of parties.suppliers) {
      tariffs.push(await signArtefact(s.key, s.account.address, contracts.domains.charging, "Tariff", {
        supplier: s.account.address, tariffId: TARIFF_ID, currency: CURRENCY, start: clock.dayStart, slotSeconds: SLOT_SECONDS, ...tariffOf(s.index), validUntil: clock.dayStart + 2n * 86_400n,
      }));
    }
    const issuers = parties.suppliers.map((s) => new PseudonymIssuer(s.account.address, s.key, contracts.domains.charging));
    const scheduler = new ScheduleService();
    cleanups.push(() => scheduler.close());
    const fleets: Fleet[] = [];
    // One commit per store and fleet: a fleet's negotiation lands whole or not at all.
    for (const a of parties.aggregators) fleets.push(await stores.batch(() => negotiateFleet(day, a, issuers, tariffs[a.host]!, discharge.answers, scheduler)));
    const infeasible = fleets.reduce((s, f) => s + f.infeasible, 0);
    timeline.add("scheduling", `${fleets.length} fleets optimised (one LP each, HiGHS in a worker): ${fleets.reduce((s, f) => s + f.sessions.length, 0)} schedules, ${fleets.reduce((s, f) => s + f.reschedules, 0)} rescheduled, ${fleets.reduce((s, f) => s + f.rejects, 0)} rejected, ${infeasible} with a shortfall`);
    progress.done(`${fleets.length} LPs, ${fleets.reduce((s, f) => s + f.reschedules, 0)} reschedules, ${fleets.reduce((s, f) => s + f.rejects, 0)} rejects, ${infeasible} infeasible`);

    progress.phase("charging day", fleets.reduce((s, f) => s + f.sessions.filter((x) => x.decision !== "reject").length, 0));
    const highs = await loadHighs();
    const execution = await executeDay(day, fleets, artefacts, highs);
    timeline.add("sessions", `${execution.sessions.length} sessions executed: ${execution.csevs} CSEVs receipted by EVSEs, ${execution.readings} OCMF records metered, ${execution.cdrs} roaming CDRs signed`);
    progress.done(`${execution.sessions.length} sessions, ${execution.csevs} CSEVs, ${execution.readings} OCMF records, ${execution.cdrs} CDRs`);

    progress.phase("payments and bills");
    // One commit per store: the day's payments and their receipts land whole or not at all.
    const payments = await stores.batch(() => recordDayPayments(day, execution.sessions, execution.ancillary, execution.home, issuers));
    progress.done(`${payments.flows.energy.count} energy payments, ${payments.flows.discharge.count} discharge credits, ${payments.flows.ancillary.count} incentives, ${payments.bills.length} bills`);

    progress.phase("evidence anchoring");
    clock.set(clock.dayStart + BigInt(SLOTS * SLOT_SECONDS) - 600n);
    await clock.syncChain(chain);
    const anchored = await stores.anchorAll(gas);
    timeline.add("evidence", `${anchored.batches} evidence batches anchored on the EvidenceLedger: ${anchored.batches - anchored.atEnd} during the day, each before its messages expired, and ${anchored.atEnd} at its end`);
    progress.done(`${anchored.batches} batches anchored (${anchored.batches - anchored.atEnd} during the day, ${anchored.atEnd} at its end)`);

    const load = emptyCurves();
    for (const f of fleets) {
      const kept = f.sessions.map((s, i) => ({ s, i })).filter(({ s }) => s.decision !== "reject");
      addLoad(load, f.problem.feederImportKw, kept.map(({ s }) => s.plan), kept.map(({ i }) => f.uncontrolled[i]!));
    }
    const sessionSeconds = (Date.now() - sessionsStarted) / 1000;
    return { day, startedAt, services, auth, discharge, fleets, execution, payments, load, anchored, sessionSeconds, close };
  } catch (error) {
    await close();
    throw error;
  }
}
