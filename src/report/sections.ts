/**
 * The smaller parts of the page: the run's header, the key figures, the day's timeline, gas by
 * operation, the escrow opening, and what each party could and could not learn.
 */
import { clockTime, describeAncillary, formatAmount, formatDuration, groupDigits, sumDecimals } from "./format.js";
import { html, type SafeHtml } from "./markup.js";
import { nettingTotals } from "./money.js";
import type { PartyNames } from "./parties.js";
import type { DayReport } from "./schema.js";

export function renderRunHeader(report: DayReport): SafeHtml {
  const { run } = report;
  return html`<header data-testid="run">
<h1>A day of V2G roaming</h1>
<dl class="run">
<div><dt>seed</dt><dd data-testid="run-seed">${run.seed}</dd></div>
<div><dt>scale</dt><dd data-testid="run-scale">${run.scale.suppliers} suppliers, ${run.scale.aggregators} aggregators, ${run.scale.vehicles} vehicles</dd></div>
<div><dt>network</dt><dd data-testid="run-network">${run.network.name} (chain id ${run.network.chainId})</dd></div>
<div><dt>simulated day</dt><dd><time datetime="${run.dayStart}">${run.dayStart.slice(0, 10)}</time></dd></div>
<div><dt>run</dt><dd>started <time datetime="${run.startedAt}">${run.startedAt.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")}</time>, took ${formatDuration(run.wallSeconds)}</dd></div>
</dl>
</header>`;
}

function figure(testid: string, value: string, label: string, detail: string): SafeHtml {
  return html`<div class="figure" data-testid="${testid}"><span class="value">${value}</span><span class="label">${label}</span><span class="detail">${detail}</span></div>`;
}

export function renderKeyFigures(report: DayReport): SafeHtml {
  const { sessions, authentication: auth, evidence, settlement } = report;
  const { decimals, symbol } = settlement.token;
  const totals = nettingTotals(settlement);
  const refused = Object.values(auth.refused).reduce((a, b) => a + b, 0);
  return html`<div class="figures">
${figure("fig-sessions", String(sessions.total), "charging sessions", `${sessions.roaming} roaming, ${sessions.energyKWh.toFixed(1)} kWh charged, ${sessions.dischargedKWh.toFixed(1)} kWh discharged`)}
${figure("fig-authentications", String(auth.accepted), "anonymous authentications", `of ${auth.attempts} attempts, ${refused} refused; rings of ${auth.ringSize}`)}
${figure("fig-evidence", String(evidence.anchoredRoots), "evidence roots anchored", `${evidence.messages} signed messages, ${evidence.receipts} receipts in ${evidence.batches} batches`)}
${figure("fig-netted", `${formatAmount(totals.transfers, decimals)} ${symbol}`, "moved after netting", `for ${formatAmount(totals.gross, decimals)} ${symbol} of claims`)}
</div>`;
}

export function renderActivity(report: DayReport, name: PartyNames): SafeHtml {
  const { sessions, authentication: auth, discharge, ancillary } = report;
  const { dayStart } = report.run;
  return html`<table class="compact" data-testid="sessions-table"><caption>Sessions per aggregator</caption>
<thead><tr><th scope="col">aggregator</th><th scope="col">sessions</th></tr></thead>
<tbody>${Object.entries(sessions.byAggregator).map(([id, n]) => html`<tr data-aggregator="${id}"><th scope="row">${name(id)}</th><td class="num">${n}</td></tr>`)}</tbody></table>
<ul class="facts-list">
<li>${sessions.infeasible} charging requests answered infeasible (shortfall reported to the user).</li>
<li>Discharge requests: ${discharge.requested} sent, ${discharge.accepted} accepted, ${discharge.declined} declined.</li>
<li>Ancillary-service event <time datetime="${ancillary.from}">${clockTime(ancillary.from, dayStart)}</time>–<time datetime="${ancillary.to}">${clockTime(ancillary.to, dayStart)}</time>: ${describeAncillary(ancillary)}, incentive ${formatAmount(ancillary.incentive, report.settlement.token.decimals)} ${report.settlement.token.symbol}.</li>
<li>Authentication refusals: ${Object.keys(auth.refused).length === 0 ? "none" : Object.entries(auth.refused).map(([why, n], i) => html`${i === 0 ? "" : ", "}${n} ${why}`)}.</li>
</ul>`;
}

