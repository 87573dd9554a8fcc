/**
 * A restarted CA reopening a LAG–CA channel: only from a permit it signed, and with its counters
 * above the earlier run's, so the LAG accepts it and no (key, nonce) repeats.
 */
import { expect } from "chai";
import { CentralAuthority, openLagCaChannel, restartSafeFirstCounter } from "../../src/protocol/index.js";
import { expectCode, fastBackend, World } from "./helpers/world.js";

describe("Protocol: a restarted CA reopening its LAG channels", function () {
  it("should refuse a permit another CA signed (BAD_PERMIT)", async function () {
    const world = new World(await fastBackend());
    const lag = world.lagIdentity();
    const other = new CentralAuthority(world.ctx());
    expectCode(() => other.admitLag(lag.permit, 1n), "BAD_PERMIT");
  });

  it("should continue its counters from firstCounter, and refuse a first counter of 0", async function () {
    const world = new World(await fastBackend());
    const lag = world.lagIdentity();
    const toCa = openLagCaChannel(world.b, lag, world.ca.publicKeys);
    const now = world.clock.now;
    const probe = toCa.seal("StatusBatch", { batchId: new Uint8Array(16), roundId: new Uint8Array(16), entries: [new Uint8Array(8)] }, now);
    const answer = () => world.ca.channel(probe).channel.seal("StatusResult", { batchId: new Uint8Array(16), aggregate: 0n, count: 1, replies: [new Uint8Array(24)], caSignature: new Uint8Array(64) }, now);
    expect(toCa.open("StatusResult", answer(), now).counter).to.equal(1n);
    // A restart that began at 1 again would repeat counter 1 under the same key: the LAG refuses it.
    world.ca.admitLag(lag.permit, 1n);
    expectCode(() => toCa.open("StatusResult", answer(), now), "REPLAYED");
    world.ca.admitLag(lag.permit, 1_000n);
    expect(toCa.open("StatusResult", answer(), now).counter).to.equal(1_000n);
    expectCode(() => world.ca.admitLag(lag.permit, 0n), "INTERNAL");
  });

  it("should refuse a restarted LAG whose counters begin at 1 again, and accept one from restartSafeFirstCounter", async function () {
    const world = new World(await fastBackend());
    const lag = world.lagIdentity();
    const now = world.clock.now;
    const batch = (ch: ReturnType<typeof openLagCaChannel>) =>
      ch.seal("StatusBatch", { batchId: new Uint8Array(16), roundId: new Uint8Array(16), entries: [new Uint8Array(8)] }, now);
    const first = openLagCaChannel(world.b, lag, world.ca.publicKeys);
    const sent = batch(first);
    expect(world.ca.channel(sent).channel.open("StatusBatch", sent, now).counter).to.equal(1n);
    // The LAG restarts and reopens its channel under the same key: counter 1 again repeats a
    // (key, nonce) pair, and the CA refuses it.
    const naive = openLagCaChannel(world.b, lag, world.ca.publicKeys);
    const replayed = batch(naive);
    expectCode(() => world.ca.channel(replayed).channel.open("StatusBatch", replayed, now), "REPLAYED");
    const restarted = openLagCaChannel(world.b, lag, world.ca.publicKeys, restartSafeFirstCounter(1_800_000_000_000));
    const fresh = batch(restarted);
    expect(world.ca.channel(fresh).channel.open("StatusBatch", fresh, now).counter).to.equal(1_800_000_000_000n << 20n);
  });
});
