/**
 * Brute-force LP optimum for tiny programs: enumerate every vertex (each choice of active
 * constraints that fixes all variables), keep the feasible ones, take the least cost.
 * Bounded programs only (every column has finite bounds).
 */
import { objectiveValue, rowActivities, type LinearProgram } from "../../../src/charging/lp.js";

interface Plane {
  coef: Float64Array;
  rhs: number;
}

export interface BruteForceResult {
  feasible: boolean;
  objective: number;
  vertices: number;
}

function solveSquare(planes: Plane[], n: number): Float64Array | undefined {
  const a = planes.map((p) => [...p.coef, p.rhs]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-10) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      if (f !== 0) for (let k = col; k <= n; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i]![n]! / a[i]![i]!);
}

export function bruteForceLp(lp: LinearProgram, tol = 1e-7): BruteForceResult {
  const n = lp.numCols;
  const dense: Float64Array[] = Array.from({ length: lp.numRows }, () => new Float64Array(n));
  for (let j = 0; j < n; j++) for (let k = lp.starts[j]!; k < lp.starts[j + 1]!; k++) dense[lp.indices[k]!]![j] = lp.values[k]!;
  const equalities: Plane[] = [];
  const inequalities: Plane[] = [];
  for (let i = 0; i < lp.numRows; i++) {
    const lo = lp.rowLower[i]!;
    const hi = lp.rowUpper[i]!;
    if (lo === hi) equalities.push({ coef: dense[i]!, rhs: lo });
    else {
      if (lo > -Infinity) inequalities.push({ coef: dense[i]!, rhs: lo });
      if (hi < Infinity) inequalities.push({ coef: dense[i]!, rhs: hi });
    }
  }
  for (let j = 0; j < n; j++) {
    const unit = new Float64Array(n);
    unit[j] = 1;
    if (!Number.isFinite(lp.colLower[j]!) || !Number.isFinite(lp.colUpper[j]!)) throw new Error("brute force needs bounded columns");
    if (lp.colLower[j] === lp.colUpper[j]) equalities.push({ coef: unit, rhs: lp.colLower[j]! });
    else inequalities.push({ coef: unit, rhs: lp.colLower[j]! }, { coef: unit, rhs: lp.colUpper[j]! });
  }
  const pick = n - equalities.length;
  if (pick < 0) throw new Error("more equalities than variables");
  let combos = 1;
  for (let k = 0; k < pick; k++) combos = (combos * (inequalities.length - k)) / (k + 1);
  if (combos > 2e6) throw new Error(`too many vertices to enumerate (${combos})`);
  let best = Infinity;
  let vertices = 0;
  const chosen: number[] = [];
  const feasible = (x: Float64Array): boolean => {
    const ax = rowActivities(lp, x);
    for (let i = 0; i < lp.numRows; i++) if (ax[i]! < lp.rowLower[i]! - tol || ax[i]! > lp.rowUpper[i]! + tol) return false;
    for (let j = 0; j < n; j++) if (x[j]! < lp.colLower[j]! - tol || x[j]! > lp.colUpper[j]! + tol) return false;
    return true;
  };
  const visit = (from: number): void => {
    if (chosen.length === pick) {
      const x = solveSquare([...equalities, ...chosen.map((k) => inequalities[k]!)], n);
      if (x !== undefined && feasible(x)) {
        vertices++;
        best = Math.min(best, objectiveValue(lp, x));
      }
      return;
    }
    for (let k = from; k <= inequalities.length - (pick - chosen.length); k++) {
      chosen.push(k);
      visit(k + 1);
      chosen.pop();
    }
  };
  visit(0);
  return { feasible: vertices > 0, objective: best, vertices };
}
