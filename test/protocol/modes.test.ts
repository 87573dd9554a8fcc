/**
 * Discharging modes: centralized (S3P-BV → grid, energy reported as masked pseudo-status) and
 * distributed (S3P-BVs → neighbouring load-BVs through the LAG), each with its unlinkability.
 */
import { expect } from "chai";
import fc from "fast-check";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, decodeEscrowSignature, keyPairFromSeed } from "../../src/crypto/index.js";
import {
  CaStatusDesk,
  LagDistributedDesk,
  LagStatusDesk,
  VehicleAuth,
  VehicleEnergy,
  VehicleStatusReport,
  decodeAnyMessage,
  decodeMessage,
  dischargeModeFor,
  openLagCaChannel,
  peekMessage,
  proportionalSplit,
  type LagSession,
  type SessionChannel,
  type SessionMessageName,
  type VehicleAuthResult,
  type VehicleCredential,
} from "../../src/protocol/index.js";
import { expectCode, fastBackend, text, World, type Lag } from "./helpers/world.js";

/** A world of load-BVs plus an enrolled group of S3P-BVs, and a LAG that knows both groups. */
async function neighbourhood() {
  const world = new World(await fastBackend(), { members: 6, ringSize: 3, role: "load", groupLabel: "subscribers of supplier S_A" });
  const s3pGroup = sha256(text("group:S3P-capable vehicles"));
  const s3pKeys = [0, 1, 2, 3].map((i) => keyPairFromSeed(world.b, sha256(text(`s3p/${i}`))));
  world.ca.enrolGroup(s3pGroup, 1n, s3pKeys.map((k) => k.publicKey), "S3P-capable vehicles");
  const lag: Lag = world.lag();
  lag.groups.commit(world.ca.groups.get(s3pGroup, 1n));
  lag.groups.addMembers(s3pGroup, 1n, s3pKeys.map((k) => k.publicKey));
  const s3p = (i: number): { vehicle: VehicleAuthResult; lag: LagSession; response: Uint8Array; credential: VehicleCredential } => {
    const credential = world.ca.credential(s3pKeys[i]!, s3pGroup, 1n, 4, "s3p");
    const run = new VehicleAuth(world.ctx(), credential, world.ca.publicKeys);
    const response = run.onChallenge(lag.auth.challenge());
    const atLag = lag.auth.onResponse(response);
    return { vehicle: run.onConfirm(atLag.confirm), lag: atLag.session, response, credential };
  };
  const load = (i: number) => {
    const r = world.authenticate(i, lag);
    return { vehicle: r.vehicle, lag: r.lag.session, response: r.bytes.response };
  };
  return { world, lag, s3p, load };
}

