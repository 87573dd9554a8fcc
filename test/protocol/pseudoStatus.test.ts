/**
 * Battery status discharging → charging: masked pseudo-status, the CA's aggregate for the LAG,
 * and each vehicle's own real status returned to it alone.
 */
import { expect } from "chai";
import fc from "fast-check";
import { decodeLsagSignature, encodeAnswer, encodeMask, encodeSignature, ENVELOPE_BYTES, frame, generateKeyPair, maskStatus, sealEnvelope } from "../../src/crypto/index.js";
import {
  CaStatusDesk,
  LagStatusDesk,
  VehicleStatusReport,
  encodeMessage,
  openLagCaChannel,
  PROTOCOL_TAGS,
  type LagSession,
  type MessageOf,
  type SessionChannel,
} from "../../src/protocol/index.js";
import { expectCode, fastBackend, World, type Lag } from "./helpers/world.js";

interface Setup {
  world: World;
  lag: Lag;
  toCa: SessionChannel;
  lagDesk: LagStatusDesk;
  caDesk: CaStatusDesk;
  vehicles: { lag: LagSession; channel: SessionChannel; report: VehicleStatusReport }[];
}

async function setup(count: number, seed?: string): Promise<Setup> {
  const world = new World(await fastBackend(), { members: 8, ringSize: 4, role: "s3p", ...(seed === undefined ? {} : { seed }) });
  const lag = world.lag();
  const toCa = openLagCaChannel(world.b, lag.identity, world.ca.publicKeys);
  const vehicles = Array.from({ length: count }, (_, i) => {
    const r = world.authenticate(i, lag);
    return { lag: r.lag.session, channel: r.vehicle.channel, report: new VehicleStatusReport(world.ctx(), r.vehicle, world.ca.publicKeys, world.vehicles[i]!.credential) };
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

/** The associated data of a status envelope (public: any party can seal to the CA). */
const frameStatusAad = (lagId: Uint8Array): Uint8Array => frame(PROTOCOL_TAGS.statusAad, [lagId]);

/** The entry a LAG forwards for a report (what the CA verifies). */
function entryOf(report: MessageOf<"StatusReport">): Uint8Array {
  const { masked, envelope, groupId, groupVersion, ring, signature } = report;
  return encodeMessage("StatusEntry", { masked, envelope, groupId, groupVersion, ring, signature });
}

/** Vehicle `i` reports `status` in the LAG desk's open round. */
function reportOf(s: Setup, i: number, status: bigint): Uint8Array {
  const v = s.vehicles[i]!;
  return v.report.report(status, s.lagDesk.announce(v.lag));
}

describe("Protocol: discharging → charging with pseudo-status", function () {
  it("should give the LAG the correct aggregate and each vehicle its own real status", async function () {
    const s = await setup(5);
    const statuses = [1200n, 0n, 35_000n, 7n, 18_446_744_073n];
    statuses.forEach((status, i) => s.lagDesk.onReport(s.vehicles[i]!.lag, reportOf(s, i, status)));
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
        statuses.forEach((status, i) => s.lagDesk.onReport(s.vehicles[i]!.lag, reportOf(s, i, status)));
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
    const a = reportOf(low!, 0, 10n);
    const b = reportOf(high!, 0, 90_000n);
    expect(a.length).to.equal(b.length);
    const ma = low!.lagDesk.onReport(low!.vehicles[0]!.lag, a);
    const mb = high!.lagDesk.onReport(high!.vehicles[0]!.lag, b);
    expect(typeof ma).to.equal("bigint");
    expect(ma).to.not.equal(mb);
    // (the hedged ephemeral key of the envelope and the proof's scalars are hashes over them).
    const maskedAt = 2 + 16 + 8 + 16;
    const cipherFrom = maskedAt + 8 + 1;
    const fa = low!.vehicles[0]!.lag.channel.read("StatusReport", a, low!.world.clock.now);
    const sigStart = a.length - 32 - fa.signature.length;
    const keyImage = (k: number) => k >= sigStart + 4 + 32 && k < sigStart + 4 + 64;
    const differ = [...a.keys()].filter((k) => a[k] !== b[k]);
    const explained = (k: number) =>
      (k >= maskedAt && k < maskedAt + 8) || (k >= cipherFrom && k < maskedAt + 8 + ENVELOPE_BYTES) || (k >= sigStart + 4 && !keyImage(k));
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
    const fields = fa;
    expect(Object.keys(fields).sort()).to.deep.equal(["counter", "envelope", "groupId", "groupVersion", "masked", "operator", "ring", "roundId", "sessionId", "signature"]);
    expect(fields.envelope.length).to.equal(ENVELOPE_BYTES);
    // Group, version and ring are those every member of the ring shows; the key image is scoped to this round.
    // The per-vehicle replies the LAG relays are ciphertexts under keys it never saw.
    low!.lagDesk.onReport(low!.vehicles[1]!.lag, reportOf(low!, 1, 10n));
    const result = low!.toCa.read("StatusResult", low!.caDesk.onBatch(low!.lagDesk.closeBatch()), low!.world.clock.now);
    expect(result.replies.map((r) => Buffer.from(r).toString("hex"))).to.satisfy((rs: string[]) => rs[0] !== rs[1]);
  });

  it("should refuse a batch of one vehicle at the LAG and at the CA", async function () {
    const s = await setup(2);
    s.lagDesk.onReport(s.vehicles[0]!.lag, reportOf(s, 0, 42n));
    expectCode(() => s.lagDesk.closeBatch(), "BATCH_TOO_SMALL");
    // A LAG that bypasses its own check still gets no aggregate of one.
    const round = s.lagDesk.announce(s.vehicles[1]!.lag);
    const report = s.vehicles[1]!.lag.channel.read("StatusReport", s.vehicles[1]!.report.report(43n, round), s.world.clock.now);
    const single = s.toCa.seal("StatusBatch", { batchId: new Uint8Array(16), roundId: report.roundId, entries: [entryOf(report)] }, s.world.clock.now);
    expectCode(() => s.caDesk.onBatch(single), "BATCH_TOO_SMALL");
  });

  it("should detect a LAG that alters the aggregate or a reply, and refuse replays and steps out of order", async function () {
    const s = await setup(3);
    expectCode(() => s.vehicles[0]!.report.onDelivery(new Uint8Array(10)), "OUT_OF_ORDER");
    const reports = [5n, 6n, 7n].map((v, i) => reportOf(s, i, v));
    reports.forEach((r, i) => s.lagDesk.onReport(s.vehicles[i]!.lag, r));
    expectCode(() => s.lagDesk.onReport(s.vehicles[0]!.lag, reports[0]!), "REPLAYED");
    expectCode(() => reportOf(s, 0, 1n), "OUT_OF_ORDER");
    const batch = s.lagDesk.closeBatch();
    const resultBytes = s.caDesk.onBatch(batch);
    expectCode(() => s.caDesk.onBatch(batch), "REPLAYED");
    const { deliveries } = s.lagDesk.onResult(resultBytes);
    expectCode(() => s.lagDesk.onResult(resultBytes), "REPLAYED");
    // A delivery re-sealed by the LAG with a different aggregate: the CA's signature fails.
    const d0 = s.vehicles[0]!.channel.read("StatusDelivery", deliveries[0]!.bytes, s.world.clock.now);
    const lie = s.vehicles[0]!.lag.channel.seal("StatusDelivery", { batchId: d0.batchId, aggregate: d0.aggregate + 1n, count: d0.count, reply: d0.reply, caSignature: d0.caSignature }, s.world.clock.now);
    expectCode(() => s.vehicles[0]!.report.onDelivery(lie), "BAD_SIGNATURE");
    // Vehicle 1 handed vehicle 2's reply: it does not decrypt.
    const { sessionId: _id, counter: _counter, operator: _op, ...d2 } = s.vehicles[2]!.channel.read("StatusDelivery", deliveries[2]!.bytes, s.world.clock.now);
    const swapped = s.vehicles[1]!.lag.channel.seal("StatusDelivery", d2, s.world.clock.now);
    expectCode(() => s.vehicles[1]!.report.onDelivery(swapped), "DECRYPTION_FAILED");
    expect(s.vehicles[2]!.report.onDelivery(deliveries[2]!.bytes).status).to.equal(7n);
    // A tampered delivery does not pass the session operator.
    const tampered = deliveries[0]!.bytes.slice();
    tampered[30]! ^= 1;
    expectCode(() => s.vehicles[0]!.report.onDelivery(tampered), "BAD_OPERATOR");
    expect(encodeMessage("StatusDelivery", d0).length).to.equal(deliveries[0]!.bytes.length);
  });
  describe("a dishonest LAG", function () {
    it("should not pad a batch with an entry of its own to read one vehicle's status from the aggregate", async function () {
      const s = await setup(2);
      const report = s.vehicles[0]!.lag.channel.read("StatusReport", reportOf(s, 0, 31_337n), s.world.clock.now);
      // The LAG's own entry: status 0 under a mask it chose, in an envelope to the CA, with the
      // target's proof, with a proof over a ring it made up, or with no valid signature.
      const round = report.roundId;
      const proof = { groupId: report.groupId, groupVersion: report.groupVersion, ring: report.ring, signature: report.signature };
      const own = (mask: bigint) => {
        const body = new Uint8Array([...encodeMask(mask), ...new Uint8Array(32)]);
        const envelope = sealEnvelope(s.world.b, s.world.ca.publicKeys.envelopeKey, encodeAnswer({ sequence: 1n, kind: "status", body }), frameStatusAad(s.lag.identity.lagId));
        return { masked: mask, envelope };
      };
      const forgedSignature = decodeLsagSignature(report.signature);
      const padded: [string, Uint8Array, string][] = [
        ["the target's proof on its own entry", encodeMessage("StatusEntry", { ...own(5n), groupId: proof.groupId, groupVersion: proof.groupVersion, ring: proof.ring, signature: proof.signature }), "BAD_SIGNATURE"],
        ["a forged signature", encodeMessage("StatusEntry", { ...own(5n), groupId: proof.groupId, groupVersion: proof.groupVersion, ring: proof.ring, signature: encodeSignature({ ...forgedSignature, c1: forgedSignature.s[1]! }) }), "BAD_SIGNATURE"],
        ["a ring with its own key", encodeMessage("StatusEntry", { ...own(5n), groupId: proof.groupId, groupVersion: proof.groupVersion, ring: [...proof.ring.slice(1), generateKeyPair(s.world.b).publicKey], signature: proof.signature }), "NOT_IN_GROUP"],
        ["the target counted twice", entryOf(report), "REPLAYED"],
      ];
      for (const [what, entry, code] of padded) {
        const batch = s.toCa.seal("StatusBatch", { batchId: new Uint8Array(16).fill(padded.findIndex((p) => p[0] === what)), roundId: round, entries: [entryOf(report), entry] }, s.world.clock.now);
        expect(expectCode(() => s.caDesk.onBatch(batch), code as never).code, what).to.equal(code);
      }
      expect(s.caDesk.records.size).to.equal(0);
    });

    it("should not reuse a vehicle's entry in another round, nor a round for a second batch", async function () {
      const s = await setup(4);
      const first = [0, 1].map((i) => s.vehicles[i]!.lag.channel.read("StatusReport", reportOf(s, i, BigInt(100 + i)), s.world.clock.now));
      // The entries answer round 1: moved into a batch of another round, their proofs fail.
      const moved = s.toCa.seal("StatusBatch", { batchId: new Uint8Array(16).fill(1), roundId: new Uint8Array(16).fill(9), entries: first.map(entryOf) }, s.world.clock.now);
      expectCode(() => s.caDesk.onBatch(moved), "BAD_SIGNATURE");
      const batch = s.toCa.seal("StatusBatch", { batchId: new Uint8Array(16).fill(2), roundId: first[0]!.roundId, entries: first.map(entryOf) }, s.world.clock.now);
      s.caDesk.onBatch(batch);
      // Two more vehicles answer the same (old) round: the CA closed it.
      const late = [2, 3].map((i) =>
        s.vehicles[i]!.lag.channel.read("StatusReport", s.vehicles[i]!.report.report(7n, s.vehicles[i]!.lag.channel.seal("StatusRound", { roundId: first[0]!.roundId }, s.world.clock.now)), s.world.clock.now),
      );
      const again = s.toCa.seal("StatusBatch", { batchId: new Uint8Array(16).fill(3), roundId: first[0]!.roundId, entries: late.map(entryOf) }, s.world.clock.now);
      expectCode(() => s.caDesk.onBatch(again), "REPLAYED");
    });
  });
});
