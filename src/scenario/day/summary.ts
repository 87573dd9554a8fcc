/** The readable end of a day: what happened, in a few dozen lines, from the report alone. */
import { describeAncillary } from "../../report/format.js";
import { kwhOfWh } from "../../report/homeBill.js";
import type { DayReport } from "../../report/schema.js";
import { loadChart } from "./grid.js";

const pad = (s: string, n: number) => s.padEnd(n);

/** Micro-units (six decimals) as a decimal amount. */
function amount(units: string, decimals: number): string {
  const negative = units.startsWith("-");
  const digits = (negative ? units.slice(1) : units).padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  return `${negative ? "-" : ""}${whole}.${digits.slice(digits.length - decimals)}`;
}

export function summaryLines(r: DayReport): string[] {
  const name = (id: string) => r.parties.suppliers.find((s) => s.id === id)?.name ?? r.parties.aggregators.find((a) => a.id === id)?.name ?? id;
  const { token } = r.settlement;
  const lines: string[] = [];
  const h = (title: string) => lines.push("", title);
  lines.push(`A day of V2G roaming (seed ${r.run.seed}): ${r.parties.suppliers.length} suppliers, ${r.parties.aggregators.length} aggregators, ${r.parties.vehicles} vehicles on ${r.run.network.name} (chain ${r.run.network.chainId})`);

  h("Sessions");
  lines.push(`  ${r.sessions.total} sessions (${r.sessions.roaming} roaming), ${r.sessions.energyKWh.toFixed(1)} kWh charged, ${r.sessions.dischargedKWh.toFixed(1)} kWh discharged (V2G), ${r.sessions.infeasible} requests met only in part`);
  lines.push(`  by aggregator: ${Object.entries(r.sessions.byAggregator).map(([id, n]) => `${name(id)} ${n}`).join(", ")}`);
  lines.push(`  authentications: ${r.authentication.accepted} of ${r.authentication.attempts} accepted (rings of ${r.authentication.ringSize}); refused: ${Object.entries(r.authentication.refused).map(([c, n]) => `${n} ${c}`).join(", ") || "none"}`);
  lines.push(`  discharge requests: ${r.discharge.requested} asked, ${r.discharge.accepted} accepted, ${r.discharge.declined} declined`);
  lines.push(`  TSO event ${r.ancillary.from.slice(11, 16)}–${r.ancillary.to.slice(11, 16)}: ${describeAncillary(r.ancillary)}`);

  h("Evidence");
  lines.push(`  ${r.evidence.messages} signed messages, ${r.evidence.receipts} receipts in ${r.evidence.stores.length} stores; ${r.evidence.anchoredRoots} batch roots anchored`);

  h("Load against the feeder limit (kW; # scheduled import, - feeder limit, ! uncontrolled above the limit)");
  const over = r.load.importKw.filter((k, t) => k > r.load.feederLimitKw[t]! + 1e-9).length;
  const overUncontrolled = r.load.uncontrolledKw.filter((k, t) => k > r.load.feederLimitKw[t]! + 1e-9).length;
  for (const l of loadChart(r.load)) lines.push(`  ${l}`);
  lines.push(`  scheduled import above the limit in ${over} of ${r.load.importKw.length} quarters; uncontrolled charging would be in ${overUncontrolled}`);

  h("Gas by operation");
  for (const g of r.gas) lines.push(`  ${pad(g.operation, 34)} ${String(g.count).padStart(5)} × ${g.mean.padStart(8)} = ${g.total}`);

  h(`Net settlement per supplier (${token.symbol})`);
  for (const n of r.settlement.net) lines.push(`  ${pad(name(n.supplier), 14)} received ${amount(n.received, token.decimals).padStart(12)}  paid ${amount(n.paid, token.decimals).padStart(12)}  net ${amount(n.net, token.decimals).padStart(12)}  withdrawn ${amount(n.withdrawn, token.decimals)}`);

  const pay = r.payments;
  h(`Payments and bills (${token.symbol})`);
  for (const f of pay.flows) lines.push(`  ${pad(`${f.flow} (${f.payer} → ${f.payee})`, 34)} ${String(f.count).padStart(5)} × ${amount(f.total, token.decimals).padStart(12)}`);
  lines.push(`  ${pay.receipted} payments receipted; refused: ${Object.entries(pay.refused).map(([why, n]) => `${n} ${why}`).join(", ") || "none"}`);
  for (const s of pay.suppliers) lines.push(`  ${pad(name(s.supplier), 14)} ${String(s.customers).padStart(4)} bills: owed ${amount(s.energy, token.decimals).padStart(10)}  discharge ${amount(s.dischargeCredit, token.decimals).padStart(9)}  ancillary ${amount(s.ancillaryCredit, token.decimals).padStart(9)}  net ${amount(s.net, token.decimals).padStart(10)}`);

  const home = r.homeBill;
  lines.push(`  home bill of ${home.host} at ${name(home.supplier)}: smart meter ${kwhOfWh(home.meterTotalWh)} kWh − ${home.guest}'s roaming ${kwhOfWh(home.roamingWh)} kWh (claimed from ${name(home.guestSupplier)}) = ${kwhOfWh(home.billedWh)} kWh billed, ${amount(home.amount, token.decimals)}`);

  h("The dispute");
  const d = r.dispute;
  lines.push(`  claim ${d.claimId}: ${name(d.raisedBy)} disputed CDR ${d.cdrDigest.slice(0, 12)}… (${d.reason}); ${d.arbiter} ruled from the evidence bundle: ${d.outcome}`);
  lines.push(`  claimed ${amount(d.amountClaimed, token.decimals)}, paid ${amount(d.amountPaid, token.decimals)}; ${d.evidence.length} evidence items, ${d.evidence.filter((e) => e.verdict === "valid").length} valid`);
  lines.push(`  escrow opening: ${r.escrowOpening.approvals} of ${r.escrowOpening.threshold} arbiter approvals, ${r.escrowOpening.opened ? "opened" : "not opened"}: ${r.escrowOpening.revealed}`);

  h("Who could learn what");
  for (const p of r.privacy) {
    lines.push(`  ${p.party}: learned ${p.learned.join("; ")}`);
    lines.push(`  ${"".padEnd(p.party.length)}  could not learn ${p.couldNotLearn.join("; ")}`);
  }

  h("Left in place");
  lines.push(`  ${r.outputs.reportJson}, ${r.outputs.reportHtml}, ${r.outputs.deployments}, ${r.outputs.stores.length} evidence stores under ${r.outputs.stores[0]?.split("/").slice(0, -1).join("/") ?? "-"}`);
  lines.push(`  inspect the dispute: ${d.command}`);
  lines.push(`  the day took ${r.run.wallSeconds.toFixed(1)} s`);
  return lines;
}
