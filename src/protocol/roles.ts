/** Roles of a battery vehicle (the first paper's role awareness) and their wire codes. */
import { ProtocolError } from "./errors.js";

/** load-BV (energy demand), storage-BV (energy storage), S3P-BV (energy supply). */
export type Role = "load" | "storage" | "s3p";

export const ROLE_CODES: Readonly<Record<Role, number>> = { load: 1, storage: 2, s3p: 3 };

/** The role of a wire code; `MALFORMED` for an unknown one. */
export function roleOf(code: number): Role {
  const role = (Object.keys(ROLE_CODES) as Role[]).find((r) => ROLE_CODES[r] === code);
  if (role === undefined) throw new ProtocolError("MALFORMED", `unknown role ${code}`);
  return role;
}
