/**
 * The session after authentication over the network: vehicles authenticate at the LAG service,
 * poll their sessions, send their status reports and discharge answers over HTTP and the
 * WebSocket; the LAG forwards to the CA service. The CA's operator issues discharge requests
 * through its authenticated route. Replayed, garbage, tampered and out-of-session messages are
 * refused with their codes before any worker runs.
 */
import { expect } from "chai";
import { decodeMessage, peekMessage, VehicleDischarge, VehicleStatusReport, type VehicleAuthResult } from "../../src/protocol/index.js";
import { CaOperatorClient } from "../../src/services/caClient.js";
import type { CaService } from "../../src/services/caServer.js";
import type { LagService } from "../../src/services/lagServer.js";
import { OperatorToken } from "../../src/services/operatorToken.js";
import { authenticateAtLag, LagClient, VehicleSessionClient } from "../../src/services/vehicleClient.js";
import { expectCodeAsync } from "../protocol/helpers/world.js";
import { localDeployment, startLocalCa, startLocalLag, type Local } from "./helpers/service.js";

const TOKEN = "operator-token-for-the-session-route-tests-0001";

describe("Services: session messages after authentication over the network", function () {
  this.timeout(120_000);
  let local: Local;
  let ca: CaService;
  let lag: LagService;
  let client: LagClient;
  let operator: CaOperatorClient;
  const sessions: { auth: VehicleAuthResult; s: VehicleSessionClient }[] = [];

  /** Jobs the LAG's and the CA's pools have run so far. */
  const jobs = () => lag.pool.completedJobs + ca.pool.completedJobs;
  const issue = async (energyWh = 10_000) => {
    const issued = await operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh });
    await client.deliverDischargeRequest(issued.request);
    return issued;
  };

  before(async function () {
    local = await localDeployment(16, 4);
    ca = await startLocalCa(local, "session-rounds.db", { operatorToken: OperatorToken.of(TOKEN) });
    lag = await startLocalLag(local, { caUrl: ca.url, statusBatchSize: 3 });
    client = new LagClient(lag.url);
    operator = new CaOperatorClient(ca.url, TOKEN);
    const d = local.deployment;
    for (let i = 0; i < 6; i++) {
      const auth = await authenticateAtLag(client, local.ctx, d.credentials[i]!, d.ca.publicKeys);
      sessions.push({ auth, s: new VehicleSessionClient(client, local.ctx, auth, d.ca.publicKeys, d.credentials[i]!) });
    }
  });
  after(async function () {
    client.close();
    operator.close();
    await lag.stop();
    await ca.stop();
    local.remove();
  });

  it("should carry a status round over HTTP: announce, three reports, the CA's aggregate delivered to each vehicle", async function () {
    const statuses = [1_200n, 0n, 35_000n];
    const receipts = [];
    for (const [i, status] of statuses.entries()) {
      const v = sessions[i]!.s;
      expect(await v.poll()).to.equal("StatusRound");
      receipts.push(await v.reportStatus(status));
    }
    expect(receipts).to.deep.equal([
      { queued: 1, forwarded: false },
      { queued: 2, forwarded: false },
      { queued: 0, forwarded: true },
    ]);
    for (const [i, status] of statuses.entries()) {
      const v = sessions[i]!.s;
      expect(await v.poll()).to.equal("StatusDelivery");
      expect(v.deliveries).to.deep.equal([{ status, aggregate: 36_200n, count: 3 }]);
    }
    expect(ca.status.records.size).to.equal(1);
  });

  it("should carry a discharge request issued by the operator to every session, and each hidden answer to the CA", async function () {
    const issued = await issue();
    const accepts = [true, false, true, true];
    for (const [i, accept] of accepts.entries()) {
      const v = sessions[i]!.s;
      await v.drain();
      expect(v.offers.map((o) => Buffer.from(o.requestId).toString("hex"))).to.include(issued.requestId);
      const receipt = await v.answerDischarge(decodeMessage("DischargeRequest", issued.request).requestId, accept);
      expect(receipt).to.deep.equal({ requestId: issued.requestId, applied: true });
    }
    expect(await operator.dischargeTally(issued.requestId)).to.deep.equal({ requestId: issued.requestId, accepted: 3, declined: 1 });
    // A second answer of the same vehicle replaces its first (a higher sequence in the envelope).
    const again = await sessions[1]!.s.answerDischarge(decodeMessage("DischargeRequest", issued.request).requestId, true);
    expect(again.applied).to.equal(true);
    expect(await operator.dischargeTally(issued.requestId)).to.deep.include({ accepted: 4, declined: 0 });
  });

  /** Accepted discharge forwards the CA counted so far (from its /metrics). */
  async function countForwards(): Promise<number> {
    const m = await (await fetch(`${ca.url}/metrics`)).text();
    return Number(/^v2g_ca_requests_total\{kind="discharge-forward",outcome="accepted"\} (\d+)$/m.exec(m)?.[1] ?? 0);
  }

  /** Polls vehicle `i`'s session by hand until `wanted` accepts a message the LAG hands it (the polls sent, the message). */
  async function pollFor(i: number, wanted: (message: Uint8Array) => boolean): Promise<{ polls: Uint8Array[]; message: Uint8Array }> {
    const v = sessions[i]!.auth;
    const polls: Uint8Array[] = [];
    for (let n = 0; n < 8; n++) {
      const poll = v.channel.seal("SessionPoll", {}, local.ctx.clock());
      polls.push(poll);
      const next = await client.poll(poll);
      if (next === undefined) break;
      if (wanted(next)) return { polls, message: next };
    }
    throw new Error("the awaited message did not arrive");
  }
  /** Accepts the offer of `requestId` (after taking in every offer that arrives before it). */
  const offerOf = (discharge: VehicleDischarge, requestId: Uint8Array) => (m: Uint8Array) =>
    peekMessage(m) === "DischargeOffer" && Buffer.from(discharge.onOffer(m).requestId).equals(requestId);

  it("should refuse replayed, garbage, tampered, misrouted and out-of-session messages with their codes before any worker", async function () {
    const d = local.deployment;
    const issued = await issue();
    const requestId = decodeMessage("DischargeRequest", issued.request).requestId;
    // Vehicle 5 speaks the wire by hand, so the test holds the bytes an attacker would replay.
    const v = sessions[5]!.auth;
    const discharge = new VehicleDischarge(local.ctx, v, d.ca.publicKeys, d.credentials[5]!);
    const { polls, message: offer } = await pollFor(5, offerOf(discharge, requestId));
    const answer = discharge.answer(requestId, true);
    expect((await client.answerDischarge(answer)).applied).to.equal(true);

    const before = jobs();
    const forwardsBefore = await countForwards();
    await expectCodeAsync(client.answerDischarge(answer), "REPLAYED");
    await expectCodeAsync(client.poll(polls[0]!), "REPLAYED");
    await expectCodeAsync(client.answerDischarge(new Uint8Array([9, 9, 9])), "UNSUPPORTED_VERSION");
    await expectCodeAsync(client.answerDischarge(new Uint8Array([1, 0x7f, 0])), "UNKNOWN_MESSAGE_TYPE");
    await expectCodeAsync(client.answerDischarge(answer.subarray(0, 20)), "MALFORMED");
    await expectCodeAsync(client.reportStatus(answer), "UNEXPECTED_MESSAGE");
    await expectCodeAsync(client.answerDischarge(offer), "UNEXPECTED_MESSAGE");
    const outOfSession = answer.slice();
    outOfSession[4] = (outOfSession[4] as number) ^ 0xff;
    await expectCodeAsync(client.answerDischarge(outOfSession), "WRONG_SESSION");
    // A fresh answer with one byte of its encrypted body flipped: the session operator fails.
    const fresh = discharge.answer(requestId, false);
    const tampered = fresh.slice();
    tampered[60] = (tampered[60] as number) ^ 1;
    await expectCodeAsync(client.answerDischarge(tampered), "BAD_OPERATOR");
    // A message sealed by the LAG (the offer) replayed to it as if from the vehicle: wrong direction.
    const reflected = offer.slice();
    reflected[1] = 0x12;
    await expectCodeAsync(client.answerDischarge(reflected), "BAD_OPERATOR");
    expect(jobs(), "a refused message reached a worker").to.equal(before);
    expect(await countForwards(), "a refused message was forwarded to the CA").to.equal(forwardsBefore);
    // The untampered fresh answer still goes through afterwards.
    expect((await client.answerDischarge(fresh)).applied).to.equal(true);
  });

  it("should refuse a replayed status report before any worker", async function () {
    const d = local.deployment;
    const { message: round } = await pollFor(4, (m) => peekMessage(m) === "StatusRound");
    const report = new VehicleStatusReport(local.ctx, sessions[4]!.auth, d.ca.publicKeys, d.credentials[4]!).report(5n, round);
    expect(await client.reportStatus(report)).to.deep.equal({ queued: 1, forwarded: false });
    const before = jobs();
    await expectCodeAsync(client.reportStatus(report), "REPLAYED");
    expect(jobs()).to.equal(before);
  });

  it("should refuse a discharge request handed twice, forged, or not a request", async function () {
    const issued = await operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 1 });
    expect((await client.deliverDischargeRequest(issued.request)).requestId).to.equal(issued.requestId);
    await expectCodeAsync(client.deliverDischargeRequest(issued.request), "REPLAYED");
    const forged = issued.request.slice();
    forged[30] = (forged[30] as number) ^ 1;
    await expectCodeAsync(client.deliverDischargeRequest(forged), "BAD_SIGNATURE");
    await expectCodeAsync(client.deliverDischargeRequest(new Uint8Array([1, 0x26])), "UNEXPECTED_MESSAGE");
  });

  it("should carry polls and discharge answers over the WebSocket", async function () {
    const d = local.deployment;
    const issued = await issue();
    const requestId = decodeMessage("DischargeRequest", issued.request).requestId;
    const v = sessions[3]!.auth;
    const ws = new WebSocket(`${lag.url.replace("http", "ws")}/v1/ws`);
    ws.binaryType = "arraybuffer";
    await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
    const ask = (bytes: Uint8Array) =>
      new Promise<Uint8Array | Record<string, unknown>>((resolve) => {
        ws.addEventListener("message", (e: MessageEvent) => resolve(typeof e.data === "string" ? (JSON.parse(e.data) as Record<string, unknown>) : new Uint8Array(e.data as ArrayBuffer)), { once: true });
        ws.send(bytes);
      });
    try {
      const discharge = new VehicleDischarge(local.ctx, v, d.ca.publicKeys, d.credentials[3]!);
      let offered = false;
      for (let n = 0; n < 8 && !offered; n++) {
        const next = await ask(v.channel.seal("SessionPoll", {}, local.ctx.clock()));
        if (!(next instanceof Uint8Array)) {
          expect(next).to.deep.equal({ empty: true });
          break;
        }
        offered = offerOf(discharge, requestId)(next);
      }
      expect(offered, "no offer over the WebSocket").to.equal(true);
      const answer = discharge.answer(requestId, false);
      expect(await ask(answer)).to.deep.equal({ requestId: issued.requestId, applied: true });
      expect(await ask(answer)).to.deep.include({ code: "REPLAYED" });
      expect(await ask(v.channel.seal("SessionPoll", {}, local.ctx.clock()))).to.deep.equal({ empty: true });
    } finally {
      ws.close();
    }
  });

  it("should refuse session messages at a LAG without a CA, and before reading them", async function () {
    const alone = await startLocalLag(local);
    const aloneClient = new LagClient(alone.url);
    try {
      const d = local.deployment;
      const auth = await authenticateAtLag(aloneClient, local.ctx, d.credentials[8]!, d.ca.publicKeys);
      // No round is announced and nothing is held: the poll is empty.
      expect(await aloneClient.poll(auth.channel.seal("SessionPoll", {}, local.ctx.clock()))).to.equal(undefined);
      const issued = await operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 1 });
      await expectCodeAsync(aloneClient.deliverDischargeRequest(issued.request), "UNAVAILABLE");
      await expectCodeAsync(aloneClient.answerDischarge(new Uint8Array([1, 0x12])), "UNAVAILABLE");
    } finally {
      aloneClient.close();
      await alone.stop();
    }
  });
});

