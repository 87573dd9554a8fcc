/** The benchmark result format: `{ "metrics": { NAME: { "value": number, "unit": string } } }`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type Metrics = Record<string, { value: number; unit: string }>;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function writeMetrics(path: string, metrics: Metrics): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ metrics }, null, 2) + "\n");
  const width = Math.max(...Object.keys(metrics).map((k) => k.length));
  for (const [name, { value, unit }] of Object.entries(metrics)) {
    console.log(`${name.padEnd(width)}  ${Number.isInteger(value) ? value : value.toFixed(3)} ${unit}`);
  }
  console.log(`wrote ${path}`);
}
