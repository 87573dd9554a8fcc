/**
 * Confidentiality of the session: what an eavesdropper on the wire between a vehicle and its
 * LAG (or a LAG and the CA) sees of session messages — header, session id, counter and length,
 * and no plaintext field — while the two ends read every field.
 */
import { expect } from "chai";
import { u64be } from "../../src/crypto/index.js";
import { decodeMessage, SESSION_BODY_OFFSET, type SealInput, type SessionMessageName } from "../../src/protocol/index.js";
import { expectCode, fastBackend, text, World } from "./helpers/world.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Distinctive field values for each kind of session message a vehicle and its LAG exchange. */
const SAMPLES: { [N in SessionMessageName]?: SealInput<N> } = {
  ServiceRequest: { service: 3, query: text("tariff forecast for zone 7, private") },
  ServiceReply: { service: 3, status: 0, payload: text("0.2718 EUR/kWh from 18:00") },
  EnergyOffer: { roundId: new Uint8Array(16).fill(0xa5), energyWh: 123_456_789n },
  EnergyDemand: { roundId: new Uint8Array(16).fill(0x5a), energyWh: 987_654_321n },
  EnergyAllocation: { roundId: new Uint8Array(16).fill(0x3c), energyWh: 555_555_555n },
  StatusRound: { roundId: new Uint8Array(16).fill(0x77) },
};

/** The byte strings a plaintext field would show on the wire. */
function plaintextOf(fields: Record<string, unknown>): Uint8Array[] {
  return Object.values(fields).flatMap((v) => (v instanceof Uint8Array ? [v] : typeof v === "bigint" ? [u64be(v)] : []));
}

describe("Protocol: session confidentiality against an eavesdropper", function () {
  let world: World;
  beforeEach(async function () {
    world = new World(await fastBackend(), { members: 8, ringSize: 4 });
  });

  it("should show an eavesdropper no plaintext field of any session message, and the peer every field", function () {
    const lag = world.lag();
    const { vehicle, lag: atLag } = world.authenticate(0, lag);
    for (const [name, fields] of Object.entries(SAMPLES) as [SessionMessageName, Record<string, unknown>][]) {
      for (const [from, to] of [[vehicle.channel, atLag.session.channel], [atLag.session.channel, vehicle.channel]] as const) {
        const wire = from.seal(name, fields as never, world.clock.now);
        const body = wire.subarray(SESSION_BODY_OFFSET, wire.length - 32);
        for (const field of plaintextOf(fields)) expect(hex(body), `${name}: a field is readable on the wire`).not.to.include(hex(field));
        // Decoding the wire as if it were plaintext gives nothing the sender sealed.
        let seen: Record<string, unknown> | undefined;
        try {
          seen = decodeMessage(name, wire) as unknown as Record<string, unknown>;
        } catch {
          seen = undefined;
        }
        for (const [key, value] of Object.entries(fields)) {
          if (seen !== undefined) expect(seen[key], `${name}.${key} decodes from the wire`).not.to.deep.equal(value);
        }
        // The peer reads every field.
        const opened = to.open(name, wire, world.clock.now) as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(fields)) expect(opened[key], `${name}.${key}`).to.deep.equal(value);
      }
    }
  });

  it("should use one key per direction and a fresh keystream per counter", function () {
    const lag = world.lag();
    const { vehicle, lag: atLag } = world.authenticate(1, lag);
    const fields = SAMPLES.EnergyOffer as SealInput<"EnergyOffer">;
    const up = vehicle.channel.seal("EnergyOffer", fields, world.clock.now);
    const down = atLag.session.channel.seal("EnergyOffer", fields, world.clock.now);
    const again = vehicle.channel.seal("EnergyOffer", fields, world.clock.now);
    const body = (b: Uint8Array) => hex(b.subarray(SESSION_BODY_OFFSET, b.length - 32));
    // Same plaintext, same counter (1) in both directions: different ciphertext; next counter: different again.
    expect(body(up)).not.to.equal(body(down));
    expect(body(up)).not.to.equal(body(again));
  });

  it("should refuse a flipped ciphertext bit before decrypting, and a message read twice only once", function () {
    const lag = world.lag();
    const { vehicle, lag: atLag } = world.authenticate(2, lag);
    const wire = vehicle.channel.seal("ServiceRequest", SAMPLES.ServiceRequest as SealInput<"ServiceRequest">, world.clock.now);
    for (let bit = SESSION_BODY_OFFSET * 8; bit < (wire.length - 32) * 8; bit += 7) {
      const flipped = wire.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expectCode(() => atLag.session.channel.open("ServiceRequest", flipped, world.clock.now), "BAD_OPERATOR");
    }
    expect(atLag.session.channel.read("ServiceRequest", wire, world.clock.now).service).to.equal(3);
    expect(atLag.session.channel.open("ServiceRequest", wire, world.clock.now).service).to.equal(3);
    expectCode(() => atLag.session.channel.open("ServiceRequest", wire, world.clock.now), "REPLAYED");
  });
});
