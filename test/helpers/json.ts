/** Parsed JSON as a tampering test reads and rewrites it: any field at any depth. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a tamperer reaches arbitrary paths of untyped JSON
export type Json = Record<string, any>;

/** The value at `path` inside `json`. */
export function at(json: Json, path: readonly (string | number)[]): Json[string] {
  return path.reduce<Json>((o, k) => o[k], json);
}
