/**
 * The wire format: every message type round-trips, malformed bytes give a typed error, and
 * every handler of every state machine, fed random bytes or mutated valid messages, either
 * accepts or throws a `ProtocolError` (never another exception, never `INTERNAL`).
 */
import { expect } from "chai";
import fc from "fast-check";
import {
  CATALOGUE,
  PROTOCOL_VERSION,
  ProtocolError,
  SessionChannel,
  decodeAnyMessage,
  decodeMessage,
  encodeMessage,
  type Field,
  type MessageName,
  type MessageOf,
} from "../../src/protocol/index.js";
import { buildTargets, type Target } from "./helpers/targets.js";
import { expectCode, fastBackend } from "./helpers/world.js";

const NAMES = Object.keys(CATALOGUE) as MessageName[];

/** Values for a field, kept small so the round trips stay fast. */
function arbitraryOf(field: Field): fc.Arbitrary<unknown> {
  const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: Math.min(max, min + 48) });
  switch (field.kind) {
    case "fixed":
      return bytes(field.size, field.size);
    case "bytes8":
    case "bytes16":
      return bytes(field.min, field.max);
    case "u8":
      return fc.integer({ min: 0, max: 255 });
    case "u32":
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case "u64":
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case "list":
      return fc.array(bytes(field.width, field.width), { minLength: field.min, maxLength: Math.min(field.max, field.min + 3) });
    case "blobs":
      return fc.array(bytes(0, Math.min(field.maxEach, 40)), { minLength: field.min, maxLength: Math.min(field.max, field.min + 3) });
  }
}

function messageArbitrary(name: MessageName): fc.Arbitrary<Record<string, unknown>> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, field] of CATALOGUE[name].fields) record[key] = arbitraryOf(field);
  return fc.record(record);
}

