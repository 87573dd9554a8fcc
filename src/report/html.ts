/**
 * The HTML report (`out/report.html`): one self-contained page rendered from a `DayReport` alone,
 * with inline CSS and SVG, no script and no external resource (its Content-Security-Policy forbids
 * both). Every string from the report is escaped (see markup.ts); figures the browser test reads
 * carry stable `data-testid` attributes.
 */
import { renderDispute } from "./dispute.js";
import { renderHomeBill } from "./homeBill.js";
import { renderLoadChart } from "./loadChart.js";
import { html, raw, type Fragment, type SafeHtml } from "./markup.js";
import { renderMoney } from "./money.js";
import { partyNames } from "./parties.js";
import { renderPayments } from "./payments.js";
import type { DayReport } from "./schema.js";
import {
  renderActivity,
  renderEscrow,
  renderGas,
  renderKeyFigures,
  renderOutputs,
  renderPrivacy,
  renderRunHeader,
  renderTimeline,
} from "./sections.js";
import { REPORT_CSS } from "./style.js";

/** Nothing may load or run: styles are inline, images are inline SVG. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function section(id: string, title: string, body: Fragment): SafeHtml {
  return html`<section id="${id}" data-testid="section-${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${title}</h2>
${body}
</section>`;
}

/** The page's `<title>`. */
export function reportTitle(report: DayReport): string {
  return `V2G day report — seed ${report.run.seed}, ${report.run.network.name}`;
}

export function renderReportHtml(report: DayReport): string {
  const name = partyNames(report);
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${raw(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${reportTitle(report)}</title>
<style>${raw(REPORT_CSS)}</style>
</head>
<body>
<main>
${renderRunHeader(report)}
${section("figures", "Key figures", renderKeyFigures(report))}
${section("timeline", "The day", renderTimeline(report, name))}
${section("activity", "Charging, discharge and authentication", renderActivity(report, name))}
${section("load", "Aggregate load against the feeder limit", renderLoadChart(report.load, report.run.dayStart))}
${section("money", "Money between suppliers", renderMoney(report.settlement, name))}
${section("payments", "Payments and bills", renderPayments(report, name))}
${section("home", "The host's home bill", renderHomeBill(report, name))}
${section("dispute", "The disputed CDR", renderDispute(report, name))}
${section("gas", "Gas by operation", renderGas(report))}
${section("escrow", "The escrow opening", renderEscrow(report, name))}
${section("privacy", "Who learned what", renderPrivacy(report, name))}
${section("outputs", "Files left behind", renderOutputs(report))}
</main>
</body>
</html>
`;
  return page.value;
}
