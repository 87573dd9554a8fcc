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
import type { Page } from "playwright-core";
import { renderReportHtml, reportTitle } from "../../src/report/html.js";
import type { DayReport } from "../../src/report/schema.js";
import { readReport, writeReport } from "../../src/report/write.js";
import { launchChromium, type Chromium } from "./chromium.js";
import { HOSTILE, hostileReport, sampleReport } from "./fixtures/sampleReport.js";

// Plain comparisons of pixel positions (floats): the project's chai plugin reads numeric matchers as integers.

/** Base units from a displayed amount (`+1,234.5`, `−0.25`), parsed without the page's own formatter. */
function unitsOf(text: string, decimals: number): bigint {
  const m = /^([+−-]?)([\d,]+)(?:\.(\d+))?$/.exec(text.trim());
  if (m === null) throw new Error(`not an amount: ${JSON.stringify(text)}`);
  const fraction = (m[3] ?? "").padEnd(decimals, "0");
  expect(fraction.length).to.equal(decimals);
  const value = BigInt((m[2] ?? "").replace(/,/g, "") + fraction);
  return m[1] === "−" || m[1] === "-" ? -value : value;
}

/** The few browser globals the page functions use (the project's TypeScript has no DOM library). */
interface BrowserGlobals {
  getComputedStyle(element: unknown): { backgroundColor: string };
  __pwned?: number;
}

interface Opened {
  page: Page;
  problems: string[];
}

