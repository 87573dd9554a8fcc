/** Names of the report's parties for display: an id becomes "Name (id)" when the report names it. */
import type { DayReport } from "./schema.js";

export type PartyNames = (id: string) => string;

export function partyNames(report: DayReport): PartyNames {
  const names = new Map<string, string>();
  for (const p of [...report.parties.suppliers, ...report.parties.aggregators]) names.set(p.id, p.name);
  return (id) => names.get(id) ?? id;
}
