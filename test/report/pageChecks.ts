/**
 * What the browser test checks on a rendered report page, against the report it was rendered
 * from: shared by the test of the sample report and the test of a real day's report.
 */
import { expect } from "chai";
import type { BrowserContext, Page } from "playwright-core";
import { reportTitle } from "../../src/report/html.js";
import type { DayReport } from "../../src/report/schema.js";

// Plain comparisons of pixel positions (floats): the project's chai plugin reads numeric matchers as integers.

/** Base units from a displayed amount (`+1,234.5`, `−0.25`), parsed without the page's own formatter. */
export function unitsOf(text: string, decimals: number): bigint {
  const m = /^([+−-]?)([\d,]+)(?:\.(\d+))?$/.exec(text.trim());
  if (m === null) throw new Error(`not an amount: ${JSON.stringify(text)}`);
  const fraction = (m[3] ?? "").padEnd(decimals, "0");
  expect(fraction.length).to.equal(decimals);
  const value = BigInt((m[2] ?? "").replace(/,/g, "") + fraction);
  return m[1] === "−" || m[1] === "-" ? -value : value;
}

/** The few browser globals the page functions use (the project's TypeScript has no DOM library). */
export interface BrowserGlobals {
  getComputedStyle(element: unknown): { backgroundColor: string };
  __pwned?: number;
}

/**
 * The pages a test opened, each with what went wrong on it: console errors, page errors, and any
 * request other than the file itself (the page must load nothing). `closeAll` fails on any of them.
 */
export class RecordedPages {
  private readonly opened: { page: Page; problems: string[] }[] = [];

  constructor(private readonly context: () => BrowserContext) {}

  async open(url: string): Promise<Page> {
    const page = await this.context().newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      if (r.url() !== url) problems.push(`request: ${r.url()}`);
    });
    this.opened.push({ page, problems });
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.ok(), "the file loads").to.equal(true);
    return page;
  }

  /** The problems of the last page opened (a test that expects one empties the list). */
  problemsOfLast(): string[] {
    return this.opened.at(-1)?.problems ?? [];
  }

  async closeAll(): Promise<void> {
    const problems = [];
    for (const { page, problems: p } of this.opened.splice(0)) {
      await page.close();
      problems.push(...p);
    }
    expect(problems, "console errors, page errors or requests").to.deep.equal([]);
  }
}

/** The title, the header and every section. */
export async function checkSections(page: Page, report: DayReport): Promise<void> {
  expect(await page.title()).to.equal(reportTitle(report));
  expect(await page.getAttribute("html", "lang")).to.equal("en");
  expect(await page.locator("h1").innerText()).to.equal("A day of V2G roaming");
  expect(await page.getByTestId("run-seed").innerText()).to.equal(String(report.run.seed));
  expect(await page.getByTestId("run-network").innerText()).to.equal(`${report.run.network.name} (chain id ${report.run.network.chainId})`);
  const sections = ["figures", "timeline", "activity", "load", "money", "payments", "home", "dispute", "gas", "escrow", "privacy", "outputs"];
  for (const id of sections) {
    const section = page.getByTestId(`section-${id}`);
    expect(await section.isVisible(), id).to.equal(true);
    expect(await section.locator("h2").count(), id).to.equal(1);
  }
  expect(await page.locator("[data-testid=timeline] li").count()).to.equal(report.timeline.length);
  expect(await page.locator("[data-testid=gas-table] tbody tr").count()).to.equal(report.gas.length);
}

/** The load chart: one bar per slot inside the chart, the uncontrolled curve, the feeder limit, axes, legend. */
export async function checkLoadChart(page: Page, report: DayReport): Promise<void> {
  const chart = page.getByTestId("load-chart");
  expect(await chart.isVisible()).to.equal(true);
  const box = (await chart.boundingBox())!;
  const bars = chart.locator("rect[data-series=import]");
  const slots = report.load.importKw.length;
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
  if (peak !== low && report.load.importKw[peak]! > report.load.importKw[low]!) {
    expect(drawn[peak]!.bottom - drawn[peak]!.top > drawn[low]!.bottom - drawn[low]!.top, "the peak bar is taller").to.equal(true);
  }

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
}

