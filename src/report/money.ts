/**
 * Money between suppliers: each supplier's net position after netting (a diverging bar chart and a
 * table: received, paid, net, withdrawn) and the period's claims (host, home, CDRs, amount, paid,
 * status). Amounts are the report's decimal strings in token base units, shown in whole tokens.
 */
import { formatAmount, formatSignedAmount, sumDecimals } from "./format.js";
import { html, type SafeHtml } from "./markup.js";
import type { PartyNames } from "./parties.js";
import type { DayReport } from "./schema.js";

type Settlement = DayReport["settlement"];

/** Gross claims of the period and the transfers left after netting (the sum of positive net positions). */
export function nettingTotals(settlement: Settlement): { gross: string; transfers: string } {
  return {
    gross: sumDecimals(settlement.claims.map((c) => c.amount)),
    transfers: sumDecimals(settlement.net.map((n) => (BigInt(n.net) > 0n ? n.net : "0"))),
  };
}

function netChart(settlement: Settlement, name: PartyNames): SafeHtml {
  const { decimals, symbol } = settlement.token;
  const rowH = 28;
  const width = 640;
  const mid = 380;
  const half = 170;
  const max = settlement.net.reduce((m, n) => {
    const a = BigInt(n.net) < 0n ? -BigInt(n.net) : BigInt(n.net);
    return a > m ? a : m;
  }, 0n);
  const rows = settlement.net.map((n, i) => {
    const value = BigInt(n.net);
    const w = max === 0n ? 0 : (Number(((value < 0n ? -value : value) * 10_000n) / max) / 10_000) * half;
    const x = value < 0n ? mid - w : mid;
    const yy = 8 + i * rowH;
    return html`<g data-supplier="${n.supplier}"><text x="8" y="${yy + 15}">${name(n.supplier)}</text><rect class="${value < 0n ? "bar-neg" : "bar-pos"}" x="${Math.round(x * 100) / 100}" y="${yy}" width="${Math.round(w * 100) / 100}" height="${rowH - 10}"><title>${name(n.supplier)}: net ${formatSignedAmount(n.net, decimals)} ${symbol}</title></rect><text class="bar-label" x="${Math.round((value < 0n ? x - 6 : x + w + 6) * 100) / 100}" y="${yy + 14}" text-anchor="${value < 0n ? "end" : "start"}">${formatSignedAmount(n.net, decimals)}</text></g>`;
  });
  const height = 16 + settlement.net.length * rowH;
  return html`<svg data-testid="net-chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="net-title" xmlns="http://www.w3.org/2000/svg"><title id="net-title">Net settlement per supplier: bars right of the axis received money, bars left of it paid</title>${rows}<line class="zero" x1="${mid}" x2="${mid}" y1="0" y2="${height}"/></svg>`;
}

export function renderMoney(settlement: Settlement, name: PartyNames): SafeHtml {
  const { decimals, symbol } = settlement.token;
  const amount = (units: string): SafeHtml =>
    html`<td class="num" data-amount="${units}">${formatAmount(units, decimals)}</td>`;
  const totals = nettingTotals(settlement);
  return html`<p>Period ${settlement.period}, in ${symbol} (token ${settlement.token.address}, ${decimals} decimals). Claims of ${formatAmount(totals.gross, decimals)} ${symbol} were settled by transfers of ${formatAmount(totals.transfers, decimals)} ${symbol} after netting.</p>
${netChart(settlement, name)}
<table data-testid="net-table"><caption>Net settlement per supplier (${symbol})</caption>
<thead><tr><th scope="col">supplier</th><th scope="col">received</th><th scope="col">paid</th><th scope="col">net</th><th scope="col">withdrawn</th></tr></thead>
<tbody>${settlement.net.map(
    (n) =>
      html`<tr data-supplier="${n.supplier}"><th scope="row">${name(n.supplier)}</th>${amount(n.received)}${amount(n.paid)}<td class="num ${BigInt(n.net) < 0n ? "neg" : "pos"}" data-amount="${n.net}" data-testid="net">${formatSignedAmount(n.net, decimals)}</td>${amount(n.withdrawn)}</tr>`,
  )}</tbody></table>
<table data-testid="claims-table"><caption>Claims of the period (${symbol}): the host supplier claims from the home supplier</caption>
<thead><tr><th scope="col">claim</th><th scope="col">host (creditor)</th><th scope="col">home (debtor)</th><th scope="col">CDRs</th><th scope="col">amount</th><th scope="col">paid</th><th scope="col">status</th></tr></thead>
<tbody>${settlement.claims.map(
    (c) =>
      html`<tr data-claim="${c.claimId}"><th scope="row">#${c.claimId}</th><td>${name(c.host)}</td><td>${name(c.home)}</td><td class="num">${c.cdrs}</td>${amount(c.amount)}${amount(c.paid)}<td>${c.status}</td></tr>`,
  )}</tbody></table>`;
}