export function renderTimeline(report: DayReport, name: PartyNames): SafeHtml {
  return html`<ol class="timeline" data-testid="timeline">${report.timeline.map(
    (t) =>
      html`<li data-phase="${t.phase}"><time datetime="${t.at}">${clockTime(t.at, report.run.dayStart)}</time> <span class="phase">${t.phase}</span> ${t.actor === undefined ? null : html`<span class="actor">${name(t.actor)}</span> `}<span class="text">${t.text}</span></li>`,
  )}</ol>`;
}

export function renderGas(report: DayReport): SafeHtml {
  const max = report.gas.reduce((m, g) => (BigInt(g.total) > m ? BigInt(g.total) : m), 0n);
  return html`<table data-testid="gas-table"><caption>Gas by operation (total ${groupDigits(sumDecimals(report.gas.map((g) => g.total)))})</caption>
<thead><tr><th scope="col">operation</th><th scope="col">transactions</th><th scope="col">mean gas</th><th scope="col">total gas</th><th scope="col"><span class="sr-only">share of the largest total</span></th></tr></thead>
<tbody>${report.gas.map((g) => {
    const share = max === 0n ? 0 : Number((BigInt(g.total) * 1000n) / max) / 10;
    return html`<tr data-operation="${g.operation}"><th scope="row">${g.operation}</th><td class="num">${g.count}</td><td class="num">${groupDigits(g.mean)}</td><td class="num">${groupDigits(g.total)}</td><td class="meter"><span style="width:${share}%"></span></td></tr>`;
  })}</tbody></table>`;
}

export function renderEscrow(report: DayReport, name: PartyNames): SafeHtml {
  const e = report.escrowOpening;
  return html`<div data-testid="escrow" data-opened="${String(e.opened)}"><p>Identity escrow for ${e.dispute}: ${e.approvals} of ${e.threshold} required approvals. <strong>${e.opened ? "Opened" : "Not opened"}.</strong></p>
${e.revealed === "" ? null : html`<p>${e.revealed}</p>`}
<p class="muted">Arbiters: ${report.parties.arbiters.map((a, i) => html`${i === 0 ? "" : ", "}${name(a.id)}`)}.</p></div>`;
}

export function renderPrivacy(report: DayReport, name: PartyNames): SafeHtml {
  const list = (items: string[]): SafeHtml =>
    items.length === 0 ? html`<span class="muted">nothing</span>` : html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;
  return html`<table data-testid="privacy-table"><caption>What each party could and could not learn</caption>
<thead><tr><th scope="col">party</th><th scope="col">learned</th><th scope="col">could not learn</th></tr></thead>
<tbody>${report.privacy.map((p) => html`<tr><th scope="row">${name(p.party)}</th><td>${list(p.learned)}</td><td>${list(p.couldNotLearn)}</td></tr>`)}</tbody></table>
<p>What the LAGs learned about the vehicles they authenticated:</p>${list(report.authentication.lagLearned)}`;
}

export function renderOutputs(report: DayReport): SafeHtml {
  const o = report.outputs;
  return html`<ul class="facts-list" data-testid="outputs"><li>report: <code>${o.reportJson}</code>, <code>${o.reportHtml}</code></li><li>deployments: <code>${o.deployments}</code></li>${report.evidence.stores.map((s) => html`<li>evidence store of ${s.party} (${s.items} items): <code>${s.path}</code></li>`)}</ul>`;
}