describe("report: the HTML page in Chromium", function () {
  this.timeout(120_000);
  let browser: Chromium | undefined;
  let dir: string;
  let report: DayReport;
  let htmlUrl: string;
  let hostileUrl: string;
  const recorded: Opened[] = [];

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

  /** Opens a page, recording console errors, page errors and every request that is not the file itself. */
  async function open(url: string): Promise<Page> {
    const page = await browser!.context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      if (r.url() !== url) problems.push(`request: ${r.url()}`);
    });
    recorded.push({ page, problems });
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.ok(), "the file loads").to.equal(true);
    return page;
  }

  afterEach(async function () {
    for (const { page, problems } of recorded.splice(0)) {
      await page.close();
      expect(problems, "console errors, page errors or requests").to.deep.equal([]);
    }
  });

  it("should render the title, the header and every section", async function () {
    const page = await open(htmlUrl);
    expect(await page.title()).to.equal(reportTitle(report));
    expect(await page.getAttribute("html", "lang")).to.equal("en");
    expect(await page.locator("h1").innerText()).to.equal("A day of V2G roaming");
    expect(await page.getByTestId("run-seed").innerText()).to.equal(String(report.run.seed));
    expect(await page.getByTestId("run-network").innerText()).to.equal(`${report.run.network.name} (chain id ${report.run.network.chainId})`);
    const sections = ["figures", "timeline", "activity", "load", "money", "dispute", "gas", "escrow", "privacy", "outputs"];
    for (const id of sections) {
      const section = page.getByTestId(`section-${id}`);
      expect(await section.isVisible(), id).to.equal(true);
      expect(await section.locator("h2").count(), id).to.equal(1);
    }
    expect(await page.locator("[data-testid=timeline] li").count()).to.equal(report.timeline.length);
    expect(await page.locator("[data-testid=gas-table] tbody tr").count()).to.equal(report.gas.length);
  });

  it("should draw one bar per load slot inside the chart, the uncontrolled curve, the feeder limit, axes and a legend", async function () {
    const page = await open(htmlUrl);
    const chart = page.getByTestId("load-chart");
    expect(await chart.isVisible()).to.equal(true);
    const box = (await chart.boundingBox())!;
    const bars = chart.locator("rect[data-series=import]");
    const slots = report.load.importKw.length;
    expect(slots).to.equal(96);
    expect(await bars.count()).to.equal(slots);
    const drawn = await bars.evaluateAll((rects) =>
      rects.map((r) => {
        const b = r.getBoundingClientRect();
        return { x: b.x, width: b.width, top: b.y, bottom: b.y + b.height, kw: Number(r.getAttribute("data-kw")) };
      }),
    );
    expect(drawn.map((d) => d.kw)).to.deep.equal(report.load.importKw);
    for (let i = 0; i < slots; i++) {
      const d = drawn[i]!;
      expect(d.width > 0, `bar ${i} has a width`).to.equal(true);
      expect(d.x >= box.x && d.x + d.width <= box.x + box.width, `bar ${i} inside the chart horizontally`).to.equal(true);
      expect(d.top >= box.y && d.bottom <= box.y + box.height, `bar ${i} inside the chart vertically`).to.equal(true);
      if (i > 0) expect(d.x > drawn[i - 1]!.x, `bar ${i} right of bar ${i - 1}`).to.equal(true);
    }
    // a taller bar for more power: the ordering of heights follows the ordering of values
    const peak = report.load.importKw.indexOf(Math.max(...report.load.importKw));
    const low = report.load.importKw.indexOf(Math.min(...report.load.importKw));
    expect(drawn[peak]!.bottom - drawn[peak]!.top > drawn[low]!.bottom - drawn[low]!.top, "the peak bar is taller").to.equal(true);

    expect(await chart.locator("rect[data-series=export]").count()).to.equal(slots);
    expect(await page.getByTestId("uncontrolled-line").evaluate((l) => (l as unknown as { points: { numberOfItems: number } }).points.numberOfItems)).to.equal(slots);
    const limit = page.getByTestId("feeder-limit");
    expect(await limit.isVisible()).to.equal(true);
    const limitBox = (await limit.boundingBox())!;
    const barsSpan = drawn[slots - 1]!.x + drawn[slots - 1]!.width - drawn[0]!.x;
    expect(Math.abs(limitBox.width - barsSpan) < 0.05 * box.width, "the feeder limit spans the slots").to.equal(true);
    const limitLength = await limit.evaluate((p) => (p as unknown as { getTotalLength(): number }).getTotalLength());
    expect(limitLength >= limitBox.width, "the feeder limit is drawn as a line across the day").to.equal(true);

    const hours = await page.locator("[data-testid=axis-hours] text").allTextContents();
    expect(hours).to.include.members(["00:00", "12:00", "24:00", "time of day (UTC)"]);
    expect(await page.locator("[data-testid=axis-kw] text").allTextContents()).to.include("kW");
    expect(await page.locator("[data-testid=load-legend] text").allTextContents()).to.deep.equal([
      "scheduled import",
      "import over the limit",
      "export (V2G discharge)",
      "uncontrolled charging",
      "feeder limit",
    ]);
    expect(await chart.locator("title").first().textContent()).to.match(/^Aggregate load against the feeder limit/);
  });

  it("should show the key figures and each supplier's net settlement of report.json", async function () {
    const page = await open(htmlUrl);
    const value = (id: string) => page.locator(`[data-testid=${id}] .value`).innerText();
    expect(await value("fig-sessions")).to.equal(String(report.sessions.total));
    expect(await value("fig-authentications")).to.equal(String(report.authentication.accepted));
    expect(await page.locator("[data-testid=fig-authentications] .detail").innerText()).to.include(`of ${report.authentication.attempts} attempts`);
    expect(await value("fig-evidence")).to.equal(String(report.evidence.anchoredRoots));
    const { decimals, symbol } = report.settlement.token;
    const moved = report.settlement.net.reduce((s, n) => (BigInt(n.net) > 0n ? s + BigInt(n.net) : s), 0n);
    expect(unitsOf((await value("fig-netted")).replace(` ${symbol}`, ""), decimals)).to.equal(moved);

    const rows = page.locator("[data-testid=net-table] tbody tr");
    expect(await rows.count()).to.equal(report.settlement.net.length);
    for (const n of report.settlement.net) {
      const cells = await page.locator(`[data-testid=net-table] tr[data-supplier="${n.supplier}"] td`).allInnerTexts();
      const [received, paid, net, withdrawn] = cells;
      expect(unitsOf(received!, decimals), `${n.supplier} received`).to.equal(BigInt(n.received));
      expect(unitsOf(paid!, decimals), `${n.supplier} paid`).to.equal(BigInt(n.paid));
      expect(unitsOf(net!, decimals), `${n.supplier} net`).to.equal(BigInt(n.net));
      expect(unitsOf(withdrawn!, decimals), `${n.supplier} withdrawn`).to.equal(BigInt(n.withdrawn));
      const name = report.parties.suppliers.find((s) => s.id === n.supplier)!.name;
      expect(await page.locator(`[data-testid=net-table] tr[data-supplier="${n.supplier}"] th`).innerText()).to.equal(name);
    }
    // the flow diagram: one visible arrow per paying pair, carrying what was paid
    const flows = page.locator("[data-testid=money-flow] g.flow");
    expect(await flows.count()).to.equal(report.settlement.claims.length);
    for (const c of report.settlement.claims) {
      const arrow = page.locator(`[data-testid=money-flow] g.flow[data-from="${c.home}"][data-to="${c.host}"]`);
      expect(await arrow.locator("path").isVisible()).to.equal(true);
      expect(unitsOf((await arrow.locator("text").textContent())!, decimals)).to.equal(BigInt(c.paid));
    }
    for (const c of report.settlement.claims) {
      const cells = await page.locator(`[data-testid=claims-table] tr[data-claim="${c.claimId}"] td`).allInnerTexts();
      expect(Number(cells[2])).to.equal(c.cdrs);
      expect(unitsOf(cells[3]!, decimals)).to.equal(BigInt(c.amount));
      expect(unitsOf(cells[4]!, decimals)).to.equal(BigInt(c.paid));
      expect(cells[5]).to.equal(c.status);
    }
  });

  it("should show the dispute's outcome and each evidence item's verdict, in words and in distinct colours", async function () {
    const page = await open(htmlUrl);
    const outcome = page.getByTestId("dispute-outcome");
    expect(await outcome.getAttribute("data-outcome")).to.equal(report.dispute.outcome);
    expect(await outcome.locator(".big").innerText()).to.equal(`Dispute ${report.dispute.outcome}`);
    expect(unitsOf(await page.getByTestId("dispute-paid").innerText(), report.settlement.token.decimals)).to.equal(BigInt(report.dispute.amountPaid));
    expect(await page.getByTestId("dispute-command").innerText()).to.equal(report.dispute.command);

    const items = page.getByTestId("evidence-item");
    expect(await items.count()).to.equal(report.dispute.evidence.length);
    const colours = new Map<string, string>();
    for (const [i, e] of report.dispute.evidence.entries()) {
      const item = items.nth(i);
      expect(await item.getAttribute("data-digest")).to.equal(e.digest);
      const badge = item.getByTestId("verdict");
      expect((await badge.innerText()).trim().split(/\s+/).pop(), `item ${i}`).to.equal(e.verdict);
      const colour = await badge.evaluate((b) => (globalThis as unknown as BrowserGlobals).getComputedStyle(b).backgroundColor);
      expect(colours.get(e.verdict) ?? colour, `one colour per verdict`).to.equal(colour);
      colours.set(e.verdict, colour);
      if (e.reason === "") expect(await item.getByTestId("reason").count()).to.equal(0);
      else expect(await item.getByTestId("reason").innerText()).to.equal(e.reason);
      expect(await item.locator("time").getAttribute("datetime")).to.equal(e.at);
    }
    expect(new Set(colours.values()).size, "distinct colours").to.equal(colours.size);
    expect(colours.size).to.equal(4);
  });

  it("should refuse to run a script slipped into the page (its Content-Security-Policy), and the test see the error", async function () {
    const tampered = join(dir, "tampered.html");
    const page = renderReportHtml(sampleReport()).replace("</main>", "</main><script>globalThis.__pwned = 9</script>");
    writeFileSync(tampered, page);
    const opened = await open(pathToFileURL(tampered).href);
    expect(await opened.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned)).to.equal(undefined);
    const record = recorded.at(-1)!;
    expect(record.problems).to.have.length(1);
    expect(record.problems[0]).to.match(/^console: .*Content Security Policy/);
    record.problems.length = 0; // seen and expected
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
