/** An independent LP solver for cross-checks: the same `LinearProgram` solved by GLPK (glpk.js). */
import GLPK, { type LP } from "glpk.js/node";
import type { LinearProgram } from "../../../src/charging/lp.js";

type Glpk = Awaited<ReturnType<typeof GLPK>>;
let glpk: Promise<Glpk> | undefined;
export const loadGlpk = (): Promise<Glpk> => (glpk ??= GLPK());

function bounds(g: Glpk, lo: number, hi: number): { type: number; lb: number; ub: number } {
  const hasLo = lo > -Infinity;
  const hasHi = hi < Infinity;
  if (hasLo && hasHi) return { type: lo === hi ? g.GLP_FX : g.GLP_DB, lb: lo, ub: hi };
  if (hasLo) return { type: g.GLP_LO, lb: lo, ub: 0 };
  if (hasHi) return { type: g.GLP_UP, lb: 0, ub: hi };
  return { type: g.GLP_FR, lb: 0, ub: 0 };
}

export function toGlpk(g: Glpk, lp: LinearProgram): LP {
  const rows: { name: string; coef: number }[][] = Array.from({ length: lp.numRows }, () => []);
  for (let j = 0; j < lp.numCols; j++) {
    for (let k = lp.starts[j]!; k < lp.starts[j + 1]!; k++) rows[lp.indices[k]!]!.push({ name: `x${j}`, coef: lp.values[k]! });
  }
  return {
    name: "fleet",
    objective: {
      direction: g.GLP_MIN,
      name: "cost",
      vars: Array.from(lp.colCost, (coef, j) => ({ name: `x${j}`, coef })),
    },
    subjectTo: rows.map((vars, i) => ({ name: `r${i}`, vars, bnds: bounds(g, lp.rowLower[i]!, lp.rowUpper[i]!) })),
    bounds: Array.from(lp.colCost, (_, j) => ({ name: `x${j}`, ...bounds(g, lp.colLower[j]!, lp.colUpper[j]!) })),
  };
}

export interface GlpkOutcome {
  optimal: boolean;
  objective: number;
  x: Float64Array;
  solveMs: number;
}

export async function solveWithGlpk(lp: LinearProgram): Promise<GlpkOutcome> {
  const g = await loadGlpk();
  const model = toGlpk(g, lp);
  const t0 = performance.now();
  const out = g.solve(model, { msglev: g.GLP_MSG_OFF });
  const solveMs = performance.now() - t0;
  const x = Float64Array.from({ length: lp.numCols }, (_, j) => out.result.vars[`x${j}`] ?? 0);
  return { optimal: out.result.status === g.GLP_OPT, objective: out.result.z, x, solveMs };
}
