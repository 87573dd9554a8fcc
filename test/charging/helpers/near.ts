/**
 * Float comparisons for tests. (The ethers chai matchers, loaded by other suites of the same
 * run, replace `closeTo` and the order assertions with bigint versions that refuse fractions.)
 */
import { expect } from "chai";

export function expectNear(actual: number | undefined, expected: number, tolerance: number, label = "value"): void {
  if (actual === undefined || !(Math.abs(actual - expected) <= tolerance)) {
    expect.fail(`${label}: expected ${actual} to be within ${tolerance} of ${expected}`);
  }
}

/** Asserts `actual <= bound` (or `>=` with `"atLeast"`). */
export function expectBound(actual: number | undefined, op: "atMost" | "atLeast" | "below" | "above", bound: number, label = "value"): void {
  const ok =
    actual !== undefined &&
    (op === "atMost" ? actual <= bound : op === "atLeast" ? actual >= bound : op === "below" ? actual < bound : actual > bound);
  if (!ok) expect.fail(`${label}: expected ${actual} to be ${op} ${bound}`);
}
