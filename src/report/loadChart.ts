/**
 * The aggregate load against the feeder limit as an inline SVG chart: per slot, a bar of scheduled
 * import (above the axis; red where it exceeds the limit) and of export (below it), the uncontrolled
 * charging curve as a dashed line and the DNO's feeder limit as a step line; hours on the x axis,
 * kW on the y axis, a legend, and a `<title>`/`<desc>` for screen readers. A table of every slot
 * follows in a `<details>` element for those who want the numbers.
 */
import { clockTime, formatKw } from "./format.js";
import { html, type SafeHtml } from "./markup.js";
import type { DayReport } from "./schema.js";

type Load = DayReport["load"];

const WIDTH = 960;
const HEIGHT = 380;
const PAD = { left: 64, right: 16, top: 16, bottom: 72 };

/** A round step (1, 2 or 5 × 10^k) that divides `span` into about `parts` intervals. */
export function niceStep(span: number, parts: number): number {
  if (!(span > 0)) return 1;
  const rough = span / parts;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough);
  return step ?? 10 * magnitude;
}

/** Rounds a coordinate to 0.01 px so the markup stays short and deterministic. */
const px = (v: number): number => Math.round(v * 100) / 100;

/** The slots whose scheduled import exceeds the feeder limit. */
export function slotsOverLimit(load: Load): number[] {
  return load.importKw.flatMap((kw, i) => (kw > (load.feederLimitKw[i] ?? Infinity) ? [i] : []));
}

