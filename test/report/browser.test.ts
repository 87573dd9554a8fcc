/**
 * The HTML report in a real browser (Debian's Chromium through playwright-core): the page renders,
 * shows the figures of its report.json, draws the load chart, escapes hostile party text, loads
 * nothing from anywhere, and logs no console or page error. Without /usr/bin/chromium it fails.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderReportHtml, reportTitle } from "../../src/report/html.js";
import type { DayReport } from "../../src/report/schema.js";
import { readReport, writeReport } from "../../src/report/write.js";
import { launchChromium, type Chromium } from "./chromium.js";
import { checkDispute, checkHomeBill, checkLoadChart, checkMoney, checkPayments, checkSections, RecordedPages, type BrowserGlobals } from "./pageChecks.js";
import { HOSTILE, hostileReport, sampleReport } from "./fixtures/sampleReport.js";

describe("report: the HTML page in Chromium", function () {
  this.timeout(120_000);
  let browser: Chromium | undefined;
  let dir: string;
  let report: DayReport;
  let htmlUrl: string;
  let hostileUrl: string;
  const pages = new RecordedPages(() => browser!.context);
  const open = (url: string) => pages.open(url);

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "report-browser-"));
    const written = writeReport(join(dir, "day"), sampleReport());
    report = readReport(written.json); // the figures are compared with the file, as a user would
    htmlUrl = pathToFileURL(written.html).href;
    hostileUrl = pathToFileURL(writeReport(join(dir, "hostile"), hostileReport()).html).href;
    browser = await launchChromium();
  });

  after(async function () {
    try {
      await browser?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  afterEach(async function () {
    await pages.closeAll();
  });

  it("should render the title, the header and every section", async function () {
    await checkSections(await open(htmlUrl), report);
  });

  it("should draw one bar per load slot inside the chart, the uncontrolled curve, the feeder limit, axes and a legend", async function () {
    await checkLoadChart(await open(htmlUrl), report);
    expect(report.load.importKw).to.have.length(96);
  });

  it("should show the key figures and each supplier's net settlement of report.json", async function () {
    await checkMoney(await open(htmlUrl), report);
  });

  it("should show the payment flows, the bills per supplier and, unfolded, every user's bill of report.json", async function () {
    await checkPayments(await open(htmlUrl), report);
    expect(report.payments.bills.length).to.be.greaterThan(0);
  });

  it("should show the host's home bill of report.json: meter total, roaming energy excluded, billed energy and amount", async function () {
    await checkHomeBill(await open(htmlUrl), report);
  });

  it("should show the dispute's outcome and each evidence item's verdict, in words and in distinct colours", async function () {
    await checkDispute(await open(htmlUrl), report);
    expect(new Set(report.dispute.evidence.map((e) => e.verdict)).size).to.equal(4);
  });

  it("should refuse to run a script slipped into the page (its Content-Security-Policy), and the test see the error", async function () {
    const tampered = join(dir, "tampered.html");
    const page = renderReportHtml(sampleReport()).replace("</main>", "</main><script>globalThis.__pwned = 9</script>");
    writeFileSync(tampered, page);
    const opened = await open(pathToFileURL(tampered).href);
    expect(await opened.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned)).to.equal(undefined);
    const problems = pages.problemsOfLast();
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^console: .*Content Security Policy/);
    problems.length = 0; // seen and expected
  });

  it("should show hostile party text literally and run none of it", async function () {
    const page = await open(hostileUrl);
    const text = await page.locator("body").textContent();
    for (const hostile of HOSTILE) expect(text, hostile).to.include(hostile);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned)).to.equal(undefined);
    await page.locator("body").hover(); // an injected onmouseover would fire now
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned)).to.equal(undefined);
    expect(await page.locator("script, img, [onerror], [onload], [onmouseover]").count()).to.equal(0);
    expect(await page.title()).to.equal(reportTitle(hostileReport()));
  });
});
