/**
 * A real day's report in the browser: the smallest day (2 suppliers, 4 aggregators, 8 vehicles)
 * runs on the embedded network, its report is written with writeReport, and the page rendered
 * from it passes the same checks as the sample's (sections, load chart, money, dispute), with no
 * console error and no request. Chromium and the node are stopped in every case.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { serveEmbeddedNetwork } from "../../src/chain/localNode.js";
import type { DayReport } from "../../src/report/schema.js";
import { readReport, writeReport } from "../../src/report/write.js";
import { dayChainOf } from "../../src/scenario/day/chain.js";
import { DEFAULT_DAY, MIN_SCALE } from "../../src/scenario/day/options.js";
import { runDay } from "../../src/scenario/day/runDay.js";
import { settleDay } from "../../src/scenario/day/settlementStep.js";
import { launchChromium, type Chromium } from "./chromium.js";
import { checkDispute, checkHomeBill, checkLoadChart, checkMoney, checkPayments, checkSections, RecordedPages } from "./pageChecks.js";

describe("report: a real day's page in Chromium", function () {
  this.timeout(900_000);
  let dir: string;
  let browser: Chromium | undefined;
  let report: DayReport;
  let url: string;
  const pages = new RecordedPages(() => browser!.context);

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "report-day-"));
    const node = await serveEmbeddedNetwork();
    const chain = dayChainOf(node, "embedded");
    try {
      const day = await runDay({ ...DEFAULT_DAY, ...MIN_SCALE, outDir: join(dir, "out") }, chain, settleDay);
      const written = writeReport(join(dir, "out"), day);
      report = readReport(written.json);
      url = pathToFileURL(written.html).href;
    } finally {
      chain.close?.();
      await node.stop();
    }
    browser = await launchChromium();
  });

  after(async function () {
    try {
      await pages.closeAll();
      await browser?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("should show the day's figures, load, money, dispute, payments and home bill as report.json says", async function () {
    expect(report.run.scale).to.deep.equal(MIN_SCALE);
    const page = await pages.open(url);
    await checkSections(page, report);
    await checkLoadChart(page, report);
    await checkMoney(page, report);
    await checkDispute(page, report);
    await checkPayments(page, report);
    await checkHomeBill(page, report);
    expect(report.dispute.evidence.length).to.be.greaterThan(0);
    await pages.closeAll();
  });
});