/** A mutation of valid bytes: flip, truncate, extend, retype or overwrite. */
const mutation = fc.record({
  kind: fc.constantFrom("flip", "truncate", "extend", "retype", "overwrite", "version"),
  position: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(bytes: Uint8Array, m: { kind: string; position: number; value: number }): Uint8Array {
  const at = bytes.length === 0 ? 0 : m.position % bytes.length;
  const out = bytes.slice();
  switch (m.kind) {
    case "flip":
      out[at]! ^= 1 << (m.value % 8);
      return out;
    case "truncate":
      return out.slice(0, at);
    case "extend":
      return new Uint8Array([...out, m.value]);
    case "retype":
      if (out.length > 1) out[1] = m.value;
      return out;
    case "version":
      if (out.length > 0) out[0] = m.value;
      return out;
    default:
      out[at] = m.value;
      return out;
  }
}

/** Runs a handler: returns normally or throws a non-INTERNAL `ProtocolError`. */
function expectTyped(target: Target, bytes: Uint8Array): void {
  try {
    target.handle(bytes);
  } catch (error) {
    expect(error, `${target.name}: ${String(error)}`).to.be.instanceOf(ProtocolError);
    expect((error as ProtocolError).code, `${target.name}: ${(error as ProtocolError).message}`).to.not.equal("INTERNAL");
  }
}

describe("Protocol: wire format and malformed input", function () {
  it("should round-trip every message type byte for byte (fast-check)", function () {
    for (const name of NAMES) {
      fc.assert(
        fc.property(messageArbitrary(name), (fields) => {
          const bytes = encodeMessage(name, fields as MessageOf<typeof name>);
          expect(bytes[0]).to.equal(PROTOCOL_VERSION);
          expect(bytes[1]).to.equal(CATALOGUE[name].type);
          const decoded = decodeMessage(name, bytes);
          expect(decoded).to.deep.equal(fields);
          expect(encodeMessage(name, decoded)).to.deep.equal(bytes);
        }),
        { numRuns: 60 },
      );
    }
  });

  it("should refuse truncations, trailing bytes, unknown versions and types with typed errors", function () {
    for (const name of NAMES) {
      fc.assert(
        fc.property(messageArbitrary(name), fc.nat(), (fields, cut) => {
          const bytes = encodeMessage(name, fields as MessageOf<typeof name>);
          const short = bytes.slice(0, 2 + (cut % (bytes.length - 2)));
          expectCode(() => decodeMessage(name, short), "MALFORMED");
          expectCode(() => decodeMessage(name, new Uint8Array([...bytes, 0])), "MALFORMED");
          expectCode(() => decodeMessage(name, new Uint8Array([2, ...bytes.slice(1)])), "UNSUPPORTED_VERSION");
          expectCode(() => decodeMessage(name, new Uint8Array([1, 0xee, ...bytes.slice(2)])), "UNKNOWN_MESSAGE_TYPE");
          const other = NAMES.find((n) => n !== name)!;
          expectCode(() => decodeMessage(other, bytes), "UNEXPECTED_MESSAGE");
        }),
        { numRuns: 20 },
      );
    }
    expectCode(() => decodeAnyMessage(new Uint8Array(0)), "MALFORMED");
    expectCode(() => decodeAnyMessage("not bytes" as unknown as Uint8Array), "MALFORMED");
    expectCode(() => encodeMessage("AuthConfirm", { sessionId: new Uint8Array(3), expiresAt: 0n, operator: new Uint8Array(32) }), "MALFORMED");
    expectCode(() => encodeMessage("AuthConfirm", { sessionId: new Uint8Array(16), expiresAt: -1n, operator: new Uint8Array(32) }), "MALFORMED");
  });

  it("should decode arbitrary bytes to a message or a typed error, never anything else (fast-check)", function () {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(...NAMES.map((n) => CATALOGUE[n].type)), (bytes, type) => {
        for (const candidate of [bytes, new Uint8Array([1, type, ...bytes])]) {
          try {
            decodeAnyMessage(candidate);
          } catch (error) {
            expect(error).to.be.instanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("should accept reordered session messages within the window and refuse repeats and stale counters", function () {
    const key = new Uint8Array(32).fill(3);
    const id = new Uint8Array(16).fill(4);
    const sender = new SessionChannel({ id, key, local: "bv", peer: "lag", mode: "visiting", expiresAt: 10n ** 12n });
    const receiver = new SessionChannel({ id, key, local: "lag", peer: "bv", mode: "visiting", expiresAt: 10n ** 12n });
    const sent = Array.from({ length: 70 }, (_, i) => sender.seal("ServiceRequest", { service: 1, query: Uint8Array.of(i) }, 1n));
    receiver.open("ServiceRequest", sent[5]!, 1n);
    receiver.open("ServiceRequest", sent[2]!, 1n);
    expectCode(() => receiver.open("ServiceRequest", sent[2]!, 1n), "REPLAYED");
    receiver.open("ServiceRequest", sent[69]!, 1n);
    expectCode(() => receiver.open("ServiceRequest", sent[3]!, 1n), "REPLAYED"); // older than the window
    receiver.open("ServiceRequest", sent[10]!, 1n);
    expectCode(() => receiver.open("ServiceRequest", sent[69]!, 10n ** 12n), "EXPIRED");
  });

  // FUZZ_FACTOR=n multiplies the runs per handler for a longer local fuzzing session.
  describe("every handler, fed random and mutated messages (fast-check)", function () {
    let targets: Target[] = [];
    before(async function () {
      targets = buildTargets(await fastBackend());
    });

    it("should only ever throw typed errors", function () {
      this.timeout(120_000);
      for (const target of targets) {
        fc.assert(
          fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => ({ raw: b })), mutation.map((m) => ({ m }))), (input) => {
            const bytes = "raw" in input ? input.raw : mutate(target.valid(), input.m);
            expectTyped(target, bytes);
          }),
          { numRuns: target.runs * Number(process.env.FUZZ_FACTOR ?? 1) },
        );
      }
    });

    it("should still accept the unmutated message (the fuzz reaches the real checks)", function () {
      for (const target of targets.filter((t) => t.acceptsValid)) {
        expect(() => target.handle(target.valid()), target.name).to.not.throw();
      }
    });
  });
});
