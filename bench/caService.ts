/**
 * The CA as a network service over loopback: its throughput for pseudo-status batches and for
 * forwarded discharge answers, with 1 ring-check worker and with one per core (part of
 * `npm run bench:services`, same run and JSON).
 *
 *   ca_status_entries_per_s_1_worker / _all_workers   status entries answered per second
 *                                                      (batches of STATUS_BATCH, all in flight)
 *   ca_status_scaling                                  their ratio
 *   ca_discharge_answers_per_s_1_worker / _all_workers forwarded answers applied per second
 *   ca_discharge_scaling                               their ratio
 *
 * Inputs are prepared before each timed phase: the vehicles authenticated at an in-process LAG
 * once, and before each delivery they sign their reports and answers and the LAG seals its
 * batches and forwards; the timed phase only sends those bodies and waits for the CA's answers,
 * which are checked after the clock stops (aggregates and every vehicle's reply; receipts and
 * the tally). The CA service runs in this process: its discharge requests are issued by its
 * operator in process (there is no route for it). Rounds alternate between the two worker
 * counts, each on a freshly started service (its start is not timed); rates are medians.
 */
import { join } from "node:path";
import { pino } from "pino";
import {
  GroupDirectory,
  LagAuthenticator,
  LagDischargeDesk,
  LagStatusDesk,
  openLagCaChannel,
  VehicleAuth,
  VehicleDischarge,
  VehicleMemory,
  VehicleStatusReport,
  decodeMessage,
  type LagSession,
  type PartyContext,
  type SessionChannel,
  type VehicleAuthResult,
} from "../src/protocol/index.js";
import { CaClient } from "../src/services/caClient.js";
import { startCaService, type CaService } from "../src/services/caServer.js";
import { loadGroupFile, type Deployment } from "../src/services/deployment.js";
import { SqliteKeyImageStore } from "../src/services/stores/sqliteKeyImages.js";
import { median, type Metrics } from "./metrics.js";

const ROUNDS = 5;
const VEHICLES = 64;
const STATUS_BATCH = 32;
/** Forwarded answers in flight at once. */
const DISCHARGE_IN_FLIGHT = 8;

interface Vehicle {
  readonly credential: Deployment["credentials"][number];
  readonly auth: VehicleAuthResult;
  readonly lag: LagSession;
}

/** The deployment's first `VEHICLES` vehicles, authenticated at an in-process LAG (set-up, not timed). */
function authenticate(ctx: PartyContext, d: Deployment, dir: string): Vehicle[] {
  const groups = new GroupDirectory();
  loadGroupFile(groups, join(dir, d.files.group));
  const lag = new LagAuthenticator(ctx, d.lag, d.ca.publicKeys, groups);
  return d.credentials.slice(0, VEHICLES).map((credential) => {
    const run = new VehicleAuth(ctx, credential, d.ca.publicKeys, new VehicleMemory());
    const { confirm, session } = lag.onResponse(run.onChallenge(lag.challenge()));
    return { credential, auth: run.onConfirm(confirm), lag: session };
  });
}

async function startCa(d: Deployment, dir: string, workers: number, round: number): Promise<CaService> {
  return startCaService({
    ca: d.ca,
    lagPermits: [d.lag.permit],
    rounds: new SqliteKeyImageStore(join(dir, `ca-rounds-${workers}-${round}.db`)),
    host: "127.0.0.1",
    port: 0,
    workers,
    maxActive: 16,
    rateLimit: { max: 100_000, windowMs: 60_000 },
    bodyLimit: 512 * 1024,
    logger: pino({ level: "silent" }),
  });
}

/** Status entries answered per second: every vehicle reports, the batches are delivered at once. */
async function statusRound(ctx: PartyContext, d: Deployment, toCa: SessionChannel, vehicles: readonly Vehicle[], client: CaClient): Promise<number> {
  const desk = new LagStatusDesk(ctx, d.lag.lagId, d.ca.publicKeys, toCa);
  const batches: { bytes: Uint8Array; reports: VehicleStatusReport[]; statuses: bigint[] }[] = [];
  for (let from = 0; from < vehicles.length; from += STATUS_BATCH) {
    const members = vehicles.slice(from, from + STATUS_BATCH);
    const statuses = members.map((_, i) => BigInt(100 * (from + i) + 7));
    const reports = members.map((v, i) => {
      const report = new VehicleStatusReport(ctx, v.auth, d.ca.publicKeys, v.credential);
      desk.onReport(v.lag, report.report(statuses[i] as bigint, desk.announce(v.lag)));
      return report;
    });
    batches.push({ bytes: desk.closeBatch(), reports, statuses });
  }
  const started = performance.now();
  const results = await Promise.all(batches.map((b) => client.forwardStatusBatch(b.bytes)));
  const rate = (vehicles.length * 1000) / (performance.now() - started);
  results.forEach((bytes, k) => {
    const { reports, statuses } = batches[k] as (typeof batches)[number];
    const { aggregate, deliveries } = desk.onResult(bytes);
    if (aggregate !== statuses.reduce((a, b) => a + b, 0n)) throw new Error("the CA's aggregate is wrong");
    deliveries.forEach((delivery, i) => {
      if ((reports[i] as VehicleStatusReport).onDelivery(delivery.bytes).status !== statuses[i]) throw new Error("a vehicle's status came back wrong");
    });
  });
  return rate;
}

