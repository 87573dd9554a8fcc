/**
 * The LAG as a network service on loopback: vehicles authenticate over HTTP and WebSocket the
 * way they would in the field; refusals keep their protocol codes; work per request is bounded
 * (cheap checks before any verification, a concurrency cap that answers 503 with Retry-After,
 * per-client rate limits); a flood of garbage and replays does not stop legitimate vehicles;
 * SIGTERM drains in-flight requests.
 */
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { expect } from "chai";
import { VehicleAuth, VehicleMemory, decodeMessage, encodeMessage, type ProtocolError } from "../../src/protocol/index.js";
import { DEFAULT_WS_RATE, WS_CLOSE_RATE, type LagService } from "../../src/services/lagServer.js";
import { authenticateAtLag, fetchAndSign, LagClient } from "../../src/services/vehicleClient.js";
import { expectCodeAsync } from "../protocol/helpers/world.js";
import { localDeployment, startLocalLag, type Local } from "./helpers/service.js";
import { spawnService, waitForGauge } from "./helpers/spawnService.js";

async function refusal(promise: Promise<unknown>): Promise<ProtocolError> {
  try {
    await promise;
  } catch (error) {
    return error as ProtocolError;
  }
  throw new Error("expected a refusal");
}

/** One authentication over an open WebSocket: challenge, response, confirmation. */
async function authenticateOverWs(ws: WebSocket, run: VehicleAuth) {
  const next = () => new Promise<MessageEvent>((resolve) => ws.addEventListener("message", resolve, { once: true }));
  const challenge = next();
  ws.send("challenge");
  const response = run.onChallenge(new Uint8Array((await challenge).data as ArrayBuffer));
  const confirm = next();
  ws.send(response);
  return run.onConfirm(new Uint8Array((await confirm).data as ArrayBuffer));
}

