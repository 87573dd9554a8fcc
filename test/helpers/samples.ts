/** Sample and random evidence values built from the type table, so every type is covered. */
import fc from "fast-check";
import { getAddress, hexlify, randomBytes } from "ethers";
import type { TypedDataField } from "ethers";
import type { EvidenceMessage, Header } from "../../src/evidence/messages.js";
import { BODY_FIELDS, type MessageTypeName } from "../../src/evidence/types.js";

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => hexlify(b));

/** A fast-check arbitrary for one EIP-712 field type of the table. */
export function arbField(type: string): fc.Arbitrary<unknown> {
  if (type === "bytes32") return hex(32);
  if (type === "address") return hex(20).map((h) => getAddress(h));
  if (type.endsWith("[]")) return fc.array(arbField(type.slice(0, -2)), { maxLength: 8 });
  const m = /^(u?)int(\d+)$/.exec(type);
  if (!m) throw new Error(`no arbitrary for ${type}`);
  const bits = BigInt(m[2]!);
  if (m[1] === "u") return fc.bigInt({ min: 0n, max: (1n << bits) - 1n });
  return fc.bigInt({ min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n });
}

export function arbBody(type: MessageTypeName): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of BODY_FIELDS[type]) shape[field.name] = arbField(field.type);
  return fc.record(shape);
}

/** A deterministic valid value for a field (used by example-based tests). */
export function sampleField(field: TypedDataField, seed: number): unknown {
  const { type } = field;
  if (type === "bytes32") return hexlify(new Uint8Array(32).fill(seed & 0xff));
  if (type === "address") return getAddress(hexlify(new Uint8Array(20).fill((seed + 7) & 0xff)));
  if (type.endsWith("[]")) return [seed, -seed, 3 * seed].map(BigInt);
  return BigInt(seed % 200);
}

export function sampleBody(type: MessageTypeName, seed = 1): Record<string, unknown> {
  return Object.fromEntries(BODY_FIELDS[type].map((f, i) => [f.name, sampleField(f, seed + i)]));
}

export function header(sessionId: string, seq: bigint, issuedAt: bigint, ttl = 3600n): Header {
  return { sessionId, seq, nonce: hexlify(randomBytes(32)), issuedAt, expiresAt: issuedAt + ttl };
}

export function message<T extends MessageTypeName>(type: T, h: Header, body = sampleBody(type)): EvidenceMessage<T> {
  return { type, header: h, body } as unknown as EvidenceMessage<T>;
}
