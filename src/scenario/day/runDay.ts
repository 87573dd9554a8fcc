/**
 * `runDay(options, chain, settle)`: a whole day of V2G roaming, every step through the real code
 * and the real services, in order — contracts and parties on the chain, the CA and LAG services
 * on loopback, anonymous authentication, discharge requests, requests and one LP per fleet,
 * schedules and confirmations, the day executed (CSEV control, OCMF metering, CDRs, the TSO's
 * event), evidence anchored, then the settlement (`settle`), the escrow opening for its dispute,
 * and the report. Everything random comes from the seed; the services and stores are closed on
 * every path out.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeDeployments } from "../../chain/deployAll.js";
import type { SignedArtefact } from "../../charging/artefactTypes.js";
import { signArtefact } from "../../charging/artefacts.js";
import { ArtefactStore } from "../../charging/artefactStore.js";
import { loadHighs } from "../../charging/highs.js";
import { RegistryKeyDirectory } from "../../charging/keyDirectory.js";
import { PseudonymIssuer } from "../../charging/pseudonyms.js";
import { ScheduleService } from "../../charging/scheduleService.js";
import type { DayReport } from "../../report/schema.js";
import { authenticateVehicles } from "./authentication.js";
import { DayClock, SLOT_SECONDS, SLOTS } from "./clock.js";
import { Timeline, type DayContext } from "./context.js";
import { runDischargeRequests } from "./discharge.js";
import { openDisputeEscrow } from "./escrow.js";
import { executeDay } from "./execution.js";
import { GasBook } from "./gas.js";
import { addLoad, CURRENCY, emptyCurves, TARIFF_ID, tariffOf } from "./grid.js";
import { negotiateFleet, type Fleet } from "./negotiation.js";
import { checkDayOptions, type DayOptions } from "./options.js";
import { createParties } from "./parties.js";
import { silentProgress, type Progress } from "./progress.js";
import { SeededRandom, seedEthersRandom } from "./random.js";
import { assembleReport, REPORT_FILES } from "./report.js";
import { startDayServices, type DayServices } from "./services.js";
import type { SettleDay } from "./settlementStep.js";
import { settlementInput } from "./settlementStep.js";
import { DayStores } from "./stores.js";
import { deployDayContracts, enrolParties, type DayChain } from "./world.js";

export interface RunDayOptions extends DayOptions {
  readonly progress?: Progress;
}

export async function runDay(options: RunDayOptions, chain: DayChain, settle: SettleDay): Promise<DayReport> {
  const o = checkDayOptions(options);
  const startedAt = new Date();
  const random = new SeededRandom(o.seed);
  const restoreRandom = seedEthersRandom(random.fork("nonces"));
  const progress = options.progress ?? silentProgress;
  const clock = new DayClock();
  const gas = new GasBook();
  const timeline = new Timeline(clock);
  const cleanups: (() => Promise<void> | void)[] = [restoreRandom, () => progress.close()];
  try {
    const parties = createParties(o, random);
    mkdirSync(o.outDir, { recursive: true });

    progress.phase("chain");
    await clock.syncChain(chain, clock.setUpAt);
    const contracts = await deployDayContracts(chain, gas);
    writeDeployments(join(o.outDir, REPORT_FILES.deployments), contracts.full.deployment);
    const enrolled = await enrolParties(chain, contracts, parties, clock, gas);
    timeline.add("set-up", `contracts deployed; ${enrolled} participants registered with roles and signing keys`, "operator");
    progress.done(`contracts deployed, ${enrolled} participants registered`);

    const domain = { chainId: contracts.full.chainId, verifyingContract: contracts.full.ledgerAddress };
    const stores = new DayStores(join(o.outDir, "stores"), domain);
    cleanups.push(() => stores.close());
    const connect = (w: { connect(p: DayChain["provider"]): unknown }) => w.connect(chain.provider) as import("ethers").Signer;
    const supplierStores = parties.suppliers.map((s) => stores.open(s.id, `supplier-${s.id}.sqlite`, connect(s.account)));
    const aggregatorStores = parties.aggregators.map((a) => stores.open(a.id, `aggregator-${a.id}.sqlite`, connect(a.account)));
    const siteStores = parties.aggregators.map((a) => stores.open(a.site.id, `site-${a.site.id}.sqlite`, connect(a.site.account)));
    const userStores = parties.vehicles.map((v) => stores.open(`user of ${v.id}`, join("users", `${v.id}.sqlite`)));
    const artefacts = parties.aggregators.map((a) => ArtefactStore.open(join(stores.dir, `site-${a.site.id}-ocmf.sqlite`)));
    cleanups.push(() => artefacts.forEach((x) => x.close()));
    const day: DayContext = {
      options: o, random, clock, chain, contracts, domains: contracts.domains, directory: new RegistryKeyDirectory(contracts.full.registry),
      parties, stores, supplierStores, aggregatorStores, siteStores, userStores, gas, timeline, progress,
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

    progress.phase("authentication", parties.vehicles.length);
    clock.advance(300);
    const auth = await authenticateVehicles(parties, services);
    timeline.add("authentication", `${auth.accepted} vehicles authenticated anonymously over the network (rings of ${o.ringSize}); refused: ${Object.entries(auth.refused).map(([k, v]) => `${v} ${k}`).join(", ")}`);
    progress.done(`${auth.accepted} accepted, ${auth.attempts - auth.accepted} refused (${Object.keys(auth.refused).join(", ")})`);

    progress.phase("discharge requests");
    clock.advance(300);
    const discharge = await runDischargeRequests(parties, services, auth.sessions, clock);
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
    for (const a of parties.aggregators) fleets.push(await negotiateFleet(day, a, issuers, tariffs[a.host]!, discharge.answers, scheduler));
    const infeasible = fleets.reduce((s, f) => s + f.infeasible, 0);
    timeline.add("scheduling", `${fleets.length} fleets optimised (one LP each, HiGHS in a worker): ${fleets.reduce((s, f) => s + f.sessions.length, 0)} schedules, ${fleets.reduce((s, f) => s + f.reschedules, 0)} rescheduled, ${fleets.reduce((s, f) => s + f.rejects, 0)} rejected, ${infeasible} with a shortfall`);
    progress.done(`${fleets.length} LPs, ${fleets.reduce((s, f) => s + f.reschedules, 0)} reschedules, ${fleets.reduce((s, f) => s + f.rejects, 0)} rejects, ${infeasible} infeasible`);

    progress.phase("charging day", fleets.reduce((s, f) => s + f.sessions.filter((x) => x.decision !== "reject").length, 0));
    const highs = await loadHighs();
    const execution = await executeDay(day, fleets, artefacts, highs);
    timeline.add("sessions", `${execution.sessions.length} sessions executed: ${execution.csevs} CSEVs receipted by EVSEs, ${execution.readings} OCMF records metered, ${execution.cdrs} roaming CDRs signed`);
    progress.done(`${execution.sessions.length} sessions, ${execution.csevs} CSEVs, ${execution.readings} OCMF records, ${execution.cdrs} CDRs`);

    progress.phase("evidence anchoring");
    clock.set(clock.dayStart + BigInt(SLOTS * SLOT_SECONDS) - 600n);
    await clock.syncChain(chain);
    const anchored = await stores.anchorAll(gas);
    timeline.add("evidence", `${anchored.batches} evidence batches anchored on the EvidenceLedger`);
    progress.done(`${anchored.batches} batches anchored`);

    const load = emptyCurves();
    for (const f of fleets) {
      const kept = f.sessions.map((s, i) => ({ s, i })).filter(({ s }) => s.decision !== "reject");
      addLoad(load, f.problem.feederImportKw, kept.map(({ s }) => s.plan), kept.map(({ i }) => f.uncontrolled[i]!));
    }

    progress.phase("settlement");
    const settled = await settle(settlementInput(day, chain));
    gas.addEntries(settled.gas);
    timeline.merge(settled.timeline);
    progress.done(`${settled.settlement.claims.length} claims, dispute ${settled.dispute.outcome}`);

    progress.phase("escrow opening");
    const disputed = execution.sessions.find((x) => x.session.sessionId === settled.disputedSessionId);
    if (disputed === undefined) throw new Error(`the disputed session ${settled.disputedSessionId} is not a session of the day`);
    const v = disputed.session.vehicle;
    const escrowOpening = await openDisputeEscrow(day, {
      ca: services.ca,
      caAccount: chain.operator,
      escrowOpenings: contracts.full.escrowOpenings,
      recorder: settled.disputeRecord.recorder,
      recordId: settled.disputeRecord.recordId,
      vehicle: { id: v.id, transcript: auth.sessions[v.index]!.vehicle.transcript, credential: services.credentials[v.index]! },
      reason: settled.dispute.reason,
    });
    progress.done(`approved ${escrowOpening.approvals} of ${escrowOpening.threshold}, opened: ${escrowOpening.opened}`);

    return assembleReport({
      day, startedAt, auth, discharge, fleets, execution, load, anchored, settled, escrowOpening, attributes: services.attributes, lagUrls: services.lags.map((l) => l.service.url),
    });
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}
