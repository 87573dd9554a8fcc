/**
 * How the page writes the report's values: token amounts from their decimal strings (exact, no
 * floating point), gas with digit grouping, simulated times as the clock time of the day (UTC), and
 * power in kW. Every function is pure and returns plain text (escaped where it is placed).
 */

/** `1234567` → `1,234,567` (a decimal integer string, optionally negative). */
export function groupDigits(decimal: string): string {
  const negative = decimal.startsWith("-");
  const digits = negative ? decimal.slice(1) : decimal;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return negative ? `−${grouped}` : grouped;
}

/**
 * A token amount in base units as a decimal number of whole tokens: `formatAmount("1250000", 6)`
 * is `1.25`; at least two decimals are kept (`2.00`), trailing zeros beyond them are dropped.
 */
export function formatAmount(units: string, decimals: number): string {
  let value = BigInt(units);
  const negative = value < 0n;
  if (negative) value = -value;
  const scale = 10n ** BigInt(decimals);
  const whole = groupDigits((value / scale).toString());
  let fraction = decimals === 0 ? "" : (value % scale).toString().padStart(decimals, "0");
  while (fraction.length > 2 && fraction.endsWith("0")) fraction = fraction.slice(0, -1);
  return `${negative ? "−" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

/** A signed amount with an explicit sign for positive values (`+1.25`, `−0.50`, `0.00`). */
export function formatSignedAmount(units: string, decimals: number): string {
  const text = formatAmount(units, decimals);
  return BigInt(units) > 0n ? `+${text}` : text;
}

/** The sum of decimal strings, as a decimal string. */
export function sumDecimals(values: readonly string[]): string {
  return values.reduce((sum, v) => sum + BigInt(v), 0n).toString();
}

/** Clock time `HH:MM` (UTC) of an ISO time, with `+Nd` when it falls N days after the day's start. */
export function clockTime(iso: string, dayStart: string): string {
  const at = new Date(iso);
  const dayMs = 86_400_000;
  const day = Math.floor((at.getTime() - Math.floor(new Date(dayStart).getTime() / dayMs) * dayMs) / dayMs);
  const hhmm = at.toISOString().slice(11, 16);
  return day === 0 ? hhmm : `${hhmm} ${day > 0 ? "+" : "−"}${Math.abs(day)}d`;
}

/** kW with one decimal (`12.5 kW`). */
export function formatKw(kw: number): string {
  return `${kw.toFixed(1)} kW`;
}

/** A signed demand change, `−6.0 kW` / `+2.5 kW` (negative: less demand). */
export function formatSignedKw(kw: number): string {
  const rounded = Number(kw.toFixed(1));
  return `${rounded > 0 ? "+" : rounded < 0 ? "−" : ""}${formatKw(Math.abs(rounded))}`;
}

/** Why a fleet took less of a TSO command than asked, in words. */
export function ancillaryShortfallWords(reason: "targets" | "limits"): string {
  return reason === "targets" ? "more would leave vehicles short of their departure targets" : "more is beyond the limits of the chargers, batteries and feeder";
}

/** The ancillary event's figures in words: the command, the change delivered and any shortfall with its reason. */
export function describeAncillary(a: { deltaKw: number; deliveredKw: number; shortfallKw: number; shortfallReason: "targets" | "limits" | null; pseudonyms: number }): string {
  const short = a.shortfallReason === null ? "taken whole" : `${formatKw(a.shortfallKw)} not taken: ${ancillaryShortfallWords(a.shortfallReason)}`;
  return `demand change asked ${formatSignedKw(a.deltaKw)}, delivered ${formatSignedKw(a.deliveredKw)} against the schedules in force (${short}) by ${a.pseudonyms} pseudonym${a.pseudonyms === 1 ? "" : "s"}`;
}

/** Wall-clock seconds as `12.3 s` or `4 min 05 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
}
