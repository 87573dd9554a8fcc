/**
 * Canonical JSON, after the JSON Canonicalization Scheme (RFC 8785) for the values a claim package
 * holds: no whitespace; object members sorted by their names compared as UTF-16 code units (§3.2.3);
 * strings and numbers serialized as ECMAScript's JSON.stringify does (§3.2.2). Two JSON documents
 * with the same value have the same canonical form, however they were spaced or ordered, so a hash of
 * it survives any transport that keeps the value.
 *
 * Only JSON values are accepted: null, booleans, finite numbers, strings, arrays and plain objects,
 * nested at most `MAX_DEPTH` deep (untrusted input must fail cleanly, not exhaust the stack).
 * Anything else throws a TypeError, never a partial result.
 */

/** Deepest nesting of arrays and objects accepted. */
export const MAX_DEPTH = 32;

/** The canonical serialization of `value`; throws a TypeError for what is not a JSON value. */
export function canonicalJson(value: unknown): string {
  return serialize(value, 0);
}

function serialize(value: unknown, depth: number): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // §3.2.2.3: the shortest round-trip form of ES Number::toString; -0 becomes 0; no NaN/Infinity.
      if (!Number.isFinite(value)) throw new TypeError(`not a JSON number: ${value}`);
      return JSON.stringify(value);
    case "string":
      // §3.2.2.2: JSON.stringify escapes exactly what the scheme requires (and lone surrogates).
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw new TypeError(`not a JSON value: ${typeof value}`);
  }
  if (depth >= MAX_DEPTH) throw new TypeError(`JSON nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) return `[${value.map((v) => serialize(v, depth + 1)).join(",")}]`;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new TypeError("not a plain JSON object");
  const record = value as Record<string, unknown>;
  // §3.2.3: members sorted by name as arrays of UTF-16 code units (the default string order).
  const members = Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${serialize(record[k], depth + 1)}`);
  return `{${members.join(",")}}`;
}
