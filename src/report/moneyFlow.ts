/**
 * Money between suppliers as a flow diagram (inline SVG): one node per supplier, one arrow per
 * debtor → creditor pair carrying what the home supplier paid the host for the period's claims,
 * its width growing with the amount. Arrows of opposite directions bend to opposite sides, so
 * both stay visible; the amounts are written on them.
 */
import { formatAmount } from "./format.js";
import { html, type SafeHtml } from "./markup.js";
import type { PartyNames } from "./parties.js";
import type { DayReport } from "./schema.js";

type Settlement = DayReport["settlement"];

const SIZE = { width: 560, height: 340 };
const NODE_R = 16;

/** What each home (debtor) paid each host (creditor) over the period's claims. */
export function flowsBetween(settlement: Settlement): { from: string; to: string; amount: bigint }[] {
  const flows = new Map<string, { from: string; to: string; amount: bigint }>();
  for (const c of settlement.claims) {
    const key = JSON.stringify([c.home, c.host]);
    const flow = flows.get(key) ?? { from: c.home, to: c.host, amount: 0n };
    flow.amount += BigInt(c.paid);
    flows.set(key, flow);
  }
  return [...flows.values()].filter((f) => f.amount > 0n && f.from !== f.to);
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

export function renderMoneyFlow(settlement: Settlement, name: PartyNames): SafeHtml {
  const ids = [...new Set([...settlement.net.map((n) => n.supplier), ...settlement.claims.flatMap((c) => [c.home, c.host])])];
  const cx = SIZE.width / 2;
  const cy = SIZE.height / 2;
  const at = new Map(
    ids.map((id, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / ids.length;
      return [id, { x: cx + (SIZE.width / 2 - 110) * Math.cos(angle), y: cy + (SIZE.height / 2 - 50) * Math.sin(angle) }];
    }),
  );
  const flows = flowsBetween(settlement);
  const max = flows.reduce((m, f) => (f.amount > m ? f.amount : m), 1n);
  const { decimals, symbol } = settlement.token;
  const arrows = flows.map((f) => {
    const a = at.get(f.from)!;
    const b = at.get(f.to)!;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    // control point to the left of the direction of travel: the reverse arrow bends the other way
    const c = { x: (a.x + b.x) / 2 - (dy / len) * 40, y: (a.y + b.y) / 2 + (dx / len) * 40 };
    const unit = (p: { x: number; y: number }, q: { x: number; y: number }) => {
      const l = Math.hypot(q.x - p.x, q.y - p.y) || 1;
      return { x: (q.x - p.x) / l, y: (q.y - p.y) / l };
    };
    const s = unit(a, c);
    const e = unit(b, c);
    const start = { x: a.x + s.x * NODE_R, y: a.y + s.y * NODE_R };
    const end = { x: b.x + e.x * (NODE_R + 2), y: b.y + e.y * (NODE_R + 2) };
    const width = 1.5 + 6 * (Number((f.amount * 1000n) / max) / 1000);
    const head = 8 + width;
    const tip = end;
    const base = { x: tip.x + e.x * head, y: tip.y + e.y * head };
    const left = { x: base.x - e.y * head * 0.5, y: base.y + e.x * head * 0.5 };
    const right = { x: base.x + e.y * head * 0.5, y: base.y - e.x * head * 0.5 };
    // the label sits just outside the curve's midpoint, on the side it bends to, so opposite arrows' labels part
    const n = { x: -dy / len, y: dx / len };
    const label = { x: 0.25 * start.x + 0.5 * c.x + 0.25 * base.x + n.x * 8, y: 0.25 * start.y + 0.5 * c.y + 0.25 * base.y + n.y * 8 + 4 };
    const anchor = n.x > 0.3 ? "start" : n.x < -0.3 ? "end" : "middle";
    const amount = formatAmount(f.amount.toString(), decimals);
    return html`<g class="flow" data-from="${f.from}" data-to="${f.to}" data-amount="${f.amount.toString()}"><title>${name(f.from)} paid ${name(f.to)} ${amount} ${symbol}</title><path d="M${r2(start.x)},${r2(start.y)} Q${r2(c.x)},${r2(c.y)} ${r2(base.x)},${r2(base.y)}" stroke-width="${r2(width)}"/><polygon points="${r2(tip.x)},${r2(tip.y)} ${r2(left.x)},${r2(left.y)} ${r2(right.x)},${r2(right.y)}"/><text x="${r2(label.x)}" y="${r2(label.y)}" text-anchor="${anchor}">${amount}</text></g>`;
  });
  const nodes = ids.map((id) => {
    const p = at.get(id)!;
    return html`<g class="node" data-supplier="${id}"><circle cx="${r2(p.x)}" cy="${r2(p.y)}" r="${NODE_R}"/><text x="${r2(p.x)}" y="${r2(p.y > cy ? p.y + NODE_R + 18 : p.y - NODE_R - 8)}" text-anchor="middle">${name(id)}</text></g>`;
  });
  return html`<svg data-testid="money-flow" viewBox="0 0 ${SIZE.width} ${SIZE.height}" role="img" aria-labelledby="flow-title" xmlns="http://www.w3.org/2000/svg"><title id="flow-title">Payments between suppliers for the period's claims: each arrow runs from the home supplier that paid to the host that was paid, in ${symbol}</title>${arrows}${nodes}</svg>`;
}
