/**
 * `ca serve` on loopback: a vehicle's discharge answer and a pseudo-status round travel vehicle →
 * LAG service → CA service; the rounds counted survive a CA restart; garbage and oversized bodies
 * are refused before any worker runs; stop() drains in-flight requests; /health and /metrics.
 */
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  decodeMessage,
  LagDischargeDesk,
  LagStatusDesk,
  openLagCaChannel,
  VehicleDischarge,
  VehicleStatusReport,
  type LagSession,
  type SessionChannel,
  type VehicleAuthResult,
} from "../../src/protocol/index.js";
import { CaClient } from "../../src/services/caClient.js";
import type { CaService, CaServiceOptions } from "../../src/services/caServer.js";
import { SqliteKeyImageStore } from "../../src/services/stores/sqliteKeyImages.js";
import { authenticateAtLag, LagClient } from "../../src/services/vehicleClient.js";
import type { LagService } from "../../src/services/lagServer.js";
import { expectCodeAsync } from "../protocol/helpers/world.js";
import { localDeployment, startLocalCa, startLocalLag, type Local } from "./helpers/service.js";
import { spawnService, waitForGauge } from "./helpers/spawnService.js";

interface Vehicle {
  readonly index: number;
  readonly vehicle: VehicleAuthResult;
  readonly lag: LagSession;
}

