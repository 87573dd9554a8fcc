/**
 * A schema-driven binary codec with strict bounds. A message is
 *
 *   u8 version ‖ u8 type ‖ field_1 ‖ … ‖ field_k
 *
 * with big-endian integers and these field kinds:
 *
 *   fixed(n)          exactly n bytes
 *   bytes8(min, max)  u8 length ‖ bytes        (min ≤ length ≤ max ≤ 255)
 *   bytes16(min, max) u16 length ‖ bytes       (min ≤ length ≤ max ≤ 65 535)
 *   u8 / u32 / u64    fixed-width unsigned integers
 *   list(w, min, max) u16 count ‖ count × w bytes
 *   blobs(min, max, m) u16 count ‖ count × (u16 length ‖ bytes), each length ≤ m
 *
 * Decoding rejects anything out of bounds, short, or followed by trailing bytes with
 * `ProtocolError("MALFORMED")`; an encoder given out-of-range values throws the same.
 */
import { ProtocolError } from "./errors.js";

export const fixed = (size: number) => ({ kind: "fixed", size }) as const;
export const bytes8 = (min: number, max: number) => ({ kind: "bytes8", min, max }) as const;
export const bytes16 = (min: number, max: number) => ({ kind: "bytes16", min, max }) as const;
export const u8 = { kind: "u8" } as const;
export const u32 = { kind: "u32" } as const;
export const u64 = { kind: "u64" } as const;
export const list = (width: number, min: number, max: number) => ({ kind: "list", width, min, max }) as const;
export const blobs = (min: number, max: number, maxEach: number) => ({ kind: "blobs", min, max, maxEach }) as const;

/** One field of a schema. */
export type Field =
  | ReturnType<typeof fixed>
  | ReturnType<typeof bytes8>
  | ReturnType<typeof bytes16>
  | typeof u8
  | typeof u32
  | typeof u64
  | ReturnType<typeof list>
  | ReturnType<typeof blobs>;

/** An ordered list of named fields. */
export type Schema = readonly (readonly [string, Field])[];

/** The value type of a field kind. */
export type ValueOf<F> = F extends { kind: "u64" }
  ? bigint
  : F extends { kind: "u8" | "u32" }
    ? number
    : F extends { kind: "list" | "blobs" }
      ? Uint8Array[]
      : Uint8Array;

/** The decoded record of a schema. */
export type Decoded<S extends Schema> = { [E in S[number] as E[0]]: ValueOf<E[1]> };

const malformed = (message: string, details: Record<string, unknown> = {}): ProtocolError =>
  new ProtocolError("MALFORMED", message, { details });

/** Encodes `values` after the two header bytes. */
export function encodeFields(header: readonly [number, number], schema: Schema, values: Record<string, unknown>): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(header[0], header[1])];
  for (const [name, field] of schema) parts.push(encodeField(name, field, values[name]));
  return concat(parts);
}

function uint(value: unknown, bytes: number, name: string): Uint8Array {
  const max = 1n << BigInt(bytes * 8);
  if (typeof value !== "bigint" && !(typeof value === "number" && Number.isSafeInteger(value))) {
    throw malformed(`${name} must be an integer`);
  }
  let n = BigInt(value);
  if (n < 0n || n >= max) throw malformed(`${name} is out of range`, { value: n.toString() });
  const out = new Uint8Array(bytes);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function asBytes(value: unknown, name: string, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(`${name} must be bytes`);
  if (value.length < min || value.length > max) {
    throw malformed(`${name} must be ${min === max ? min : `${min}..${max}`} bytes`, { length: value.length });
  }
  return value;
}

function asArray(value: unknown, name: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) throw malformed(`${name} must be a list`);
  if (value.length < min || value.length > max) throw malformed(`${name} must hold ${min}..${max} items`);
  return value;
}

function encodeField(name: string, field: Field, value: unknown): Uint8Array {
  switch (field.kind) {
    case "fixed":
      return asBytes(value, name, field.size, field.size);
    case "bytes8":
      return concat([Uint8Array.of(asBytes(value, name, field.min, field.max).length), value as Uint8Array]);
    case "bytes16": {
      const bytes = asBytes(value, name, field.min, field.max);
      return concat([uint(bytes.length, 2, name), bytes]);
    }
    case "u8":
      return uint(value, 1, name);
    case "u32":
      return uint(value, 4, name);
    case "u64":
      return uint(value, 8, name);
    case "list": {
      const items = asArray(value, name, field.min, field.max);
      return concat([uint(items.length, 2, name), ...items.map((v, i) => asBytes(v, `${name}[${i}]`, field.width, field.width))]);
    }
    case "blobs": {
      const items = asArray(value, name, field.min, field.max);
      const encoded = items.map((v, i) => {
        const bytes = asBytes(v, `${name}[${i}]`, 0, field.maxEach);
        return concat([uint(bytes.length, 2, name), bytes]);
      });
      return concat([uint(items.length, 2, name), ...encoded]);
    }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A bounds-checked cursor over message bytes. */
class Reader {
  private offset: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.offset = start;
  }

  take(length: number, name: string): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length) {
      throw malformed(`message ends inside ${name}`, { offset: this.offset, need: length });
    }
    const out = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  uint(bytes: number, name: string): bigint {
    const raw = this.take(bytes, name);
    let n = 0n;
    for (const b of raw) n = (n << 8n) | BigInt(b);
    return n;
  }

  bounded(min: number, max: number, prefix: number, name: string): Uint8Array {
    const length = Number(this.uint(prefix, name));
    if (length < min || length > max) throw malformed(`${name} length out of bounds`, { length, min, max });
    return this.take(length, name);
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw malformed("trailing bytes after the last field", { extra: this.bytes.length - this.offset });
    }
  }
}

/** Decodes the fields of `schema` from `bytes`, starting after the two header bytes. */
export function decodeFields<S extends Schema>(schema: S, bytes: Uint8Array): Decoded<S> {
  const reader = new Reader(bytes, 2);
  const out: Record<string, unknown> = {};
  for (const [name, field] of schema) {
    switch (field.kind) {
      case "fixed":
        out[name] = reader.take(field.size, name);
        break;
      case "bytes8":
        out[name] = reader.bounded(field.min, field.max, 1, name);
        break;
      case "bytes16":
        out[name] = reader.bounded(field.min, field.max, 2, name);
        break;
      case "u8":
        out[name] = Number(reader.uint(1, name));
        break;
      case "u32":
        out[name] = Number(reader.uint(4, name));
        break;
      case "u64":
        out[name] = reader.uint(8, name);
        break;
      case "list": {
        const count = Number(reader.uint(2, name));
        if (count < field.min || count > field.max) throw malformed(`${name} count out of bounds`, { count });
        out[name] = Array.from({ length: count }, (_, i) => reader.take(field.width, `${name}[${i}]`));
        break;
      }
      case "blobs": {
        const count = Number(reader.uint(2, name));
        if (count < field.min || count > field.max) throw malformed(`${name} count out of bounds`, { count });
        out[name] = Array.from({ length: count }, (_, i) => reader.bounded(0, field.maxEach, 2, `${name}[${i}]`));
        break;
      }
    }
  }
  reader.end();
  return out as Decoded<S>;
}