describe("Services: the LAG service on loopback", function () {
  this.timeout(60_000);
  let local: Local;

  before(async function () {
    local = await localDeployment(64, 16);
  });
  after(function () {
    local.remove();
  });

  describe("protocol over HTTP and WebSocket", function () {
    let lag: LagService;
    let client: LagClient;
    before(async function () {
      lag = await startLocalLag(local);
      client = new LagClient(lag.url);
    });
    after(async function () {
      client.close();
      await lag.stop();
    });

    it("should authenticate a vehicle over HTTP and report it in /health and /metrics", async function () {
      const d = local.deployment;
      const result = await authenticateAtLag(client, local.ctx, d.credentials[0]!, d.ca.publicKeys);
      expect(result.lagId).to.deep.equal(d.lag.lagId);
      expect(lag.auth.stateOf(result.channel.id)).to.equal("established");
      const health = (await (await fetch(`${lag.url}/health`)).json()) as { status: string; workers: number };
      expect(health).to.deep.include({ status: "ok", workers: 2 });
      const metrics = await (await fetch(`${lag.url}/metrics`)).text();
      expect(metrics).to.match(/^v2g_lag_auth_responses_total\{outcome="accepted"\} 1$/m);
      expect(metrics).to.match(/^v2g_lag_pending_challenges 1$/m);
    });

    it("should authenticate a vehicle over the WebSocket", async function () {
      const d = local.deployment;
      const ws = new WebSocket(`${lag.url.replace("http", "ws")}/v1/ws`);
      ws.binaryType = "arraybuffer";
      const next = () => new Promise<MessageEvent>((resolve) => ws.addEventListener("message", resolve, { once: true }));
      await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
      const result = await authenticateOverWs(ws, new VehicleAuth(local.ctx, d.credentials[1]!, d.ca.publicKeys));
      expect(lag.auth.stateOf(result.channel.id)).to.equal("established");
      // A text frame that is not a request is refused with a typed error, and the socket stays usable.
      const refused = next();
      ws.send("hello");
      expect(JSON.parse((await refused).data as string)).to.deep.include({ code: "MALFORMED" });
      ws.close();
    });

    it("should keep the protocol's refusals: a replayed response, a clone, a tampered response", async function () {
      const d = local.deployment;
      const [signed] = await fetchAndSign(client, local.ctx, [d.credentials[2]!], d.ca.publicKeys);
      const confirm = await client.respond(signed!.response);
      signed!.run.onConfirm(confirm);
      await expectCodeAsync(client.respond(signed!.response), "REPLAYED");
      const clone = new VehicleAuth(local.ctx, d.credentials[2]!, d.ca.publicKeys, new VehicleMemory());
      await expectCodeAsync(client.respond(clone.onChallenge(await client.challenge())), "DOUBLE_AUTHENTICATION");
      const [other] = await fetchAndSign(client, local.ctx, [d.credentials[3]!], d.ca.publicKeys);
      const fields = decodeMessage("AuthResponse", other!.response);
      const tampered = encodeMessage("AuthResponse", { ...fields, timestamp: fields.timestamp - 1n });
      await expectCodeAsync(client.respond(tampered), "BAD_OPERATOR");
    });

    it("should refuse garbage, wrong types and oversized bodies before any verification", async function () {
      const before = lag.pool.completedJobs;
      await expectCodeAsync(client.respond(new Uint8Array([9, 9, 9])), "UNSUPPORTED_VERSION");
      await expectCodeAsync(client.respond(new Uint8Array([1, 0x7f])), "UNKNOWN_MESSAGE_TYPE");
      await expectCodeAsync(client.respond(await client.challenge()), "UNEXPECTED_MESSAGE");
      const [signed] = await fetchAndSign(client, local.ctx, [local.deployment.credentials[4]!], local.deployment.ca.publicKeys);
      await expectCodeAsync(client.respond(signed!.response.subarray(0, 200)), "MALFORMED");
      const huge = await refusal(client.respond(new Uint8Array(20_000).fill(1)));
      expect(huge.details.status).to.equal(413);
      expect(lag.pool.completedJobs, "a cheap refusal reached a worker").to.equal(before);
    });

    it("should refuse a response whose signature does not decode in one short worker job, spending its challenge", async function () {
      const d = local.deployment;
      const [signed] = await fetchAndSign(client, local.ctx, [d.credentials[5]!], d.ca.publicKeys);
      const fields = decodeMessage("AuthResponse", signed!.response);
      // A well-formed message to a live challenge: only the signature's own encoding is wrong.
      const broken = encodeMessage("AuthResponse", { ...fields, signature: fields.signature.subarray(0, fields.signature.length - 1) });
      const before = lag.pool.completedJobs;
      await expectCodeAsync(client.respond(broken), "MALFORMED");
      expect(lag.pool.completedJobs - before, "the job ran once, on a worker").to.equal(1);
      await expectCodeAsync(client.respond(signed!.response), "REPLAYED");
    });
  });

  describe("bounded work", function () {
    it("should answer 503 with Retry-After beyond the concurrency cap, and let the same response through later", async function () {
      const lag = await startLocalLag(local, { workers: 1, maxQueued: 1 });
      const client = new LagClient(lag.url, { maxSockets: 32 });
      try {
        const d = local.deployment;
        const signed = await fetchAndSign(client, local.ctx, d.credentials.slice(10, 26), d.ca.publicKeys);
        const outcomes = await Promise.allSettled(signed.map((s) => client.respond(s.response)));
        const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as ProtocolError] : []));
        expect(refused.length, "nothing was shed").to.be.greaterThan(0);
        for (const e of refused) {
          expect(e.code).to.equal("OVERLOADED");
          expect(e.details).to.deep.include({ status: 503, retryAfter: 1 });
        }
        // The shed responses did not spend their challenge: delivered again, they are accepted.
        for (const [i, o] of outcomes.entries()) {
          const confirm = o.status === "fulfilled" ? o.value : await client.respond(signed[i]!.response);
          signed[i]!.run.onConfirm(confirm);
        }
        const metrics = await (await fetch(`${lag.url}/metrics`)).text();
        expect(metrics).to.match(new RegExp(`^v2g_lag_requests_shed_total\\{reason="concurrency"\\} ${refused.length}$`, "m"));
      } finally {
        client.close();
        await lag.stop();
      }
    });

    it("should drop connections beyond maxConnections, so idle sockets cannot exhaust the LAG", async function () {
      const lag = await startLocalLag(local, { maxConnections: 3 });
      const { port } = new URL(lag.url);
      const sockets: Socket[] = [];
      try {
        const open = () =>
          new Promise<Socket>((resolve) => {
            const socket = connect({ host: "127.0.0.1", port: Number(port) }, () => resolve(socket));
            sockets.push(socket);
          });
        for (let i = 0; i < 3; i++) await open();
        const extra = await open();
        const closed = await new Promise<boolean>((resolve) => {
          extra.once("close", () => resolve(true));
          setTimeout(() => resolve(false), 2_000);
        });
        expect(closed, "the fourth connection was kept").to.equal(true);
        for (const s of sockets.splice(0, 3)) s.destroy();
        // Once the idle sockets are gone, vehicles are served again.
        await new Promise((r) => setTimeout(r, 100));
        const client = new LagClient(lag.url);
        const d = local.deployment;
        expect((await authenticateAtLag(client, local.ctx, d.credentials[31]!, d.ca.publicKeys)).lagId).to.deep.equal(d.lag.lagId);
        client.close();
      } finally {
        for (const s of sockets) s.destroy();
        await lag.stop();
      }
    });

    it("should rate-limit each client address with 429, leaving other addresses served", async function () {
      const lag = await startLocalLag(local, { rateLimit: { max: 5, windowMs: 60_000 } });
      const noisy = new LagClient(lag.url, { localAddress: "127.0.0.2" });
      const quiet = new LagClient(lag.url, { localAddress: "127.0.0.3" });
      try {
        for (let i = 0; i < 5; i++) await noisy.challenge();
        const limited = await refusal(noisy.challenge());
        expect(limited.code).to.equal("OVERLOADED");
        expect(limited.details.status).to.equal(429);
        const d = local.deployment;
        const result = await authenticateAtLag(quiet, local.ctx, d.credentials[30]!, d.ca.publicKeys);
        expect(lag.auth.stateOf(result.channel.id)).to.equal("established");
      } finally {
        noisy.close();
        quiet.close();
        await lag.stop();
      }
    });
  });

  describe("per-message rate of the WebSocket", function () {
    /** Opens a WebSocket to the LAG; resolves once open. */
    const open = async (lag: LagService) => {
      const ws = new WebSocket(`${lag.url.replace("http", "ws")}/v1/ws`);
      ws.binaryType = "arraybuffer";
      await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve, { once: true });
        ws.addEventListener("error", () => reject(new Error("socket failed")), { once: true });
      });
      return ws;
    };

    it("should refuse a flooding connection over its rate, then close it with 1008, while another connection authenticates", async function () {
      const lag = await startLocalLag(local, { wsRate: DEFAULT_WS_RATE });
      try {
        const flooder = await open(lag);
        const refusals: string[] = [];
        const closed = new Promise<number>((resolve) => flooder.addEventListener("close", (e) => resolve(e.code)));
        flooder.addEventListener("message", (e: MessageEvent) => {
          if (typeof e.data === "string") refusals.push((JSON.parse(e.data) as { code: string }).code);
        });
        // Bounded: at most 2,000 frames in at most 5 s, or until the LAG closes the socket.
        let sent = 0;
        let closedCode: number | undefined;
        void closed.then((code) => (closedCode = code));
        const deadline = performance.now() + 5_000;
        while (closedCode === undefined && sent < 2_000 && performance.now() < deadline) {
          flooder.send(Uint8Array.of(9, 9, 9));
          sent++;
          if (sent % 50 === 0) await new Promise((r) => setTimeout(r, 5));
        }
        // Meanwhile a vehicle authenticates on a connection of its own, from the same address.
        const d = local.deployment;
        const ws = await open(lag);
        const result = await authenticateOverWs(ws, new VehicleAuth(local.ctx, d.credentials[29]!, d.ca.publicKeys));
        expect(lag.auth.stateOf(result.channel.id)).to.equal("established");
        ws.close();
        expect(await closed, `closed after ${sent} frames`).to.equal(WS_CLOSE_RATE);
        // Within its burst the flooder's garbage got its own refusal; over it, OVERLOADED.
        expect(refusals.slice(0, DEFAULT_WS_RATE.connection.burst).every((c) => c === "UNSUPPORTED_VERSION")).to.equal(true);
        expect(refusals).to.include("OVERLOADED");
        expect(refusals.length).to.be.below(sent + 1);
        const metrics = await (await fetch(`${lag.url}/metrics`)).text();
        expect(Number(/^v2g_lag_requests_shed_total\{reason="ws-rate"\} (\d+)$/m.exec(metrics)?.[1])).to.be.at.least(DEFAULT_WS_RATE.connection.burst);
      } finally {
        await lag.stop();
      }
    });

    it("should bound the messages of one address across its connections", async function () {
      const lag = await startLocalLag(local, { wsRate: { connection: { perSecond: 0.01, burst: 5 }, address: { perSecond: 0.01, burst: 8 } } });
      try {
        const sockets = await Promise.all([open(lag), open(lag), open(lag)]);
        const codes: string[] = [];
        for (const ws of sockets) {
          for (let i = 0; i < 4; i++) {
            const answer = new Promise<MessageEvent>((resolve) => ws.addEventListener("message", resolve, { once: true }));
            ws.send("hello");
            codes.push((JSON.parse((await answer).data as string) as { code: string }).code);
          }
        }
        // Every connection stayed under its own rate (4 < 5), but the address had 8 tokens.
        expect(codes.filter((c) => c === "MALFORMED")).to.have.length(8);
        expect(codes.slice(8)).to.deep.equal(["OVERLOADED", "OVERLOADED", "OVERLOADED", "OVERLOADED"]);
        for (const ws of sockets) ws.close();
      } finally {
        await lag.stop();
      }
    });
  });

  describe("a flood on loopback", function () {
    /** The flood's bound: far more than 12× capacity for as long as sixteen vehicles take on a loaded machine. */
    const MAX_FLOOD_MESSAGES = 100_000;

    it("should let legitimate vehicles authenticate through garbage and replays at 10× the LAG's capacity", async function () {
      // The WebSocket's per-message rate is set out of the way here: this flood is aimed at the verification capacity (the rate has its own test).
      this.timeout(300_000);
      const unlimited = { perSecond: 1_000_000, burst: 1_000_000 };
      const lag = await startLocalLag(local, { workers: 2, maxQueued: 16, rateLimit: { max: 40, windowMs: 10_000 }, wsRate: { connection: unlimited, address: unlimited } });
      const legit = new LagClient(lag.url, { localAddress: "127.0.0.1" });
      const attackers = [2, 3, 4, 5].map((n) => new LagClient(lag.url, { localAddress: `127.0.0.${n}`, maxSockets: 16 }));
      try {
        const d = local.deployment;
        // Capacity: complete authentications per second of this LAG, measured unloaded (after a warm-up).
        const warm = await fetchAndSign(legit, local.ctx, d.credentials.slice(32, 40), d.ca.publicKeys);
        await Promise.all(warm.slice(0, 2).map((s) => legit.respond(s.response)));
        const started = performance.now();
        await Promise.all(warm.slice(2).map((s) => legit.respond(s.response)));
        const capacity = ((warm.length - 2) * 1000) / (performance.now() - started);
        // Ammunition: replays of accepted responses, garbage, truncated and wrong-session responses.
        const replay = warm[0]!.response;
        const truncated = replay.subarray(0, replay.length - 40);
        const wrongSession = replay.slice();
        wrongSession[5] = (wrongSession[5] as number) ^ 0xff;
        const shots = [replay, truncated, wrongSession, new Uint8Array(600).fill(0x41), Uint8Array.of(1, 2, 3)];
        // The flood lasts while the legitimate vehicles authenticate, paced at 12× capacity and
        // bounded in count (not in time: a loaded machine slows the vehicles and the capacity alike).
        let sent = 0;
        let answered = 0;
        let legitDone = false;
        const floodRate = 12 * capacity;
        const paceStarted = performance.now();
        const due = () => Math.floor(((performance.now() - paceStarted) / 1000) * floodRate) - sent;
        const more = () => !legitDone && sent < MAX_FLOOD_MESSAGES;
        const pause = () => new Promise((resolve) => setTimeout(resolve, 2));
        // Over HTTP from four addresses of their own…
        const httpFlood = attackers.flatMap((a) =>
          Array.from({ length: 8 }, async () => {
            while (more()) {
              if (due() <= 0) {
                await pause();
                continue;
              }
              const shot = shots[sent++ % shots.length] as Uint8Array;
              await a.respond(shot).catch(() => undefined);
              answered++;
            }
          }),
        );
        // …and pipelined on WebSockets (64 frames outstanding per socket).
        const wsFlood = [0, 1, 2, 3].map(
          () =>
            new Promise<void>((resolve, reject) => {
              const ws = new WebSocket(`${lag.url.replace("http", "ws")}/v1/ws`);
              let outstanding = 0;
              const pump = () => {
                while (outstanding < 64 && more() && due() > 0) {
                  ws.send(shots[sent++ % shots.length] as Uint8Array);
                  outstanding++;
                }
                if (outstanding > 0) return;
                if (more()) return void setTimeout(pump, 2);
                ws.close();
                resolve();
              };
              ws.addEventListener("open", pump);
              ws.addEventListener("error", () => reject(new Error("flood socket failed")));
              ws.addEventListener("close", () => (outstanding === 0 ? resolve() : reject(new Error("the LAG closed a flood socket"))));
              ws.addEventListener("message", () => {
                outstanding--;
                answered++;
                pump();
              });
            }),
        );
        const flood = Promise.all([...httpFlood, ...wsFlood]).then(() => performance.now());
        // Meanwhile 16 legitimate vehicles authenticate, one after another, from their own address.
        const floodStarted = performance.now();
        let succeeded = 0;
        for (const credential of d.credentials.slice(40, 56)) {
          await authenticateAtLag(legit, local.ctx, credential, d.ca.publicKeys);
          succeeded++;
        }
        const legitEnded = performance.now();
        legitDone = true;
        const floodEnded = await flood;
        expect(floodEnded, "the flood stopped before the vehicles were done").to.be.at.least(legitEnded);
        const rate = (answered * 1000) / (floodEnded - floodStarted);
        const figures = `flood of ${sent} messages at ${rate.toFixed(0)}/s, capacity ${capacity.toFixed(0)}/s`;
        expect(succeeded, figures).to.equal(16);
        expect(answered).to.equal(sent);
        expect(rate, figures).to.be.at.least(10 * capacity);
        expect(lag.auth.pendingCount).to.be.below(100);
      } finally {
        legit.close();
        for (const a of attackers) a.close();
        await lag.stop();
      }
    });
  });

  describe("graceful shutdown", function () {
    it("should drain in-flight requests on SIGTERM, flush its store and exit 0", async function () {
      const config = join(local.dir, "lag.drain.json");
      writeFileSync(
        config,
        JSON.stringify({
          lagId: "LAG-Test-1",
          port: 0,
          staticKey: { file: local.deployment.files.lagKey },
          permitFile: local.deployment.files.permit,
          caPublicFile: local.deployment.files.caPublic,
          groupFiles: [local.deployment.files.group],
          keyImages: { sqlite: "drain-images.db" },
          workers: 1,
          logLevel: "silent",
        }),
      );
      const service = await spawnService(["lag", "serve", "--config", config]);
      const { url, exited } = service;
      const client = new LagClient(url, { maxSockets: 16 });
      try {
        const d = local.deployment;
        const signed = await fetchAndSign(client, local.ctx, d.credentials.slice(56, 64), d.ca.publicKeys);
        const deliveries = signed.map((s) => client.respond(s.response));
        // Wait until the service holds them in flight, then ask it to stop.
        const inFlight = await waitForGauge(url, "v2g_lag_verifications_in_flight", 2);
        service.child.kill("SIGTERM");
        expect(inFlight, "no request was in flight when SIGTERM was sent").to.be.at.least(2);
        const confirms = await Promise.all(deliveries);
        confirms.forEach((c, i) => signed[i]!.run.onConfirm(c));
        expect(await exited).to.equal(0);
        await expectCodeAsync(client.challenge(), "UNAVAILABLE");
        // What it accepted is in the store: a restarted service refuses the same vehicles' clones.
        const { SqliteKeyImageStore } = await import("../../src/services/stores/sqliteKeyImages.js");
        const store = new SqliteKeyImageStore(join(local.dir, "drain-images.db"));
        expect(store.count()).to.equal(8);
        await store.close();
      } finally {
        client.close();
        service.kill();
      }
    });
  });
});