describe("Services: the CA service on loopback", function () {
  this.timeout(120_000);
  let local: Local;
  let lag: LagService;
  let ca: CaService;
  let caClient: CaClient;
  let vehicles: Vehicle[];
  let toCa: SessionChannel;

  const startCa = (db: string, overrides: Partial<CaServiceOptions> = {}) => startLocalCa(local, db, overrides);

  /** A status round of `statuses` from the first vehicles: the sealed batch and the LAG desk. */
  const statusRound = (statuses: readonly bigint[]) => {
    const d = local.deployment;
    const desk = new LagStatusDesk(local.ctx, d.lag.lagId, d.ca.publicKeys, toCa);
    const reports = statuses.map((status, i) => {
      const v = vehicles[i] as Vehicle;
      const report = new VehicleStatusReport(local.ctx, v.vehicle, d.ca.publicKeys, d.credentials[v.index] as (typeof d.credentials)[number]);
      desk.onReport(v.lag, report.report(status, desk.announce(v.lag)));
      return report;
    });
    return { desk, reports, batch: desk.closeBatch() };
  };

  before(async function () {
    local = await localDeployment(12, 4);
    lag = await startLocalLag(local);
    ca = await startCa("ca-rounds.db");
    caClient = new CaClient(ca.url);
    const d = local.deployment;
    toCa = openLagCaChannel(local.ctx.backend, d.lag, d.ca.publicKeys);
    // Four vehicles authenticate at the LAG service over HTTP, as vehicles do.
    const client = new LagClient(lag.url);
    vehicles = [];
    for (const index of [0, 1, 2, 3]) {
      const vehicle = await authenticateAtLag(client, local.ctx, d.credentials[index] as (typeof d.credentials)[number], d.ca.publicKeys);
      vehicles.push({ index, vehicle, lag: lag.auth.sessions.get(vehicle.channel.id) });
    }
    client.close();
  });

  after(async function () {
    caClient.close();
    await ca.stop();
    await lag.stop();
    local.remove();
  });

  it("should aggregate a status round forwarded by the LAG, with the ring checks on the worker pool", async function () {
    const statuses = [1200n, 0n, 35_000n, 7n];
    const jobsBefore = ca.pool.completedJobs;
    const { desk, reports, batch } = statusRound(statuses);
    const result = desk.onResult(await caClient.forwardStatusBatch(batch));
    expect(result.aggregate).to.equal(36_207n);
    result.deliveries.forEach((delivery, i) => expect(reports[i]?.onDelivery(delivery.bytes)).to.deep.equal({ status: statuses[i], aggregate: 36_207n, count: 4 }));
    // Four entries over two workers: two jobs, none on the event loop.
    expect(ca.pool.completedJobs - jobsBefore).to.equal(2);
    const metrics = await (await fetch(`${ca.url}/metrics`)).text();
    expect(metrics).to.include('v2g_ca_requests_total{kind="status-batch",outcome="accepted"} 1');
  });

  it("should count a vehicle's discharge answer forwarded by the LAG, and refuse it a second time", async function () {
    const d = local.deployment;
    const now = local.ctx.clock();
    const request = ca.discharge.issue(d.lag.lagId, 1n, 5_000n, now - 10n, now + 600n);
    const { requestId } = decodeMessage("DischargeRequest", request);
    const lagDesk = new LagDischargeDesk(local.ctx, d.ca.publicKeys, toCa);
    const v = vehicles[0] as Vehicle;
    const discharge = new VehicleDischarge(local.ctx, v.vehicle, d.ca.publicKeys, d.credentials[v.index] as (typeof d.credentials)[number]);
    discharge.onOffer(lagDesk.offer(v.lag, request));
    const forward = lagDesk.onAnswer(v.lag, discharge.answer(requestId, true));
    const receipt = await caClient.forwardDischargeAnswer(forward);
    expect(receipt.applied).to.equal(true);
    expect(receipt.requestId).to.deep.equal(requestId);
    expect(ca.discharge.tally(requestId)).to.deep.equal({ accepted: 1, declined: 0 });
    await expectCodeAsync(caClient.forwardDischargeAnswer(forward), "REPLAYED");
    expect(ca.discharge.tally(requestId)).to.deep.equal({ accepted: 1, declined: 0 });
  });

  it("should refuse a batch replayed to a restarted CA (the counted rounds are durable)", async function () {
    const statuses = [10n, 20n];
    const { desk, batch } = statusRound(statuses);
    expect(desk.onResult(await caClient.forwardStatusBatch(batch)).aggregate).to.equal(30n);
    // Restart: the new service reopens the LAG's channel from its permit (the CA's receive
    // window starts empty, so the channel alone would accept the replay) on the same database.
    caClient.close();
    await ca.stop();
    ca = await startCa("ca-rounds.db");
    caClient = new CaClient(ca.url);
    await expectCodeAsync(caClient.forwardStatusBatch(batch), "REPLAYED");
    // The same replay to a CA that forgot its rounds (an empty database) is counted again: the
    // record is what refuses it.
    const forgetful = await startCa("ca-rounds-empty.db");
    const forgetfulClient = new CaClient(forgetful.url);
    try {
      await forgetfulClient.forwardStatusBatch(batch);
      expect(forgetful.status.records.size, "the forgetful CA counted the replayed round").to.equal(1);
    } finally {
      forgetfulClient.close();
      await forgetful.stop();
    }
  });

  it("should refuse oversized, garbage and misrouted bodies before any worker runs", async function () {
    const small = await startCa("ca-rounds-small.db", { bodyLimit: 1024 });
    const client = new CaClient(small.url);
    try {
      const { batch } = statusRound([1n, 2n]);
      const jobsBefore = small.pool.completedJobs;
      await expectCodeAsync(client.post("/v1/status/batch", new Uint8Array([0xff, 0x21, 1, 2, 3])), "UNSUPPORTED_VERSION");
      await expectCodeAsync(client.post("/v1/status/batch", new Uint8Array([batch[0] as number, 0xee])), "UNKNOWN_MESSAGE_TYPE");
      await expectCodeAsync(client.post("/v1/discharge/forward", batch.subarray(0, 1000)), "UNEXPECTED_MESSAGE");
      const unknownChannel = batch.slice(0, 1000);
      unknownChannel.fill(0, 2, 34);
      await expectCodeAsync(client.post("/v1/status/batch", unknownChannel), "WRONG_SESSION");
      expect(small.pool.completedJobs, "a worker ran for a refused body").to.equal(jobsBefore);
      // Oversized: 413 from the content-length, before the body is read.
      const status = await fetch(`${small.url}/v1/status/batch`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(4096) });
      expect(status.status).to.equal(413);
    } finally {
      client.close();
      await small.stop();
    }
  });

  it("should finish a request in flight when stopped, then refuse new ones", async function () {
    const draining = await startCa("ca-rounds-drain.db");
    const client = new CaClient(draining.url);
    const { desk, batch } = statusRound([5n, 6n, 7n, 8n]);
    const answer = client.forwardStatusBatch(batch);
    // Wait until the ring checks are on the pool, then stop.
    const deadline = Date.now() + 10_000;
    while (draining.pool.inFlight === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(draining.pool.inFlight, "no request was in flight when the stop began").to.be.at.least(1);
    const stopped = draining.stop();
    expect(desk.onResult(await answer).aggregate).to.equal(26n);
    await stopped;
    client.close();
    await expectCodeAsync(new CaClient(draining.url).forwardStatusBatch(batch), "UNAVAILABLE");
  });

  it("should drain in-flight batches on SIGTERM as `ca serve`, record their rounds and exit 0", async function () {
    const d = local.deployment;
    const config = join(local.dir, "ca.drain.json");
    writeFileSync(
      config,
      JSON.stringify({
        port: 0,
        permitKey: { file: d.files.caKeys.permit },
        escrowKey: { file: d.files.caKeys.escrow },
        envelopeKey: { file: d.files.caKeys.envelope },
        groupFiles: [d.files.group],
        lagPermitFiles: [d.files.permit],
        rounds: { sqlite: "drain-rounds.db" },
        workers: 1,
        logLevel: "silent",
      }),
    );
    const service = await spawnService(["ca", "serve", "--config", config]);
    const { url, exited } = service;
    const client = new CaClient(url);
    try {
      // Eight rounds of the four vehicles at once: 32 ring checks on one worker.
      const rounds = Array.from({ length: 8 }, (_, r) => statusRound([BigInt(r), 1n, 2n, 3n]));
      const answers = rounds.map((round) => client.forwardStatusBatch(round.batch));
      const inFlight = await waitForGauge(url, "v2g_ca_requests_in_flight", 1);
      service.child.kill("SIGTERM");
      expect(inFlight, "no batch was in flight when SIGTERM was sent").to.be.at.least(1);
      const results = await Promise.all(answers);
      results.forEach((bytes, r) => expect(rounds[r]?.desk.onResult(bytes).aggregate).to.equal(BigInt(r) + 6n));
      expect(await exited).to.equal(0);
      await expectCodeAsync(client.forwardStatusBatch(statusRound([1n, 2n]).batch), "UNAVAILABLE");
      const store = new SqliteKeyImageStore(join(local.dir, "drain-rounds.db"));
      expect(store.count(), "every round answered is recorded").to.equal(8);
      await store.close();
    } finally {
      client.close();
      service.kill();
    }
  });

  it("should report its health", async function () {
    const health = (await (await fetch(`${ca.url}/health`)).json()) as { status: string; role: string; workers: number };
    expect(health).to.deep.equal({ status: "ok", role: "ca", workers: 2 });
  });
});