/** The key figures, each supplier's net settlement, the flow diagram and the claims, against report.json. */
export async function checkMoney(page: Page, report: DayReport): Promise<void> {
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
    const name = report.parties.suppliers.find((s) => s.id === n.supplier)?.name ?? n.supplier; // an id, or already a name
    expect(await page.locator(`[data-testid=net-table] tr[data-supplier="${n.supplier}"] th`).innerText()).to.equal(name);
  }
  // the flow diagram: one visible arrow per paying pair, carrying what was paid
  const paidBetween = new Map<string, bigint>();
  for (const c of report.settlement.claims) {
    const key = JSON.stringify([c.home, c.host]);
    paidBetween.set(key, (paidBetween.get(key) ?? 0n) + BigInt(c.paid));
  }
  const paying = [...paidBetween].filter(([, paid]) => paid > 0n);
  expect(await page.locator("[data-testid=money-flow] g.flow").count()).to.equal(paying.length);
  for (const [key, paid] of paying) {
    const [home, host] = JSON.parse(key) as [string, string];
    const arrow = page.locator(`[data-testid=money-flow] g.flow[data-from="${home}"][data-to="${host}"]`);
    expect(await arrow.locator("path").isVisible()).to.equal(true);
    expect(unitsOf((await arrow.locator("text").textContent())!, decimals)).to.equal(paid);
  }
  for (const c of report.settlement.claims) {
    const cells = await page.locator(`[data-testid=claims-table] tr[data-claim="${c.claimId}"] td`).allInnerTexts();
    expect(Number(cells[2])).to.equal(c.cdrs);
    expect(unitsOf(cells[3]!, decimals)).to.equal(BigInt(c.amount));
    expect(unitsOf(cells[4]!, decimals)).to.equal(BigInt(c.paid));
    expect(cells[5]).to.equal(c.status);
  }
}

/** The payment flows, the bills per supplier and (opened) every user's bill, against report.json. */
export async function checkPayments(page: Page, report: DayReport): Promise<void> {
  const { decimals } = report.settlement.token;
  const p = report.payments;
  expect(await page.locator("[data-testid=payment-flows] tbody tr").count()).to.equal(3);
  for (const f of p.flows) {
    const cells = await page.locator(`[data-testid=payment-flows] tr[data-flow="${f.flow}"] td`).allInnerTexts();
    expect(cells[0]).to.equal(`${f.payer} → ${f.payee}`);
    expect(Number(cells[1])).to.equal(f.count);
    expect(unitsOf(cells[2]!, decimals), f.flow).to.equal(BigInt(f.total));
  }
  const money = (cells: string[], from: number) => cells.slice(from, from + 4).map((c) => unitsOf(c, decimals));
  expect(await page.locator("[data-testid=supplier-bills] tbody tr").count()).to.equal(p.suppliers.length);
  for (const s of p.suppliers) {
    const cells = await page.locator(`[data-testid=supplier-bills] tr[data-supplier="${s.supplier}"] td`).allInnerTexts();
    expect(Number(cells[0])).to.equal(s.customers);
    expect(money(cells, 1), s.supplier).to.deep.equal([s.energy, s.dischargeCredit, s.ancillaryCredit, s.net].map(BigInt));
  }
  const table = page.getByTestId("bills-table");
  expect(await table.isVisible(), "the users' bills start folded").to.equal(false);
  await page.locator("[data-testid=bills] summary").click();
  expect(await table.isVisible()).to.equal(true);
  expect(await table.locator("tbody tr").count()).to.equal(p.bills.length);
  for (const [i, b] of p.bills.entries()) {
    const row = table.locator("tbody tr").nth(i);
    expect(await row.locator("th").innerText()).to.equal(b.user);
    const cells = await row.locator("td").allInnerTexts();
    expect(money(cells, 1), b.user).to.deep.equal([b.energy, b.dischargeCredit, b.ancillaryCredit, b.net].map(BigInt));
    expect(Number(cells[5])).to.equal(b.payments);
  }
}

/** The host's home bill: meter total, roaming energy excluded and billed energy to the Wh, and the amount, against report.json. */
export async function checkHomeBill(page: Page, report: DayReport): Promise<void> {
  const h = report.homeBill;
  const table = page.getByTestId("home-bill");
  expect(await table.locator("caption").innerText()).to.contain(h.host);
  const wh = async (testid: string) => {
    const cell = page.locator(`[data-testid=${testid}] td`).first();
    const shown = Math.round(Number(await cell.innerText()) * 1000);
    expect(Number(await cell.getAttribute("data-wh")), testid).to.equal(shown);
    return shown;
  };
  expect([await wh("home-meter-total"), await wh("home-roaming"), await wh("home-billed")]).to.deep.equal([h.meterTotalWh, h.roamingWh, h.billedWh]);
  expect(await page.locator("[data-testid=home-roaming] th").innerText()).to.contain(h.guest);
  const amount = page.getByTestId("home-amount");
  expect(unitsOf(await amount.locator("strong").innerText().then((t) => t.split(" ")[0]!), report.settlement.token.decimals)).to.equal(BigInt(h.amount));
}

/** The dispute's outcome and each evidence item's verdict, in words and in one distinct colour per verdict. */
export async function checkDispute(page: Page, report: DayReport): Promise<void> {
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
}
