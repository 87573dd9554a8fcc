import { expect } from "chai";
import { clockTime, describeAncillary, formatAmount, formatDuration, formatSignedAmount, groupDigits } from "../../src/report/format.js";
import { renderReportHtml, reportTitle } from "../../src/report/html.js";
import { niceStep, slotsOverLimit } from "../../src/report/loadChart.js";
import { escapeHtml, html, raw } from "../../src/report/markup.js";
import { nettingTotals } from "../../src/report/money.js";
import { flowsBetween } from "../../src/report/moneyFlow.js";
import { HOSTILE, hostileReport, sampleReport } from "./fixtures/sampleReport.js";

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

describe("report: HTML rendering", function () {
  describe("markup", function () {
    it("should escape the five characters that end text or a quoted attribute", function () {
      expect(escapeHtml(`<a href="x" title='y'>&</a>`)).to.equal("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    });

    it("should escape interpolated strings, keep nested markup, join lists and drop null, undefined and false", function () {
      const inner = html`<b>${"<i>"}</b>`;
      expect(html`<p title="${'"'}">${inner}${["<", raw("<br>"), 3]}${null}${undefined}${false}</p>`.value).to.equal(
        '<p title="&quot;"><b>&lt;i&gt;</b>&lt;<br>3</p>',
      );
    });

    it("should refuse a non-finite number rather than print NaN into the page", function () {
      expect(() => html`${Number.NaN}`).to.throw(RangeError, "not a finite number");
      expect(() => html`${Infinity}`).to.throw(RangeError);
    });
  });

  describe("format", function () {
    it("should write token amounts exactly from decimal strings", function () {
      expect(formatAmount("0", 6)).to.equal("0.00");
      expect(formatAmount("1250000", 6)).to.equal("1.25");
      expect(formatAmount("1", 6)).to.equal("0.000001");
      expect(formatAmount("-7490000", 6)).to.equal("−7.49");
      expect(formatAmount("123456789", 0)).to.equal("123,456,789");
      // beyond 2^53: no floating point on the way
      expect(formatAmount("123456789012345678901234567", 18)).to.equal("123,456,789.012345678901234567");
      expect(formatSignedAmount("5", 0)).to.equal("+5");
      expect(formatSignedAmount("0", 2)).to.equal("0.00");
      expect(groupDigits("-1000")).to.equal("−1,000");
    });

    it("should write simulated times as the clock time of the day, marking later days", function () {
      const day = "2026-06-15T00:00:00.000Z";
      expect(clockTime("2026-06-15T17:58:00.000Z", day)).to.equal("17:58");
      expect(clockTime("2026-06-16T00:10:00.000Z", day)).to.equal("00:10 +1d");
      expect(clockTime("2026-06-14T23:00:00.000Z", day)).to.equal("23:00 −1d");
      expect(formatDuration(74.6)).to.equal("1 min 15 s");
      expect(formatDuration(119.7)).to.equal("2 min 00 s");
      expect(formatDuration(3.21)).to.equal("3.2 s");
    });

    it("should state the ancillary event with signed demand changes in kW and name a shortfall with its reason", function () {
      const met = { deltaKw: -6, deliveredKw: -6, shortfallKw: 0, shortfallReason: null, pseudonyms: 1 } as const;
      expect(describeAncillary(met)).to.equal("demand change asked −6.0 kW, delivered −6.0 kW against the schedules in force (taken whole) by 1 pseudonym");
      expect(describeAncillary({ ...met, deltaKw: 8, deliveredKw: 4, shortfallKw: 4, shortfallReason: "limits" })).to.equal(
        "demand change asked +8.0 kW, delivered +4.0 kW against the schedules in force (4.0 kW not taken: more is beyond the limits of the chargers, batteries and feeder) by 1 pseudonym",
      );
      expect(describeAncillary({ ...met, deliveredKw: 0, shortfallKw: 6, shortfallReason: "targets", pseudonyms: 0 })).to.contain("delivered 0.0 kW against the schedules in force (6.0 kW not taken: more would leave vehicles short of their departure targets)");
      const r = sampleReport();
      expect(renderReportHtml(r)).to.include(escapeHtml(describeAncillary(r.ancillary)));
    });

    it("should pick round axis steps and find the slots over the feeder limit", function () {
      expect(niceStep(540, 6)).to.equal(100);
      expect(niceStep(7, 6)).to.equal(2);
      expect(niceStep(0, 6)).to.equal(1);
      const load = { slotMinutes: 15, feederLimitKw: [10, 10, 5], importKw: [9, 11, 5], exportKw: [0, 0, 0], uncontrolledKw: [0, 0, 0] };
      expect(slotsOverLimit(load)).to.deep.equal([1]);
    });

    it("should total the claims and the transfers left after netting", function () {
      const r = sampleReport();
      const totals = nettingTotals(r.settlement);
      expect(totals.gross).to.equal(String(r.settlement.claims.reduce((s, c) => s + BigInt(c.amount), 0n)));
      expect(totals.transfers).to.equal("32775000");
    });

    it("should add up what each home paid each host, leaving out pairs with nothing paid", function () {
      const r = sampleReport();
      r.settlement.claims.push({ ...r.settlement.claims[0]!, claimId: "6", paid: "1000000" }, { ...r.settlement.claims[1]!, claimId: "7", home: "sup-east", host: "sup-west", paid: "0", amount: "5" });
      const flows = flowsBetween(r.settlement);
      expect(flows.find((f) => f.from === "sup-east" && f.to === "sup-north")?.amount).to.equal(42_250_000n);
      expect(flows.filter((f) => f.from === "sup-east" && f.to === "sup-west")).to.deep.equal([]); // claim 7 paid nothing
      expect(flows).to.have.length(5);
    });
  });

  describe("the page", function () {
    it("should be one accessible, self-contained document", function () {
      const r = sampleReport();
      const page = renderReportHtml(r);
      expect(page.startsWith("<!DOCTYPE html>\n<html lang=\"en\">")).to.equal(true);
      expect(page).to.include(`<title>${escapeHtml(reportTitle(r))}</title>`);
      expect(page).to.include('<meta charset="utf-8">');
      expect(page).to.match(/Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'/);
      // nothing to fetch and nothing to run
      expect(page).not.to.match(/<script/i);
      expect(page).not.to.match(/\s(src|href)\s*=/i);
      expect(page).not.to.match(/url\(|@import/i);
      expect(count(page, /<h1>/g)).to.equal(1);
      for (const id of ["figures", "timeline", "activity", "load", "money", "payments", "dispute", "gas", "escrow", "privacy", "outputs"]) {
        expect(page).to.match(new RegExp(`<section id="${id}" data-testid="section-${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">`));
      }
      // every table has column headers; every SVG is an image with a title
      expect(count(page, /<table/g)).to.equal(count(page, /<thead><tr><th scope="col">/g));
      expect(count(page, /<svg /g)).to.equal(count(page, /<svg [^>]*role="img" aria-labelledby="[^"]+"/g));
      expect(renderReportHtml(sampleReport())).to.equal(page); // deterministic
    });

    it("should draw one import bar, one export bar and one point of the uncontrolled curve per slot, and the feeder limit", function () {
      const r = sampleReport();
      const page = renderReportHtml(r);
      expect(r.load.importKw).to.have.length(96);
      const imports = [...page.matchAll(/<rect data-series="import" data-slot="(\d+)" data-kw="([^"]+)"/g)];
      expect(imports.map((m) => Number(m[1]))).to.deep.equal([...Array(96).keys()]);
      expect(imports.map((m) => Number(m[2]))).to.deep.equal(r.load.importKw);
      expect(count(page, /<rect data-series="export"/g)).to.equal(96);
      const points = /<polyline data-testid="uncontrolled-line" class="line-uncontrolled" points="([^"]+)"/.exec(page);
      expect(points?.[1]?.split(" ")).to.have.length(96);
      const limit = /<path data-testid="feeder-limit" class="line-limit" d="([^"]+)"/.exec(page);
      expect(count(limit?.[1] ?? "", /H/g)).to.equal(96);
      expect(page).to.include('<g class="legend" data-testid="load-legend">');
      expect(page).to.include(">24:00</text>");
      expect(page).to.match(/<title id="load-title">Aggregate load against the feeder limit, per 15-minute slot<\/title>/);
    });

    it("should mark the slots whose import exceeds the feeder limit", function () {
      const r = sampleReport();
      r.load.importKw[70] = (r.load.feederLimitKw[70] ?? 0) + 1;
      const page = renderReportHtml(r);
      expect(count(page, /class="bar-import over"/g)).to.equal(1);
      expect(page).to.match(/data-slot="70" data-kw="[^"]+" class="bar-import over"/);
      expect(page).to.include("1 of 96 slots exceed the feeder limit.");
    });

    it("should say so when the report has no load curve", function () {
      const r = sampleReport();
      r.load = { slotMinutes: 15, feederLimitKw: [], importKw: [], exportKw: [], uncontrolledKw: [] };
      expect(renderReportHtml(r)).to.include('data-testid="load-chart-empty"');
    });

    it("should show each supplier's net position, each claim, the dispute's outcome and every evidence verdict", function () {
      const r = sampleReport();
      const page = renderReportHtml(r);
      for (const n of r.settlement.net) {
        expect(page).to.include(`<td class="num ${BigInt(n.net) < 0n ? "neg" : "pos"}" data-amount="${n.net}" data-testid="net">${formatSignedAmount(n.net, 6)}</td>`);
      }
      for (const c of r.settlement.claims) expect(page).to.include(`<tr data-claim="${c.claimId}"><th scope="row">#${c.claimId}</th>`);
      const flows = [...page.matchAll(/<g class="flow" data-from="([^"]+)" data-to="([^"]+)" data-amount="(\d+)">/g)].map((m) => [m[1], m[2], m[3]]);
      expect(flows).to.have.deep.members(r.settlement.claims.map((c) => [c.home, c.host, c.paid]));
      expect(page).to.include('data-testid="dispute-outcome" data-outcome="upheld"');
      const items = [...page.matchAll(/data-testid="evidence-item" data-digest="(0x[0-9a-f]{64})" data-verdict="(\w+)"/g)];
      expect(items.map((m) => [m[1], m[2]])).to.deep.equal(r.dispute.evidence.map((e) => [e.digest, e.verdict]));
      expect(new Set(r.dispute.evidence.map((e) => e.verdict))).to.deep.equal(new Set(["valid", "invalid", "missing", "late"]));
      expect(page).to.include(escapeHtml(r.dispute.evidence[5]!.reason));
      expect(page).to.include(`<code class="command" data-testid="dispute-command">${escapeHtml(r.dispute.command)}</code>`);
    });
  });

  describe("payments and bills", function () {
    it("should show the three flows, the bills per supplier and every user's bill, with their amounts", function () {
      const r = sampleReport();
      const page = renderReportHtml(r);
      for (const f of r.payments.flows) {
        expect(page).to.match(new RegExp(`<tr data-flow="${f.flow}"><th scope="row">[^<]+</th><td>${f.payer} → ${f.payee}</td><td class="num">${f.count}</td><td class="num" data-amount="${f.total}">`));
      }
      const rows = (testid: string, attr: string) => [...(page.split(`data-testid="${testid}"`)[1] ?? "").split("</table>")[0]!.matchAll(new RegExp(`<tr ${attr}="([^"]+)">(.*?)</tr>`, "g"))];
      const amounts = (row: string) => [...row.matchAll(/data-amount="(-?\d+)"/g)].map((m) => m[1]);
      const suppliers = rows("supplier-bills", "data-supplier");
      expect(suppliers.map((m) => m[1])).to.deep.equal(r.payments.suppliers.map((s) => s.supplier));
      suppliers.forEach((m, i) => {
        const s = r.payments.suppliers[i]!;
        expect(amounts(m[2]!)).to.deep.equal([s.energy, s.dischargeCredit, s.ancillaryCredit, s.net]);
      });
      const bills = rows("bills-table", "data-user");
      expect(bills.map((m) => m[1])).to.deep.equal(r.payments.bills.map((b) => b.user));
      bills.forEach((m, i) => {
        const b = r.payments.bills[i]!;
        expect(amounts(m[2]!)).to.deep.equal([b.energy, b.dischargeCredit, b.ancillaryCredit, b.net]);
      });
      expect(page).to.include(`<p data-testid="payments-refused">Refused attempts: 1 replayed, 1 unknown pseudonym.</p>`);
      // the user's credits exceed what it owes: a negative net, shown with its sign
      expect(page).to.include(`<td class="num" data-amount="-2400000" data-testid="bill-net">−2.40</td>`);
    });
  });

  describe("hostile text from the parties", function () {
    it("should show every hostile string as text and never as markup", function () {
      const page = renderReportHtml(hostileReport());
      for (const hostile of HOSTILE) {
        expect(page, hostile).not.to.include(hostile);
        expect(page, hostile).to.include(escapeHtml(hostile));
      }
      expect(page).not.to.match(/<script/i);
      expect(page).not.to.match(/<img/i);
      // no event-handler attribute on any element (quoted values taken out first: they are text)
      const handlers = (page.match(/<[a-z][^>]*>/gi) ?? []).filter((tag) => /\son[a-z]+\s*=/i.test(tag.replace(/"[^"]*"/g, '""')));
      expect(handlers).to.deep.equal([]);
      expect(count(page, /<\/style>/g)).to.equal(1);
      expect(count(page, /<title[ >]/g)).to.equal(count(page, /<\/title>/g));
      expect(page).to.include("&amp;lt;already escaped&amp;gt; &amp; &lt;b&gt;bold&lt;/b&gt;");
    });
  });
});
