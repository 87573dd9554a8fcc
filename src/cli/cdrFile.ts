/**
 * The CDR import file of `v2g cdr import`: JSON Lines, one CDR per line (blank lines and lines
 * starting with `#` are skipped), or one JSON array of them. A CDR is
 *
 *   {"sessionId": "0x…32 bytes", "seq": "7", "issuedAt": "1767225600", "expiresAt": "1769817600",
 *    "cdr": {"cdrId": "0x…", "homeSupplier": "0xChecksummed…", "start": "…", "end": "…",
 *            "energyWh": "…", "amount": "…", "readingsRoot": "0x…"}}
 *
 * with 64-bit and wider integers as decimal strings, as in the bundle files; `expiresAt` is
 * optional (default: 30 days after `issuedAt`); `seq` is the CDR's number in the host's sequence of
 * messages of the session (0 for its first, src/charging/flowEvidence.ts). The `cdr` fields are the ChargeDetailRecord body of
 * the evidence type table without `hostSupplier`, which is the importing supplier.
 * Every line is checked before anything is stored: an error names its line and field.
 */
import { z } from "zod";
import { bytes32Schema, structSchema, typeSchema } from "../evidence/codec.js";
import type { ChargeDetailRecordBody } from "../evidence/messages.js";
import { BODY_FIELDS } from "../evidence/types.js";
import { UsageError } from "./args.js";

export interface CdrLine {
  /** 1-based line of the file (for an array: of the line its element starts on). */
  line: number;
  sessionId: string;
  seq: bigint;
  issuedAt: bigint;
  expiresAt: bigint;
  cdr: Omit<ChargeDetailRecordBody, "hostSupplier">;
}

/** Thirty days, the default validity of a CDR (as the day's host supplier issues them). */
const DEFAULT_VALIDITY = 30n * 86_400n;

const cdrLineSchema = z
  .object({
    sessionId: bytes32Schema,
    seq: typeSchema("uint64"),
    issuedAt: typeSchema("uint64"),
    expiresAt: typeSchema("uint64").optional(),
    cdr: structSchema(BODY_FIELDS.ChargeDetailRecord.filter((f) => f.name !== "hostSupplier")),
  })
  .strict()
  .superRefine((v, ctx) => {
    const c = v.cdr as { start: bigint; end: bigint; amount: bigint };
    if (c.end <= c.start) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["cdr", "end"], message: "must be after start" });
    if (c.amount === 0n) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["cdr", "amount"], message: "a CDR must charge something" });
    if (v.expiresAt !== undefined && v.expiresAt <= v.issuedAt) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["expiresAt"], message: "must be after issuedAt" });
    }
  });

function fail(file: string, line: number, field: string | null, message: string): never {
  throw new UsageError(`${file} line ${line}${field ? `, field ${field}` : ""}: ${message}`, { file, line, field });
}

function checked(file: string, line: number, value: unknown): CdrLine {
  const r = cdrLineSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    fail(file, line, issue.path.join(".") || null, issue.message);
  }
  const v = r.data as Omit<CdrLine, "line" | "expiresAt"> & { expiresAt?: bigint };
  return { ...v, line, expiresAt: v.expiresAt ?? v.issuedAt + DEFAULT_VALIDITY };
}

/** Parses and checks the whole file; `UsageError` with line and field at the first problem. */
export function parseCdrFile(text: string, file: string): CdrLine[] {
  const trimmed = text.trimStart();
  let out: CdrLine[];
  if (trimmed.startsWith("[")) {
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch (cause) {
      const at = /position (\d+)/.exec((cause as Error).message);
      const line = at ? text.slice(0, Number(at[1])).split("\n").length : 1;
      fail(file, line, null, `not JSON: ${(cause as Error).message}`);
    }
    const starts = elementLines(text);
    out = (values as unknown[]).map((v, i) => checked(file, starts[i] ?? 1, v));
  } else {
    out = [];
    text.split("\n").forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (cause) {
        fail(file, i + 1, null, `not JSON: ${(cause as Error).message}`);
      }
      out.push(checked(file, i + 1, value));
    });
  }
  if (out.length === 0) throw new UsageError(`${file} holds no CDR`, { file });
  const seen = new Map<string, number>();
  for (const c of out) {
    const first = seen.get(c.cdr.cdrId);
    if (first !== undefined) fail(file, c.line, "cdr.cdrId", `duplicate of line ${first}`);
    seen.set(c.cdr.cdrId, c.line);
  }
  return out;
}

/** The line each top-level element of a JSON array starts on (depth-1 values outside strings). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") line++;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (/\s/.test(ch)) continue;
    if (depth === 1 && expectValue && ch !== "]") {
      lines.push(line);
      expectValue = false;
    }
    if (ch === '"') inString = true;
    else if (ch === "[" || ch === "{") {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (ch === "]" || ch === "}") depth--;
    else if (ch === "," && depth === 1) expectValue = true;
  }
  return lines;
}