describe("Protocol: discharging modes", function () {
  it("should choose distributed discharging when neighbours need energy, centralized otherwise", function () {
    expect(dischargeModeFor(0n)).to.equal("centralized");
    expect(dischargeModeFor(1n)).to.equal("distributed");
  });

  it("should split energy in proportion and conserve it exactly (fast-check)", function () {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 12 }), (total, weights) => {
        const parts = proportionalSplit(total, weights);
        const sum = weights.reduce((a, w) => a + w, 0n);
        expect(parts.reduce((a, p) => a + p, 0n)).to.equal(sum === 0n ? 0n : total);
        parts.forEach((p, i) => {
          if (sum === 0n) return;
          const exact = (total * weights[i]!) / sum; // floor of the exact share
          expect(p - exact).to.be.oneOf([0n, 1n]);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it("should discharge to neighbouring load-BVs through the LAG, each vehicle learning only its own share", async function () {
    const n = await neighbourhood();
    const desk = new LagDistributedDesk(n.world.ctx());
    const round = desk.openRound();
    const suppliers = [n.s3p(0), n.s3p(1)];
    const consumers = [n.load(0), n.load(1), n.load(2)];
    const bids: Uint8Array[] = [];
    const clients = [...suppliers, ...consumers].map((p) => new VehicleEnergy(n.world.ctx(), p.vehicle));
    [3000n, 1000n].forEach((wh, i) => bids.push(clients[i]!.offer(round, wh)));
    [1000n, 1500n, 500n].forEach((wh, i) => bids.push(clients[2 + i]!.demand(round, wh)));
    const parties = [...suppliers, ...consumers];
    bids.forEach((bid, i) => desk.onBid(parties[i]!.lag, bid));
    expectCode(() => desk.onBid(parties[0]!.lag, bids[0]!), "REPLAYED");
    const { totalWh, allocations } = desk.allocate(round);
    expect(totalWh).to.equal(3000n);
    const shares = allocations.map((a, i) => clients[i]!.onAllocation(a.bytes));
    expect(shares).to.deep.equal([2250n, 750n, 1000n, 1500n, 500n]);
    // No message a load-BV sees carries anything of an S3P-BV's messages, or the converse:
    // the only value two parties share is the broadcast round id.
    // (Session messages are read as their receiver decrypts them.)
    const now = n.world.clock.now;
    const plain = (b: Uint8Array, channel?: SessionChannel) =>
      channel === undefined ? decodeAnyMessage(b).fields : (channel.read(peekMessage(b) as SessionMessageName, b, now) as unknown as Record<string, unknown>);
    const fieldsOf = (views: [Uint8Array, SessionChannel?][]) =>
      new Set(views.flatMap(([b, c]) => Object.values(plain(b, c)).filter((v): v is Uint8Array => v instanceof Uint8Array && v.length >= 16).map((v) => bytesToHex(v))));
    const bidView = (i: number): [Uint8Array, SessionChannel] => [bids[i]!, parties[i]!.lag.channel];
    const allocationView = (i: number): [Uint8Array, SessionChannel] => [allocations[i]!.bytes, parties[i]!.vehicle.channel];
    const supplierView = fieldsOf([...suppliers.map((p): [Uint8Array] => [p.response]), bidView(0), bidView(1), allocationView(0), allocationView(1)]);
    const consumerView = fieldsOf([...consumers.map((p): [Uint8Array] => [p.response]), bidView(2), bidView(3), bidView(4), allocationView(2), allocationView(3), allocationView(4)]);
    const shared = [...supplierView].filter((v) => consumerView.has(v));
    expect(shared).to.deep.equal([bytesToHex(round)]);
    // Roles are enforced: a load-BV cannot offer, and a closed round takes no bids.
    const late = desk.openRound();
    const wrongRole = new VehicleEnergy(n.world.ctx(), consumers[0]!.vehicle).offer(late, 10n);
    expectCode(() => desk.onBid(consumers[0]!.lag, wrongRole), "UNEXPECTED_MESSAGE");
    expectCode(() => desk.onBid(suppliers[0]!.lag, new VehicleEnergy(n.world.ctx(), suppliers[0]!.vehicle).offer(round, 1n)), "OUT_OF_ORDER");
  });

  it("should discharge to the grid with the energy reported only as masked pseudo-status, and fresh images per epoch", async function () {
    const n = await neighbourhood();
    const toCa = openLagCaChannel(n.world.b, n.lag.identity, n.world.ca.publicKeys);
    const lagDesk = new LagStatusDesk(n.world.ctx(), n.lag.identity.lagId, n.world.ca.publicKeys, toCa);
    const caDesk = new CaStatusDesk(n.world.ca);
    const suppliers = [n.s3p(0), n.s3p(1), n.s3p(2)];
    const reports = suppliers.map((p) => new VehicleStatusReport(n.world.ctx(), p.vehicle, n.world.ca.publicKeys, p.credential));
    const delivered = [4200n, 800n, 1500n];
    const seen = reports.map((r, i) => lagDesk.onReport(suppliers[i]!.lag, r.report(delivered[i]!, lagDesk.announce(suppliers[i]!.lag))));
    expect(seen).to.not.deep.equal(delivered);
    const result = lagDesk.onResult(caDesk.onBatch(lagDesk.closeBatch()));
    expect(result.aggregate).to.equal(6500n);
    result.deliveries.forEach((d, i) => expect(reports[i]!.onDelivery(d.bytes).status).to.equal(delivered[i]));
    // The same S3P-BV in the next epoch shows a new key image and a new ephemeral key.
    n.world.clock.advance(n.world.config.epochSeconds);
    const next = n.s3p(0);
    const before = decodeMessage("AuthResponse", suppliers[0]!.response);
    const after = decodeMessage("AuthResponse", next.response);
    expect(bytesToHex(decodeEscrowSignature(before.signature).keyImage)).to.not.equal(bytesToHex(decodeEscrowSignature(after.signature).keyImage));
    expect(bytesToHex(before.ephemeralKey)).to.not.equal(bytesToHex(after.ephemeralKey));
  });
});