describe("Services: a status batch closed by time", function () {
  this.timeout(120_000);
  const BATCH_SECONDS = 30;

  it("should forward a batch that stops filling once it is due by time, at the exact second, and never one below the minimum", async function () {
    const local = await localDeployment(8, 4);
    // The LAG's clock is held by the test; the vehicles and the CA keep the real one (a few seconds apart).
    let now = local.ctx.clock();
    const ca = await startLocalCa(local, "timed-rounds.db");
    const lag = await startLocalLag(local, { ctx: { ...local.ctx, clock: () => now }, caUrl: ca.url, statusBatchSize: 16, statusBatchSeconds: BATCH_SECONDS });
    const client = new LagClient(lag.url);
    try {
      const d = local.deployment;
      const vehicles: VehicleSessionClient[] = [];
      for (let i = 0; i < 3; i++) {
        const auth = await authenticateAtLag(client, local.ctx, d.credentials[i]!, d.ca.publicKeys);
        vehicles.push(new VehicleSessionClient(client, local.ctx, auth, d.ca.publicKeys, d.credentials[i]!));
      }
      for (const v of vehicles) expect(await v.poll()).to.equal("StatusRound");
      const opened = now;
      expect(await vehicles[0]!.reportStatus(700n)).to.deep.equal({ queued: 1, forwarded: false });
      now = opened + BigInt(BATCH_SECONDS) - 1n;
      expect(await vehicles[1]!.reportStatus(300n)).to.deep.equal({ queued: 2, forwarded: false });
      // One second before it is due the batch stays open, whoever asks.
      expect(await lag.sessions.closeDueBatch()).to.equal(false);
      expect(lag.sessions.openBatchSize).to.equal(2);
      // At the second it is due the service's timer forwards it with the two reports it holds.
      now = opened + BigInt(BATCH_SECONDS);
      const deadline = performance.now() + 20_000;
      while (lag.sessions.forwardedBatches === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(lag.sessions.forwardedBatches, "the due batch was not forwarded").to.equal(1);
      expect(lag.sessions.openBatchSize).to.equal(0);
      for (const [i, status] of [700n, 300n].entries()) {
        expect(await vehicles[i]!.poll()).to.equal("StatusDelivery");
        expect(vehicles[i]!.deliveries).to.deep.equal([{ status, aggregate: 1_000n, count: 2 }]);
      }
      // The next round: one report alone is never forwarded, however old (the CA would refuse it) …
      expect(await vehicles[2]!.poll()).to.equal("StatusRound");
      const second = now;
      expect(await vehicles[2]!.reportStatus(50n)).to.deep.equal({ queued: 1, forwarded: false });
      now = second + BigInt(10 * BATCH_SECONDS);
      expect(await lag.sessions.closeDueBatch()).to.equal(false);
      // … and the report that brings a due batch to the minimum closes it at once.
      expect(await vehicles[0]!.poll()).to.equal("StatusRound");
      expect(await vehicles[0]!.reportStatus(25n)).to.deep.equal({ queued: 0, forwarded: true });
      expect(await vehicles[2]!.poll()).to.equal("StatusDelivery");
      expect(vehicles[2]!.deliveries).to.deep.equal([{ status: 50n, aggregate: 75n, count: 2 }]);
      expect(lag.sessions.forwardedBatches).to.equal(2);
      expect(ca.status.records.size).to.equal(2);
    } finally {
      client.close();
      await lag.stop();
      await ca.stop();
      local.remove();
    }
  });
});
