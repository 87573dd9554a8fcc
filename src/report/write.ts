/**
 * Writing and reading the report's files. `writeReport` validates the report against its schema
 * before anything touches the disk, renders the page, writes `report.json` and `report.html` to
 * temporary files in the target folder (flushed to disk) and renames each over its final name, so a
 * reader sees the old file or the new one, never half of one; an invalid report writes nothing.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ZodError } from "zod";
import { ReportError } from "./errors.js";
import { renderReportHtml } from "./html.js";
import { reportSchema, type DayReport } from "./schema.js";

export const REPORT_JSON = "report.json";
export const REPORT_HTML = "report.html";

export interface WrittenReport {
  /** Path of the JSON report. */
  json: string;
  /** Path of the HTML page. */
  html: string;
}

function invalid(error: ZodError, where: string): ReportError {
  const issues = error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const first = issues[0];
  return new ReportError("INVALID_REPORT", `${where}: ${first?.path || "(root)"}: ${first?.message ?? "invalid"}`, { issues });
}

/** The report checked against its schema (a typed error listing every issue otherwise). */
export function parseReport(value: unknown, where = "invalid report"): DayReport {
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error, where);
  return parsed.data;
}

/** Removes a temporary file if it exists; a folder that is not one (the very failure being reported) is left alone. */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // the temporary file could not have been created where this fails
  }
}

/** Validates the report and writes `<dir>/report.json` and `<dir>/report.html`. */
export function writeReport(dir: string, report: unknown): WrittenReport {
  const checked = parseReport(report);
  const nonce = randomBytes(6).toString("hex");
  // The page first, the JSON last: a report.json that is new always has its page beside it.
  const files = [
    { name: REPORT_HTML, text: renderReportHtml(checked) },
    { name: REPORT_JSON, text: `${JSON.stringify(checked, null, 2)}\n` },
  ].map((f) => ({ ...f, path: join(dir, f.name), tmp: join(dir, `.${f.name}.${nonce}.tmp`) }));
  try {
    mkdirSync(dir, { recursive: true });
    for (const f of files) writeFileSync(f.tmp, f.text, { flush: true });
    for (const f of files) renameSync(f.tmp, f.path);
  } catch (cause) {
    for (const f of files) removeQuietly(f.tmp);
    throw new ReportError("WRITE", `cannot write the report to ${dir}`, { dir }, cause);
  }
  return { json: join(dir, REPORT_JSON), html: join(dir, REPORT_HTML) };
}

/** Reads and validates a `report.json`. */
export function readReport(file: string): DayReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new ReportError("NOT_FOUND", `no report at ${file}`, { file }, cause);
    throw new ReportError("READ", `cannot read the report ${file}`, { file }, cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ReportError("INVALID_REPORT", `${file} is not JSON`, { file, issues: [] }, cause);
  }
  return parseReport(value, file);
}
