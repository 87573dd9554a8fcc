/**
 * The LAG's authentication desk against the attacks that need no network: forward secrecy of
 * its ephemeral keys, memory bounded by age, revocation through group versions, and
 * configuration values that would switch a bound off.
 */
import { expect } from "chai";
import { isAllZero } from "../../src/crypto/bytes.js";
import {
  checkConfig,
  DEFAULT_CONFIG,
  LagAuthenticator,
  partyContext,
  ProtocolError,
  VehicleAuth,
  type Backend,
} from "../../src/protocol/index.js";
import { manualResponse } from "./helpers/manual.js";
import { expectCode, fastBackend, World } from "./helpers/world.js";

/** A backend that keeps every scalar it reduces (ephemeral secrets are drawn through it). */
function recordingBackend(b: Backend): { backend: Backend; scalars: Uint8Array[] } {
  const scalars: Uint8Array[] = [];
  const backend = new Proxy(b, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== "scalarReduceWide" || typeof value !== "function") return value;
      return (wide: Uint8Array) => {
        const out = (value as (w: Uint8Array) => Uint8Array).call(target, wide);
        scalars.push(out);
        return out;
      };
    },
  });
  return { backend, scalars };
}

describe("Protocol: the LAG's authentication desk under attack", function () {
  let world: World;

  beforeEach(async function () {
    world = new World(await fastBackend(), { members: 8, ringSize: 4 });
  });

  describe("forward secrecy", function () {
    it("should zero the challenge's ephemeral secret once the response is accepted", function () {
      const { backend, scalars } = recordingBackend(world.b);
      const lag = world.lag("LAG-FS", { backend });
      const run = world.run(0);
      const challenge = lag.auth.challenge();
      const secrets = scalars.splice(0);
      expect(secrets).to.have.length(1);
      expect(isAllZero(secrets[0]!)).to.equal(false);
      run.onConfirm(lag.auth.onResponse(run.onChallenge(challenge)).confirm);
      expect(isAllZero(secrets[0]!), "the ephemeral secret outlived the handshake").to.equal(true);
      expect(lag.auth.stateOf(decodeSessionId(challenge))).to.equal("established");
    });

    it("should zero it as well when the response is refused, and through the asynchronous path", async function () {
      const { backend, scalars } = recordingBackend(world.b);
      const lag = world.lag("LAG-FS", { backend });
      const challenge = lag.auth.challenge();
      const [refusedSecret] = scalars.splice(0);
      const forged = manualResponse(world, 1, challenge, { tamper: (s) => ({ ...s, c1: s.s[0]! }) });
      expectCode(() => lag.auth.onResponse(forged), "BAD_SIGNATURE");
      expect(isAllZero(refusedSecret!)).to.equal(true);
      const second = lag.auth.challenge();
      const [acceptedSecret] = scalars.splice(0);
      const run = world.run(2);
      const { confirm } = await lag.auth.respond(run.onChallenge(second));
      run.onConfirm(confirm);
      expect(isAllZero(acceptedSecret!)).to.equal(true);
    });

    it("should sweep unanswered challenges by age, not only past a count", function () {
      const lag = world.lag();
      for (let i = 0; i < 20; i++) lag.auth.challenge();
      expect(lag.auth.pendingCount).to.equal(20);
      // One second before the window (plus skew) closes: all still held.
      world.clock.advance(world.config.challengeSeconds + world.config.clockSkewSeconds - 1n);
      lag.auth.challenge();
      expect(lag.auth.pendingCount).to.equal(21);
      // At the exact second the first twenty can no longer be answered: they go.
      world.clock.advance(1);
      lag.auth.challenge();
      expect(lag.auth.pendingCount).to.equal(2);
    });

    it("should refuse new challenges with OVERLOADED beyond the configured number pending", function () {
      const small = new World(world.b, { members: 8, ringSize: 4, config: { maxPendingChallenges: 3 } });
      const lag = small.lag();
      for (let i = 0; i < 3; i++) lag.auth.challenge();
      expectCode(() => lag.auth.challenge(), "OVERLOADED");
      small.clock.advance(small.config.challengeSeconds + small.config.clockSkewSeconds);
      expect(() => lag.auth.challenge()).not.to.throw();
    });
  });

  describe("revocation through group versions", function () {
    /** Publishes version 2 without vehicle 0 at the current time; the LAG learns it. */
    function revokeVehicle0(lag: ReturnType<World["lag"]>): bigint {
      const members = world.members.slice(1).map((k) => k.publicKey);
      const record = world.ca.enrolGroup(world.groupId, 2n, members, world.attribute);
      lag.groups.commit(record);
      lag.groups.addMembers(world.groupId, 2n, members);
      return record.publishedAt as bigint;
    }

    it("should refuse a member removed in version 2 who still presents version 1, once the grace period is over", function () {
      const lag = world.lag();
      const publishedAt = revokeVehicle0(lag);
      // Inside the grace period (its last second) the old version still authenticates…
      world.clock.now = publishedAt + world.config.groupGraceSeconds - 1n;
      world.authenticate(1, lag);
      // …and from the exact second it ends, it does not.
      world.clock.now = publishedAt + world.config.groupGraceSeconds;
      const error = expectCode(() => lag.auth.onResponse(world.run(0).onChallenge(lag.auth.challenge())), "SUPERSEDED_GROUP");
      expect(error.details.latest).to.equal(2n);
      // A vehicle with a version-2 credential is welcome.
      const renewed = world.ca.credential(world.members[2]!, world.groupId, 2n, 4, "load");
      const run = new VehicleAuth(world.ctx(), renewed, world.ca.publicKeys);
      const confirm = lag.auth.onResponse(run.onChallenge(lag.auth.challenge())).confirm;
      expect(run.onConfirm(confirm).lagId).to.deep.equal(lag.identity.lagId);
    });

    it("should accept only the latest version when the grace period is zero", function () {
      const strict = new World(world.b, { members: 8, ringSize: 4, config: { groupGraceSeconds: 0n } });
      const lag = strict.lag();
      const members = strict.members.slice(1).map((k) => k.publicKey);
      const record = strict.ca.enrolGroup(strict.groupId, 2n, members, strict.attribute);
      lag.groups.commit(record);
      expectCode(() => lag.auth.onResponse(strict.run(3).onChallenge(lag.auth.challenge())), "SUPERSEDED_GROUP");
    });
  });

  describe("configuration", function () {
    it("should refuse a ring-size bound that is not an integer in 2..256 (NaN would switch it off)", function () {
      for (const maxRingSize of [Number.NaN, 1.5, 1, 257, Number.POSITIVE_INFINITY]) {
        const config = { ...DEFAULT_CONFIG, maxRingSize };
        const error = expectCode(() => checkConfig(config), "INVALID_CONFIG");
        expect(error.details.field).to.equal("maxRingSize");
        expectCode(() => partyContext(world.b, { config }), "INVALID_CONFIG");
        const ctx = { ...world.ctx(), config };
        const lag = world.lag();
        expectCode(() => new LagAuthenticator(ctx, lag.identity, world.ca.publicKeys, lag.groups), "INVALID_CONFIG");
      }
      expect(checkConfig({ ...DEFAULT_CONFIG, maxRingSize: 2 }).maxRingSize).to.equal(2);
      expect(checkConfig({ ...DEFAULT_CONFIG, maxRingSize: 256 }).maxRingSize).to.equal(256);
      expect(() => checkConfig({ ...DEFAULT_CONFIG, groupGraceSeconds: -1n })).to.throw(ProtocolError);
    });
  });
});

function decodeSessionId(challenge: Uint8Array): Uint8Array {
  return challenge.subarray(2, 18);
}