export function renderLoadChart(load: Load, dayStart: string): SafeHtml {
  const n = load.feederLimitKw.length;
  if (n === 0) return html`<p data-testid="load-chart-empty">The run recorded no load curve.</p>`;
  const values = [...load.feederLimitKw, ...load.importKw, ...load.uncontrolledKw, ...load.exportKw.map((e) => -e), 0];
  const step = niceStep(Math.max(...values) - Math.min(...values), 6);
  const top = Math.ceil(Math.max(...values) / step) * step || step;
  const bottom = Math.floor(Math.min(...values) / step) * step;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (slot: number): number => PAD.left + (plotW * slot) / Math.max(n, 1);
  const y = (kw: number): number => PAD.top + (plotH * (top - kw)) / (top - bottom);
  const slotW = plotW / Math.max(n, 1);
  const barW = px(Math.max(slotW * 0.8, 0.5));
  const over = new Set(slotsOverLimit(load));
  /** The axis labels count hours from the day's start time, so the last tick reads 24:00, not 00:00. */
  const startMinutes = Math.floor((new Date(dayStart).getTime() % 86_400_000) / 60_000);
  const hour = (slot: number): string => {
    const minutes = startMinutes + slot * load.slotMinutes;
    return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
  };
  const time = (slot: number): string =>
    clockTime(new Date(new Date(dayStart).getTime() + slot * load.slotMinutes * 60_000).toISOString(), dayStart);

  const yTicks: number[] = [];
  for (let v = bottom; v <= top + step / 2; v += step) yTicks.push(Math.round(v / step) * step);
  const slotsPerTick = Math.max(1, Math.round((3 * 60) / load.slotMinutes));
  const xTicks: number[] = [];
  for (let s = 0; s <= n; s += slotsPerTick) xTicks.push(s);

  const bars = load.importKw.map((kw, i) => {
    const y0 = y(0);
    const y1 = y(Math.max(kw, 0));
    return html`<rect data-series="import" data-slot="${i}" data-kw="${kw}" class="${over.has(i) ? "bar-import over" : "bar-import"}" x="${px(x(i) + (slotW - barW) / 2)}" y="${px(y1)}" width="${barW}" height="${px(y0 - y1)}"><title>${time(i)} import ${formatKw(kw)}${over.has(i) ? " (over the feeder limit)" : ""}</title></rect>`;
  });
  const exports = load.exportKw.map((kw, i) => {
    const y0 = y(0);
    return html`<rect data-series="export" data-slot="${i}" data-kw="${kw}" class="bar-export" x="${px(x(i) + (slotW - barW) / 2)}" y="${px(y0)}" width="${barW}" height="${px(y(-Math.max(kw, 0)) - y0)}"><title>${time(i)} export ${formatKw(kw)}</title></rect>`;
  });
  const uncontrolled = load.uncontrolledKw.map((kw, i) => `${px(x(i) + slotW / 2)},${px(y(kw))}`).join(" ");
  const limitPath = load.feederLimitKw
    .map((kw, i) => `${i === 0 ? "M" : "L"}${px(x(i))},${px(y(kw))} H${px(x(i + 1))}`)
    .join(" ");
  const legend = [
    ["swatch-import", "scheduled import"],
    ["swatch-over", "import over the limit"],
    ["swatch-export", "export (V2G discharge)"],
    ["swatch-uncontrolled", "uncontrolled charging"],
    ["swatch-limit", "feeder limit"],
  ].map(
    ([cls, label], i) =>
      html`<g transform="translate(${PAD.left + i * 180},${HEIGHT - 22})"><rect class="${cls}" width="14" height="14" y="-11"/><text x="20">${label}</text></g>`,
  );

  return html`<figure class="chart">
<svg data-testid="load-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="load-title load-desc" xmlns="http://www.w3.org/2000/svg">
<title id="load-title">Aggregate load against the feeder limit, per ${load.slotMinutes}-minute slot</title>
<desc id="load-desc">${n} slots. Scheduled import peaks at ${formatKw(Math.max(0, ...load.importKw))}, uncontrolled charging at ${formatKw(Math.max(0, ...load.uncontrolledKw))}, export at ${formatKw(Math.max(0, ...load.exportKw))}; the feeder limit ranges from ${formatKw(Math.min(...load.feederLimitKw))} to ${formatKw(Math.max(...load.feederLimitKw))}. ${over.size} slots exceed the limit.</desc>
<g class="grid">${yTicks.map((v) => html`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${px(y(v))}" y2="${px(y(v))}"/>`)}</g>
<g class="axis axis-y" data-testid="axis-kw">${yTicks.map((v) => html`<text x="${PAD.left - 8}" y="${px(y(v) + 4)}" text-anchor="end">${v}</text>`)}<text class="axis-label" transform="translate(16,${px(PAD.top + plotH / 2)}) rotate(-90)" text-anchor="middle">kW</text></g>
<g class="axis axis-x" data-testid="axis-hours">${xTicks.map((s) => html`<line x1="${px(x(s))}" x2="${px(x(s))}" y1="${px(y(bottom))}" y2="${px(y(bottom) + 5)}"/><text x="${px(x(s))}" y="${px(y(bottom) + 20)}" text-anchor="middle">${hour(s)}</text>`)}<text class="axis-label" x="${px(PAD.left + plotW / 2)}" y="${px(y(bottom) + 40)}" text-anchor="middle">time of day (UTC)</text></g>
<g data-testid="import-bars">${bars}</g>
<g data-testid="export-bars">${exports}</g>
<line class="zero" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${px(y(0))}" y2="${px(y(0))}"/>
<polyline data-testid="uncontrolled-line" class="line-uncontrolled" points="${uncontrolled}"/>
<path data-testid="feeder-limit" class="line-limit" d="${limitPath}"/>
<g class="legend" data-testid="load-legend">${legend}</g>
</svg>
<figcaption>Scheduled import and export of all aggregators, with charging left uncontrolled for comparison. ${over.size === 0 ? "No slot exceeds the feeder limit." : `${over.size} of ${n} slots exceed the feeder limit.`}</figcaption>
</figure>
<details data-testid="load-table"><summary>Every slot in numbers</summary>
<table><caption>Load per slot, kW</caption><thead><tr><th scope="col">slot start</th><th scope="col">feeder limit</th><th scope="col">import</th><th scope="col">export</th><th scope="col">uncontrolled</th></tr></thead><tbody>${load.feederLimitKw.map(
    (limit, i) =>
      html`<tr><th scope="row">${time(i)}</th><td>${limit.toFixed(1)}</td><td>${(load.importKw[i] ?? 0).toFixed(1)}</td><td>${(load.exportKw[i] ?? 0).toFixed(1)}</td><td>${(load.uncontrolledKw[i] ?? 0).toFixed(1)}</td></tr>`,
  )}</tbody></table></details>`;
}
