/**
 * Battery status charging → FC: anonymous, accountable, mutual authentication between a vehicle
 * and a LAG, with replay, double-authentication, scope and permit defences.
 */
import { expect } from "chai";
import {
  bytesToHex,
  decodeEscrowSignature,
  escrowOpenVerified,
  generateKeyPair,
} from "../../src/crypto/index.js";
import {
  authStatement,
  decodeMessage,
  encodeMessage,
  GroupDirectory,
  LagAuthenticator,
  VehicleAuth,
  VehicleMemory,
  type MessageOf,
} from "../../src/protocol/index.js";
import { dishonestEscrow, manualResponse } from "./helpers/manual.js";
import { expectCode, fastBackend, World, type Lag } from "./helpers/world.js";

/** Re-encodes a message with one field changed (keeps the old operator: the MAC must then fail). */
function patch<N extends "AuthChallenge" | "AuthResponse" | "AuthConfirm">(name: N, bytes: Uint8Array, change: Partial<MessageOf<N>>): Uint8Array {
  return encodeMessage(name, { ...decodeMessage(name, bytes), ...change } as MessageOf<N>);
}

describe("Protocol: charging → FC anonymous authentication", function () {
  let world: World;
  let lag: Lag;

  beforeEach(async function () {
    world = new World(await fastBackend(), { members: 8, ringSize: 4 });
    lag = world.lag();
  });

  it("should authenticate mutually and give both sides the same session and transcript digest", function () {
    const { vehicle, lag: atLag } = world.authenticate(0, lag);
    expect(vehicle.digest).to.equal(atLag.session.digest);
    expect(bytesToHex(vehicle.channel.id)).to.equal(bytesToHex(atLag.session.channel.id));
    const sealed = vehicle.channel.seal("ServiceRequest", { service: 1, query: new Uint8Array(0) }, world.clock.now);
    expect(atLag.session.channel.open("ServiceRequest", sealed, world.clock.now).service).to.equal(1);
    expect(lag.auth.stateOf(vehicle.channel.id)).to.equal("established");
  });

  it("should let the LAG learn only the group attribute and role, never which ring member signed", function () {
    const [i, j] = world.ringMates(0) as [number, number];
    const first = world.authenticate(i, lag);
    const second = world.authenticate(j, lag);
    for (const r of [first, second]) {
      expect(r.lag.session.attribute).to.equal(world.attribute);
      expect(r.lag.session.role).to.equal("load");
      expect(Object.keys(r.lag.session).sort()).to.deep.equal(["attribute", "channel", "digest", "mode", "role"]);
    }
    const a = decodeMessage("AuthResponse", first.bytes.response);
    const b = decodeMessage("AuthResponse", second.bytes.response);
    expect(a.ring.map(bytesToHex)).to.deep.equal(b.ring.map(bytesToHex));
    expect(a.ring.map(bytesToHex)).to.include(bytesToHex(world.members[i]!.publicKey));
    expect(a.ring.map(bytesToHex)).to.include(bytesToHex(world.members[j]!.publicKey));
    // The signer's key appears only inside the ring, where every bucket member appears too.
    const hexResponse = bytesToHex(first.bytes.response);
    expect(hexResponse.split(bytesToHex(world.members[i]!.publicKey)).length - 1).to.equal(1);
  });

  it("should refuse a replayed response, a replayed confirmation and a replayed challenge", function () {
    const run = world.run(0);
    const challenge = lag.auth.challenge();
    const response = run.onChallenge(challenge);
    const { confirm } = lag.auth.onResponse(response);
    expectCode(() => lag.auth.onResponse(response), "REPLAYED");
    run.onConfirm(confirm);
    expectCode(() => run.onConfirm(confirm), "REPLAYED");
    expectCode(() => world.run(0).onChallenge(challenge), "REPLAYED");
  });

  it("should refuse the second authentication of the same vehicle in the same scope (cloned credential)", function () {
    world.authenticate(3, lag);
    const clone = new VehicleAuth(world.ctx(), world.vehicles[3]!.credential, world.ca.publicKeys, new VehicleMemory());
    const run = clone;
    const response = run.onChallenge(lag.auth.challenge());
    const error = expectCode(() => lag.auth.onResponse(response), "DOUBLE_AUTHENTICATION");
    expect(error.shortMessage).to.match(/already authenticated/);
    // The honest vehicle itself refuses to show a second key image in the scope.
    expectCode(() => world.run(3).onChallenge(lag.auth.challenge()), "DOUBLE_AUTHENTICATION");
    // Another vehicle of the same ring is still welcome.
    expect(world.authenticate(2, lag).lag.session.attribute).to.equal(world.attribute);
  });

  it("should make scopes unlinkable: new key image, new ephemeral key and no common per-vehicle field", function () {
    const other = world.lag("LAG-Hamburg-2");
    const r1 = world.authenticate(0, lag);
    world.clock.advance(world.config.epochSeconds);
    const r2 = world.authenticate(0, lag);
    const r3 = world.authenticate(0, other);
    const views = [r1, r2, r3].map((r) => {
      const response = decodeMessage("AuthResponse", r.bytes.response);
      const signature = decodeEscrowSignature(response.signature);
      return { response, signature };
    });
    const perVehicle = (v: (typeof views)[number]): string[] => [
      bytesToHex(v.response.sessionId),
      bytesToHex(v.response.ephemeralKey),
      bytesToHex(v.response.operator),
      bytesToHex(v.signature.keyImage),
      bytesToHex(v.signature.e1),
      bytesToHex(v.signature.e2),
      bytesToHex(v.signature.c1),
      ...v.signature.s.map(bytesToHex),
      ...v.signature.t.map(bytesToHex),
    ];
    for (let i = 0; i < views.length; i++) {
      for (let j = i + 1; j < views.length; j++) {
        const common = perVehicle(views[i]!).filter((x) => perVehicle(views[j]!).includes(x));
        expect(common, `sessions ${i} and ${j}`).to.deep.equal([]);
      }
    }
    // What the sessions do share (group, version, ring, role) is shared by every member of the ring.
    const neighbour = decodeMessage("AuthResponse", world.authenticate(world.ringMates(0)[1]!, other).bytes.response);
    for (const v of views) {
      expect(bytesToHex(v.response.groupId)).to.equal(bytesToHex(neighbour.groupId));
      expect(v.response.ring.map(bytesToHex)).to.deep.equal(neighbour.ring.map(bytesToHex));
      expect(v.response.role).to.equal(neighbour.role);
    }
  });

  it("should reject a signature made for LAG/scope A when presented at B", function () {
    const other = world.lag("LAG-Hamburg-2");
    const challengeA = lag.auth.challenge();
    const atB = other.auth.challenge();
    expectCode(() => other.auth.onResponse(manualResponse(world, 0, atB, { signFor: challengeA })), "BAD_SIGNATURE");
    // Same LAG, next epoch: the scope (and the nonce) changed, the old signature is worthless.
    const epochA = lag.auth.challenge();
    world.clock.advance(world.config.epochSeconds);
    const epochB = lag.auth.challenge();
    expectCode(() => lag.auth.onResponse(manualResponse(world, 1, epochB, { signFor: epochA })), "BAD_SIGNATURE");
    // The honest control passes.
    expect(lag.auth.onResponse(manualResponse(world, 2, lag.auth.challenge())).session.attribute).to.equal(world.attribute);
  });

  it("should escrow the signer's key so that only the CA opens it, to the right key", function () {
    for (const i of [0, 5]) {
      const r = world.authenticate(i, lag);
      const challenge = decodeMessage("AuthChallenge", r.bytes.challenge);
      const response = decodeMessage("AuthResponse", r.bytes.response);
      const statement = authStatement(challenge, response, world.ca.groups.get(world.groupId, 1n).root, world.ca.publicKeys.escrowKey);
      const opened = escrowOpenVerified(world.b, world.ca.escrowSecret, statement, decodeEscrowSignature(response.signature));
      expect(bytesToHex(opened!.publicKey)).to.equal(bytesToHex(world.members[i]!.publicKey));
      expect(opened!.index).to.be.greaterThanOrEqual(0);
    }
  });

  it("should reject a forged escrow: a tampered E2, and a dishonest escrow of another member's key", function () {
    const tampered = manualResponse(world, 0, lag.auth.challenge(), {
      tamper: (signature) => ({ ...signature, e2: signature.e1 }),
    });
    expectCode(() => lag.auth.onResponse(tampered), "BAD_SIGNATURE");
    const dishonest = manualResponse(world, 0, lag.auth.challenge(), {
      tamper: (_signature, statement) => dishonestEscrow(world.b, statement, world.members[0]!, world.members[1]!.publicKey),
    });
    expectCode(() => lag.auth.onResponse(dishonest), "BAD_SIGNATURE");
  });

  it("should fail mutual authentication with a forged permit, an expired permit or a wrong LAG operator", function () {
    // Forged: a permit signed by a key that is not the CA's.
    const rogue = new World(world.b).lag("LAG-Berlin-7");
    expectCode(() => world.run(0).onChallenge(rogue.auth.challenge()), "BAD_PERMIT");
    // A genuine permit presented by another LAG id.
    const foreign = patch("AuthChallenge", lag.auth.challenge(), { lagId: new TextEncoder().encode("LAG-Elsewhere") });
    expectCode(() => world.run(1).onChallenge(foreign), "BAD_PERMIT");
    // Expired.
    const stale = world.lag("LAG-Old-1", { permitWindow: [world.clock.now - 7200n, world.clock.now - 3600n] });
    const error = expectCode(() => world.run(2).onChallenge(stale.auth.challenge()), "BAD_PERMIT");
    expect(error.details.status).to.equal("expired");
    // Wrong MAC in the confirmation: the vehicle refuses the LAG.
    const run = world.run(3);
    const { confirm } = lag.auth.onResponse(run.onChallenge(lag.auth.challenge()));
    const wrong = confirm.slice();
    wrong[wrong.length - 1]! ^= 1;
    expectCode(() => run.onConfirm(wrong), "BAD_OPERATOR");
    expect(run.state).to.equal("failed");
    // And a wrong MAC in the response: the LAG refuses the vehicle.
    const response = world.run(4).onChallenge(lag.auth.challenge());
    response[response.length - 1]! ^= 1;
    expectCode(() => lag.auth.onResponse(response), "BAD_OPERATOR");
  });

  it("should refuse expired challenges, unknown sessions, messages out of order and foreign epochs", function () {
    const challenge = lag.auth.challenge();
    world.clock.advance(world.config.challengeSeconds + world.config.clockSkewSeconds + 1n);
    expectCode(() => world.run(0).onChallenge(challenge), "EXPIRED");
    const late = lag.auth.challenge();
    const response = world.run(1).onChallenge(late);
    world.clock.advance(world.config.challengeSeconds + world.config.clockSkewSeconds + 1n);
    expectCode(() => lag.auth.onResponse(response), "EXPIRED");
    const stranger = patch("AuthResponse", world.run(2).onChallenge(lag.auth.challenge()), { sessionId: new Uint8Array(16) });
    expectCode(() => lag.auth.onResponse(stranger), "WRONG_SESSION");
    const run = world.run(3);
    expectCode(() => run.onConfirm(new Uint8Array([1, 3, ...new Uint8Array(48)])), "OUT_OF_ORDER");
    const future = patch("AuthChallenge", lag.auth.challenge(), { epoch: 999n });
    expectCode(() => world.run(4).onChallenge(future), "WRONG_SCOPE");
  });

  it("should accept rings only from the committed group version", function () {
    // A group the CA enrolled but this LAG never saw committed.
    const outsiders = [0, 1, 2].map(() => generateKeyPair(world.b));
    const otherGroup = new Uint8Array(32).fill(7);
    world.ca.enrolGroup(otherGroup, 1n, outsiders.map((k) => k.publicKey), "storage-capable vehicles");
    const credential = world.ca.credential(outsiders[0]!, otherGroup, 1n, 4, "storage");
    const response = new VehicleAuth(world.ctx(), credential, world.ca.publicKeys).onChallenge(lag.auth.challenge());
    expectCode(() => lag.auth.onResponse(response), "UNKNOWN_GROUP");
    // A ring with a non-member, under the right group id and version.
    const run = world.run(0);
    const good = decodeMessage("AuthResponse", run.onChallenge(lag.auth.challenge()));
    const forged = encodeMessage("AuthResponse", { ...good, ring: [outsiders[1]!.publicKey, ...good.ring.slice(1)] });
    expectCode(() => lag.auth.onResponse(forged), "NOT_IN_GROUP");
  });

  it("should accept a ring that is the whole committed group when the LAG holds only the root", async function () {
    const small = new World(await fastBackend(), { members: 5, ringSize: 8 });
    const rootOnly = small.lag("LAG-Root-Only", { withMembers: false });
    expect(small.authenticate(4, rootOnly).lag.session.attribute).to.equal(small.attribute);
    // A LAG that knows the root only refuses a bucket of a larger group.
    const directory = new GroupDirectory();
    directory.commit(world.ca.groups.get(world.groupId, 1n));
    const bucketsOnly = new LagAuthenticator(world.ctx(), lag.identity, world.ca.publicKeys, directory);
    expectCode(() => bucketsOnly.onResponse(world.run(0).onChallenge(bucketsOnly.challenge())), "NOT_IN_GROUP");
  });
});
