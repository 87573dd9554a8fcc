/**
 * The host user's home bill: what its smart meter measured, the guest's roaming energy excluded
 * (claimed from the guest's supplier by the host's CDR, never on the host's bill), what is billed
 * and for how much. Energy in kWh to the Wh, amounts in whole tokens.
 */
import { clockTime, formatAmount } from "./format.js";
import { html, type SafeHtml } from "./markup.js";
import type { PartyNames } from "./parties.js";
import type { DayReport } from "./schema.js";

/** Wh as kWh with every Wh shown. */
export const kwhOfWh = (wh: number): string => (wh / 1000).toFixed(3);

export function renderHomeBill(report: DayReport, name: PartyNames): SafeHtml {
  const h = report.homeBill;
  const { decimals, symbol } = report.settlement.token;
  const { dayStart } = report.run;
  const row = (testid: string, label: string, wh: number, note: SafeHtml | string = ""): SafeHtml =>
    html`<tr data-testid="${testid}"><th scope="row">${label}</th><td class="num" data-wh="${wh}">${kwhOfWh(wh)}</td><td>${note}</td></tr>`;
  return html`<p>${h.host}'s home is supplied by ${name(h.supplier)}. One signing smart meter (${h.meter.serial}, ${h.meter.records} OCMF records from <time datetime="${h.from}">${clockTime(h.from, dayStart)}</time> to <time datetime="${h.to}">${clockTime(h.to, dayStart)}</time>, ${h.meter.readings} readings kept by the supplier and receipted by ${h.host}) measured the whole home; the home charger's own meter measured the guest ${h.guest}, a customer of ${name(h.guestSupplier)}.</p>
<table data-testid="home-bill"><caption>The home bill of ${h.host} at ${name(h.supplier)} (kWh)</caption>
<thead><tr><th scope="col">energy</th><th scope="col">kWh</th><th scope="col">detail</th></tr></thead>
<tbody>
${row("home-meter-total", "smart-meter total", h.meterTotalWh, `household ${kwhOfWh(h.householdWh)}, own vehicle ${kwhOfWh(h.ownVehicleWh)}, guest ${kwhOfWh(h.roamingWh)}`)}
${row("home-roaming", `− roaming energy of ${h.guest}`, h.roamingWh, html`excluded: ${name(h.supplier)} claims it from ${name(h.guestSupplier)} by ${h.cdrs.length} CDR${h.cdrs.length === 1 ? "" : "s"}, and ${name(h.guestSupplier)} bills it to ${h.guest}`)}
${row("home-billed", "= billed", h.billedWh, `at ${formatAmount(h.pricePerKwh, decimals)} ${symbol} per kWh`)}
</tbody></table>
<p data-testid="home-amount" data-amount="${h.amount}">Amount billed: <strong>${formatAmount(h.amount, decimals)} ${symbol}</strong>${h.payment === undefined ? "" : html`, paid by a signed payment (<code>${h.payment.slice(0, 18)}…</code>) receipted by ${h.host}`}.</p>`;
}
