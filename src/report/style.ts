/** The page's inline style sheet (constant: nothing from the report is ever placed in it). */
export const REPORT_CSS = `
:root { --fg: #1d2430; --muted: #5b6472; --bg: #ffffff; --panel: #f4f6f9; --line: #d5dae1;
  --import: #2f6db5; --over: #c62828; --export: #2e8b57; --uncontrolled: #b36b00; --limit: #6a1b9a;
  --valid: #1b7a3d; --invalid: #b3261e; --missing: #8a5a00; --late: #5c4bb5; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1040px; margin: 0 auto; padding: 0 20px 48px; }
header[data-testid="run"] { background: #17324d; color: #fff; padding: 24px 20px; margin: 0 -20px 24px; }
header h1 { margin: 0 0 8px; font-size: 26px; }
dl.run { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0; }
dl.run div { display: flex; gap: 6px; }
dl.run dt { opacity: .75; } dl.run dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
dl.run dt::after { content: ":"; }
section { margin: 32px 0; }
h2 { font-size: 20px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; }
.figure { background: var(--panel); border-radius: 8px; padding: 14px 16px; display: flex; flex-direction: column; }
.figure .value { font-size: 28px; font-weight: 700; overflow-wrap: anywhere; }
.figure .label { font-weight: 600; }
.figure .detail, .muted { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 12px 0 20px; }
table.compact { width: auto; min-width: 360px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pos { color: var(--valid); } td.neg { color: var(--invalid); }
td.meter span { display: block; height: 10px; background: var(--import); border-radius: 2px; min-width: 1px; }
td ul, .facts-list { margin: 0; padding-left: 18px; }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
ol.timeline { list-style: none; padding: 0; border-left: 3px solid var(--line); margin-left: 8px; }
ol.timeline li { position: relative; padding: 3px 0 3px 16px; }
ol.timeline li::before { content: ""; position: absolute; left: -7px; top: 10px; width: 11px; height: 11px; border-radius: 50%; background: var(--import); }
ol.timeline time, .evidence time { font-variant-numeric: tabular-nums; font-weight: 600; margin-right: 6px; }
.phase { display: inline-block; background: var(--panel); border-radius: 4px; padding: 0 6px; font-size: 13px; }
.actor { font-weight: 600; }
figure.chart { margin: 0; }
figure.chart svg { width: 100%; height: auto; }
svg[data-testid="net-chart"] { width: 100%; max-width: 640px; height: auto; }
figcaption { color: var(--muted); font-size: 13px; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
.grid line { stroke: var(--line); stroke-width: 1; }
.axis line, .zero { stroke: var(--fg); stroke-width: 1; }
.bar-import, .swatch-import { fill: var(--import); }
.bar-import.over, .swatch-over { fill: var(--over); }
.bar-export, .swatch-export { fill: var(--export); }
.line-uncontrolled { fill: none; stroke: var(--uncontrolled); stroke-width: 2; stroke-dasharray: 6 4; }
.swatch-uncontrolled { fill: var(--uncontrolled); }
.line-limit { fill: none; stroke: var(--limit); stroke-width: 2.5; }
.swatch-limit { fill: var(--limit); }
.bar-pos { fill: var(--valid); } .bar-neg { fill: var(--invalid); }
.outcome { border-radius: 8px; padding: 12px 16px; border-left: 6px solid; background: var(--panel); }
.outcome-upheld { border-color: var(--invalid); } .outcome-rejected { border-color: var(--valid); }
.outcome .big { font-size: 20px; font-weight: 700; margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.command { background: #17324d; color: #fff; padding: 2px 6px; border-radius: 4px; }
ol.evidence-timeline { list-style: none; padding: 0; border-left: 3px solid var(--line); margin-left: 8px; }
.evidence { position: relative; padding: 6px 0 6px 18px; }
.evidence::before { content: ""; position: absolute; left: -8px; top: 12px; width: 13px; height: 13px; border-radius: 50%; background: var(--c); }
.evidence .badge { display: inline-block; min-width: 84px; color: #fff; background: var(--c); border-radius: 4px; padding: 0 6px; font-weight: 700; font-size: 13px; margin-right: 6px; }
.evidence .reason { margin: 2px 0 0; color: var(--c); font-size: 13px; }
.verdict-valid { --c: var(--valid); } .verdict-invalid { --c: var(--invalid); }
.verdict-missing { --c: var(--missing); } .verdict-late { --c: var(--late); }
`;