/** Forwarded discharge answers applied per second: every vehicle answers one fresh request. */
async function dischargeRound(ctx: PartyContext, d: Deployment, toCa: SessionChannel, vehicles: readonly Vehicle[], ca: CaService, client: CaClient): Promise<number> {
  const now = ctx.clock();
  const request = ca.discharge.issue(d.lag.lagId, 1n, 5_000n, now - 10n, now + 600n);
  const { requestId } = decodeMessage("DischargeRequest", request);
  const desk = new LagDischargeDesk(ctx, d.ca.publicKeys, toCa);
  const forwards = vehicles.map((v, i) => {
    const discharge = new VehicleDischarge(ctx, v.auth, d.ca.publicKeys, v.credential);
    discharge.onOffer(desk.offer(v.lag, request));
    return desk.onAnswer(v.lag, discharge.answer(requestId, i % 3 !== 0));
  });
  const receipts: { applied: boolean }[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: DISCHARGE_IN_FLIGHT }, async () => {
      while (next < forwards.length) receipts.push(await client.forwardDischargeAnswer(forwards[next++] as Uint8Array));
    }),
  );
  const rate = (forwards.length * 1000) / (performance.now() - started);
  const accepted = vehicles.filter((_, i) => i % 3 !== 0).length;
  const tally = ca.discharge.tally(requestId);
  if (!receipts.every((r) => r.applied) || tally.accepted !== accepted || tally.declined !== vehicles.length - accepted) {
    throw new Error("the CA did not apply every answer");
  }
  return rate;
}

/** The CA figures, 1 worker against `all`, in alternating rounds. */
export async function caThroughput(ctx: PartyContext, d: Deployment, dir: string, all: number): Promise<Metrics> {
  const vehicles = authenticate(ctx, d, dir);
  // One channel to the CA for the whole run: each restarted CA reopens its end with an empty
  // receive window and counters above the previous run's.
  const toCa = openLagCaChannel(ctx.backend, d.lag, d.ca.publicKeys);
  const status: [number[], number[]] = [[], []];
  const discharge: [number[], number[]] = [[], []];
  for (let r = -1; r < ROUNDS; r++) {
    for (const [k, workers] of [1, all].entries()) {
      const ca = await startCa(d, dir, workers, r);
      const client = new CaClient(ca.url, { maxSockets: DISCHARGE_IN_FLIGHT });
      try {
        const s = await statusRound(ctx, d, toCa, vehicles, client);
        const a = await dischargeRound(ctx, d, toCa, vehicles, ca, client);
        // Round -1 warms both up and is not counted.
        if (r >= 0) {
          (status[k] as number[]).push(s);
          (discharge[k] as number[]).push(a);
        }
      } finally {
        client.close();
        await ca.stop();
      }
    }
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");
  console.log(`  CA status entries/s, 1 worker:   ${fmt(status[0])}`);
  console.log(`  CA status entries/s, ${all} workers:  ${fmt(status[1])}`);
  console.log(`  CA discharge answers/s, 1 worker:   ${fmt(discharge[0])}`);
  console.log(`  CA discharge answers/s, ${all} workers:  ${fmt(discharge[1])}`);
  const [s1, sAll, a1, aAll] = [median(status[0]), median(status[1]), median(discharge[0]), median(discharge[1])];
  return {
    ca_status_entries_per_s_1_worker: { value: Number(s1.toFixed(1)), unit: "entries/s" },
    ca_status_entries_per_s_all_workers: { value: Number(sAll.toFixed(1)), unit: "entries/s" },
    ca_status_scaling: { value: Number((sAll / s1).toFixed(3)), unit: "ratio" },
    ca_status_batch_entries: { value: STATUS_BATCH, unit: "entries" },
    ca_discharge_answers_per_s_1_worker: { value: Number(a1.toFixed(1)), unit: "answers/s" },
    ca_discharge_answers_per_s_all_workers: { value: Number(aAll.toFixed(1)), unit: "answers/s" },
    ca_discharge_scaling: { value: Number((aAll / a1).toFixed(3)), unit: "ratio" },
  };
}
