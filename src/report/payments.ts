/**
 * The day's payments and bills: the three flows (payments and their sums), the attacks on them
 * that were refused, the bills per supplier (customers, energy owed, discharge and ancillary
 * credits, net), and every user's bill in a `<details>` element. Amounts are the report's decimal
 * strings in token base units, shown in whole tokens.
 */
import { clockTime, formatAmount, formatSignedAmount } from "./format.js";
import { html, type SafeHtml } from "./markup.js";
import type { PartyNames } from "./parties.js";
import type { DayReport } from "./schema.js";

const FLOW_TEXT = { energy: "energy", discharge: "discharge (V2G) credit", ancillary: "ancillary-service incentive" } as const;

export function renderPayments(report: DayReport, name: PartyNames): SafeHtml {
  const p = report.payments;
  const { decimals, symbol } = report.settlement.token;
  const amount = (units: string): SafeHtml => html`<td class="num" data-amount="${units}">${formatAmount(units, decimals)}</td>`;
  const net = (units: string): SafeHtml => html`<td class="num" data-amount="${units}" data-testid="bill-net">${formatSignedAmount(units, decimals)}</td>`;
  const money = (b: { energy: string; dischargeCredit: string; ancillaryCredit: string; net: string }): SafeHtml => html`${amount(b.energy)}${amount(b.dischargeCredit)}${amount(b.ancillaryCredit)}${net(b.net)}`;
  const refused = Object.entries(p.refused);
  const head = html`<th scope="col">energy owed</th><th scope="col">discharge credit</th><th scope="col">ancillary credit</th><th scope="col">net (owed − credits)</th>`;
  return html`<p>At <time datetime="${p.at}">${clockTime(p.at, report.run.dayStart)}</time> the day's payments were recorded as signed messages, each receipted by the session's pseudonym (${p.receipted} receipts), in ${symbol}. The aggregators paid their incentives (${formatAmount(p.incentivePerKwh, decimals)} ${symbol} per kWh delivered) to pseudonyms; only the supplier that certified a pseudonym put its incentive on its user's bill.</p>
<table data-testid="payment-flows"><caption>The three payment flows (${symbol})</caption>
<thead><tr><th scope="col">flow</th><th scope="col">from → to</th><th scope="col">payments</th><th scope="col">total</th></tr></thead>
<tbody>${p.flows.map((f) => html`<tr data-flow="${f.flow}"><th scope="row">${FLOW_TEXT[f.flow]}</th><td>${f.payer} → ${f.payee}</td><td class="num">${f.count}</td>${amount(f.total)}</tr>`)}</tbody></table>
<p data-testid="payments-refused">Refused attempts: ${refused.length === 0 ? "none" : refused.map(([why, n], i) => html`${i === 0 ? "" : ", "}${n} ${why}`)}.</p>
<table data-testid="supplier-bills"><caption>Bills per supplier (${symbol}): the sums of its customers' bills</caption>
<thead><tr><th scope="col">supplier</th><th scope="col">customers</th>${head}</tr></thead>
<tbody>${p.suppliers.map((s) => html`<tr data-supplier="${s.supplier}"><th scope="row">${name(s.supplier)}</th><td class="num">${s.customers}</td>${money(s)}</tr>`)}</tbody></table>
<details data-testid="bills"><summary>Every user's bill (${p.bills.length})</summary>
<table data-testid="bills-table"><caption>Bills per user at its home supplier (${symbol})</caption>
<thead><tr><th scope="col">user (vehicle)</th><th scope="col">supplier</th>${head}<th scope="col">payments</th></tr></thead>
<tbody>${p.bills.map((b) => html`<tr data-user="${b.user}"><th scope="row">${b.user}</th><td>${name(b.supplier)}</td>${money(b)}<td class="num">${b.payments}</td></tr>`)}</tbody></table></details>`;
}
