/**
 * The disputed CDR: who raised the dispute and why, the arbiter's outcome, what was claimed and
 * paid, the command that shows it again, and the evidence bundle as a timeline with a verdict per
 * item (colour, symbol and word, so the verdict never rests on colour alone) and the verifier's reason.
 */
import { clockTime, formatAmount } from "./format.js";
import { html, type SafeHtml } from "./markup.js";
import type { PartyNames } from "./parties.js";
import type { DayReport, EvidenceItem } from "./schema.js";

const VERDICT_SYMBOL: Record<EvidenceItem["verdict"], string> = {
  valid: "✓",
  invalid: "✗",
  missing: "?",
  late: "◔",
};

/** `0x1234…cdef` for a 32-byte digest (the whole value stays in the title and the data attribute). */
const shortDigest = (d: string): string => `${d.slice(0, 10)}…${d.slice(-6)}`;

function evidenceItem(item: EvidenceItem, dayStart: string, name: PartyNames): SafeHtml {
  return html`<li class="evidence verdict-${item.verdict}" data-testid="evidence-item" data-digest="${item.digest}" data-verdict="${item.verdict}">
<time datetime="${item.at}">${clockTime(item.at, dayStart)}</time>
<span class="badge" data-testid="verdict"><span aria-hidden="true">${VERDICT_SYMBOL[item.verdict]}</span> ${item.verdict}</span>
<strong class="type">${item.type}</strong> <span class="route">${name(item.from)}${item.to === undefined ? "" : ` → ${name(item.to)}`}</span>
<code title="${item.digest}">${shortDigest(item.digest)}</code>
${item.reason === "" ? null : html`<p class="reason" data-testid="reason">${item.reason}</p>`}
</li>`;
}

export function renderDispute(report: DayReport, name: PartyNames): SafeHtml {
  const d = report.dispute;
  const { decimals, symbol } = report.settlement.token;
  const counts = (["valid", "invalid", "missing", "late"] as const)
    .map((v) => [v, d.evidence.filter((e) => e.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(", ");
  return html`<div class="outcome outcome-${d.outcome === "upheld" ? "upheld" : "rejected"}" data-testid="dispute-outcome" data-outcome="${d.outcome}">
<p class="big">Dispute ${d.outcome}</p>
<p>${name(d.raisedBy)} disputed claim #${d.claimId}: ${d.reason}. The arbiter ${name(d.arbiter)} ruled from the evidence bundle: <strong>${d.outcome}</strong>. Claimed ${formatAmount(d.amountClaimed, decimals)} ${symbol}, paid <span data-testid="dispute-paid" data-amount="${d.amountPaid}">${formatAmount(d.amountPaid, decimals)}</span> ${symbol}.</p>
</div>
<dl class="facts">
<dt>session</dt><dd><code>${d.sessionId}</code></dd>
<dt>CDR digest</dt><dd><code>${d.cdrDigest}</code></dd>
<dt>bundle</dt><dd><code>${d.bundle}</code></dd>
<dt>inspect it</dt><dd><code class="command" data-testid="dispute-command">${d.command}</code></dd>
</dl>
<h3>The evidence, item by item</h3>
<p>${d.evidence.length} items: ${counts}.</p>
<ol class="evidence-timeline" data-testid="evidence-timeline">${d.evidence.map((e) => evidenceItem(e, report.run.dayStart, name))}</ol>`;
}
