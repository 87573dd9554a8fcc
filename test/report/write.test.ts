import { expect } from "chai";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReportError } from "../../src/report/errors.js";
import { renderReportHtml } from "../../src/report/html.js";
import { readReport, writeReport } from "../../src/report/write.js";
import { sampleReport } from "./fixtures/sampleReport.js";

function expectReportError(fn: () => unknown, code: ReportError["code"]): ReportError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ReportError);
    expect((error as ReportError).code).to.equal(code);
    return error as ReportError;
  }
  expect.fail(`expected ReportError ${code}`);
}

describe("report: files", function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "report-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("should write report.json and report.html that read back as the report", function () {
    const report = sampleReport();
    const out = join(dir, "out");
    const written = writeReport(out, report);
    expect(written).to.deep.equal({ json: join(out, "report.json"), html: join(out, "report.html") });
    expect(readReport(written.json)).to.deep.equal(report);
    expect(readFileSync(written.html, "utf8")).to.equal(renderReportHtml(report));
    expect(readdirSync(out).sort()).to.deep.equal(["report.html", "report.json"]);
  });

  it("should refuse an invalid report with every issue and write nothing, keeping the previous report", function () {
    const good = sampleReport();
    writeReport(dir, good);
    const before = readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]);

    const bad = sampleReport() as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- mangled on purpose
    bad.settlement.net[0].net = "1.5"; // an amount that is not a decimal integer string
    bad.load.importKw.pop(); // 95 import slots against 96 feeder-limit slots
    bad.dispute.outcome = "maybe";
    const error = expectReportError(() => writeReport(dir, bad), "INVALID_REPORT");
    const paths = (error.details.issues as { path: string }[]).map((i) => i.path);
    expect(paths).to.include.members(["settlement.net.0.net", "load", "dispute.outcome"]);
    expect(error.message).to.match(/^invalid report: /);
    expect(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")])).to.deep.equal(before);

    expectReportError(() => writeReport(join(dir, "never"), { ...good, extra: 1 }), "INVALID_REPORT");
    expect(readdirSync(dir)).not.to.include("never");
  });

  it("should give a typed error and leave no temporary file when the page cannot be put in place", function () {
    writeReport(dir, sampleReport());
    const oldJson = readFileSync(join(dir, "report.json"), "utf8");
    rmSync(join(dir, "report.html"));
    mkdirSync(join(dir, "report.html")); // a folder where the page should go: the rename fails
    const newer = sampleReport();
    newer.run.seed = 7;
    const error = expectReportError(() => writeReport(dir, newer), "WRITE");
    expect(error.details.dir).to.equal(dir);
    expect(readdirSync(dir).sort()).to.deep.equal(["report.html", "report.json"]);
    expect(readFileSync(join(dir, "report.json"), "utf8")).to.equal(oldJson); // the pair stays the old one
  });

  it("should give a typed error when the target folder is a file", function () {
    const file = join(dir, "file");
    writeFileSync(file, "x");
    expectReportError(() => writeReport(file, sampleReport()), "WRITE");
    expect(readFileSync(file, "utf8")).to.equal("x");
  });

  it("should tell a missing report, a file that is not JSON and one that breaks the schema apart", function () {
    expectReportError(() => readReport(join(dir, "none.json")), "NOT_FOUND");
    writeFileSync(join(dir, "broken.json"), "{ not json");
    expectReportError(() => readReport(join(dir, "broken.json")), "INVALID_REPORT");
    writeFileSync(join(dir, "old.json"), JSON.stringify({ ...sampleReport(), schemaVersion: 1 }));
    const error = expectReportError(() => readReport(join(dir, "old.json")), "INVALID_REPORT");
    expect(error.message).to.equal(`${join(dir, "old.json")}: schemaVersion: Invalid literal value, expected 4`);
    expectReportError(() => readReport(dir), "READ"); // a folder
  });
});
