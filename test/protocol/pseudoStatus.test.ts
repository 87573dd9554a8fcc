/**
 * Battery status discharging → charging: masked pseudo-status, the CA's aggregate for the LAG,
 * and each vehicle's own real status returned to it alone.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ENVELOPE_BYTES, maskStatus } from "../../src/crypto/index.js";
import {
  CaStatusDesk,
  LagStatusDesk,
  VehicleStatusReport,
  decodeMessage,
  encodeMessage,
  openLagCaChannel,
  type LagSession,
  type SessionChannel,
} from "../../src/protocol/index.js";
import { expectCode, fastBackend, World, type Lag } from "./helpers/world.js";

interface Setup {
  world: World;
  lag: Lag;
  toCa: SessionChannel;
  lagDesk: LagStatusDesk;
  caDesk: CaStatusDesk;
  vehicles: { lag: LagSession; report: VehicleStatusReport }[];
}

async function setup(count: number, seed?: string): Promise<Setup> {
  const world = new World(await fastBackend(), { members: 8, ringSize: 4, role: "s3p", ...(seed === undefined ? {} : { seed }) });
  const lag = world.lag();
  const toCa = openLagCaChannel(world.b, lag.identity, world.ca.publicKeys);
  const vehicles = Array.from({ length: count }, (_, i) => {
    const r = world.authenticate(i, lag);
    return { lag: r.lag.session, report: new VehicleStatusReport(world.ctx(), r.vehicle, world.ca.publicKeys) };
  });
  return {
    world,
    lag,
    toCa,
    lagDesk: new LagStatusDesk(world.ctx(), lag.identity.lagId, world.ca.publicKeys, toCa),
    caDesk: new CaStatusDesk(world.ca),
    vehicles,
  };
}

describe("Protocol: discharging → charging with pseudo-status", function () {
  it("should give the LAG the correct aggregate and each vehicle its own real status", async function () {
    const s = await setup(5);
    const statuses = [1200n, 0n, 35_000n, 7n, 18_446_744_073n];
    statuses.forEach((status, i) => s.lagDesk.onReport(s.vehicles[i]!.lag, s.vehicles[i]!.report.report(status)));
    const result = s.lagDesk.onResult(s.caDesk.onBatch(s.lagDesk.closeBatch()));
    expect(result.aggregate).to.equal(statuses.reduce((a, b) => a + b, 0n));
    result.deliveries.forEach((delivery, i) => {
      const own = s.vehicles[i]!.report.onDelivery(delivery.bytes);
      expect(own).to.deep.equal({ status: statuses[i], aggregate: result.aggregate, count: 5 });
    });
  });

  it("should aggregate exactly for any statuses and batch sizes (fast-check, 40 rounds on the same sessions)", async function () {
    const s = await setup(6);
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 48n }), { minLength: 2, maxLength: 6 }), (statuses) => {
        statuses.forEach((status, i) => s.lagDesk.onReport(s.vehicles[i]!.lag, s.vehicles[i]!.report.report(status)));
        const result = s.lagDesk.onResult(s.caDesk.onBatch(s.lagDesk.closeBatch()));
        expect(result.aggregate).to.equal(statuses.reduce((a, b) => a + b, 0n));
        result.deliveries.forEach((d, i) => expect(s.vehicles[i]!.report.onDelivery(d.bytes).status).to.equal(statuses[i]));
      }),
      { numRuns: 40 },
    );
  });

  it("should show the LAG nothing from which a single status can be recovered", async function () {
    // Same randomness, different statuses: the LAG's two views differ only in masked values,
    // ciphertext and MACs — and every masked value is explained by every status.
    const [low, high] = await Promise.all([setup(2, "status-seed"), setup(2, "status-seed")]);
    const a = low!.vehicles[0]!.report.report(10n);
    const b = high!.vehicles[0]!.report.report(90_000n);
    expect(a.length).to.equal(b.length);
    const ma = low!.lagDesk.onReport(low!.vehicles[0]!.lag, a);
    const mb = high!.lagDesk.onReport(high!.vehicles[0]!.lag, b);
    expect(typeof ma).to.equal("bigint");
    expect(ma).to.not.equal(mb);
    const maskedAt = 2 + 16 + 8;
    const cipherFrom = maskedAt + 8 + 33;
    const differ = [...a.keys()].filter((k) => a[k] !== b[k]);
    const explained = (k: number) => (k >= maskedAt && k < maskedAt + 8) || (k >= cipherFrom && k < maskedAt + 8 + ENVELOPE_BYTES) || k >= a.length - 32;
    expect(differ.filter((k) => !explained(k))).to.deep.equal([]);
    // The masked value of a status is uniform: status 0 and status 2^40 fill the quarters of
    // the range alike over many draws.
    const quarters = (status: bigint) => {
      const q = [0, 0, 0, 0];
      for (let i = 0; i < 400; i++) q[Number(maskStatus(status).masked >> 62n)]!++;
      return q;
    };
    for (const q of [quarters(0n), quarters(2n ** 40n)]) for (const n of q) expect(n).to.be.within(60, 140);
    // The envelope holding the mask is sealed to the CA; the report has no other readable field.
    const fields = decodeMessage("StatusReport", a);
    expect(Object.keys(fields).sort()).to.deep.equal(["counter", "envelope", "masked", "operator", "sessionId"]);
    expect(fields.envelope.length).to.equal(ENVELOPE_BYTES);
    // The per-vehicle replies the LAG relays are ciphertexts under keys it never saw.
    low!.lagDesk.onReport(low!.vehicles[1]!.lag, low!.vehicles[1]!.report.report(10n));
    const result = decodeMessage("StatusResult", low!.caDesk.onBatch(low!.lagDesk.closeBatch()));
    expect(result.replies.map((r) => Buffer.from(r).toString("hex"))).to.satisfy((rs: string[]) => rs[0] !== rs[1]);
  });

  it("should refuse a batch of one vehicle at the LAG and at the CA", async function () {
    const s = await setup(2);
    s.lagDesk.onReport(s.vehicles[0]!.lag, s.vehicles[0]!.report.report(42n));
    expectCode(() => s.lagDesk.closeBatch(), "BATCH_TOO_SMALL");
    // A LAG that bypasses its own check still gets no aggregate of one.
    const entry = decodeMessage("StatusReport", s.vehicles[1]!.report.report(43n));
    const single = s.toCa.seal("StatusBatch", { batchId: new Uint8Array(16), entries: [new Uint8Array([...new Uint8Array(8), ...entry.envelope])] }, s.world.clock.now);
    expectCode(() => s.caDesk.onBatch(single), "BATCH_TOO_SMALL");
  });

  it("should detect a LAG that alters the aggregate or a reply, and refuse replays and steps out of order", async function () {
    const s = await setup(3);
    expectCode(() => s.vehicles[0]!.report.onDelivery(new Uint8Array(10)), "OUT_OF_ORDER");
    const reports = [5n, 6n, 7n].map((v, i) => s.vehicles[i]!.report.report(v));
    reports.forEach((r, i) => s.lagDesk.onReport(s.vehicles[i]!.lag, r));
    expectCode(() => s.lagDesk.onReport(s.vehicles[0]!.lag, reports[0]!), "REPLAYED");
    expectCode(() => s.vehicles[0]!.report.report(1n), "OUT_OF_ORDER");
    const batch = s.lagDesk.closeBatch();
    const resultBytes = s.caDesk.onBatch(batch);
    expectCode(() => s.caDesk.onBatch(batch), "REPLAYED");
    const { deliveries } = s.lagDesk.onResult(resultBytes);
    expectCode(() => s.lagDesk.onResult(resultBytes), "REPLAYED");
    // A delivery re-sealed by the LAG with a different aggregate: the CA's signature fails.
    const d0 = decodeMessage("StatusDelivery", deliveries[0]!.bytes);
    const lie = s.vehicles[0]!.lag.channel.seal("StatusDelivery", { batchId: d0.batchId, aggregate: d0.aggregate + 1n, count: d0.count, reply: d0.reply, caSignature: d0.caSignature }, s.world.clock.now);
    expectCode(() => s.vehicles[0]!.report.onDelivery(lie), "BAD_SIGNATURE");
    // Vehicle 1 handed vehicle 2's reply: it does not decrypt.
    const d2 = decodeMessage("StatusDelivery", deliveries[2]!.bytes);
    const swapped = s.vehicles[1]!.lag.channel.seal("StatusDelivery", d2, s.world.clock.now);
    expectCode(() => s.vehicles[1]!.report.onDelivery(swapped), "DECRYPTION_FAILED");
    expect(s.vehicles[2]!.report.onDelivery(deliveries[2]!.bytes).status).to.equal(7n);
    // A tampered delivery does not pass the session operator.
    const tampered = deliveries[0]!.bytes.slice();
    tampered[30]! ^= 1;
    expectCode(() => s.vehicles[0]!.report.onDelivery(tampered), "BAD_OPERATOR");
    expect(encodeMessage("StatusDelivery", d0).length).to.equal(deliveries[0]!.bytes.length);
  });
});
