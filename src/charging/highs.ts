/**
 * The HiGHS LP solver (WebAssembly), through its sparse-array model API only: its LP-text
 * parser misreads two-sided rows. One runtime per thread, loaded once (start-up costs ~2 s).
 * `solveWithHighs` is synchronous and blocks its thread: services use `ScheduleService`,
 * which runs it in a worker.
 */
import highsModule, { type Highs, type InitOptions } from "highs";
import { ChargingError } from "./errors.js";
import type { LinearProgram, LpBasis } from "./lp.js";
import type { CutRow } from "./fleetModel.js";

// The package's types are CommonJS-shaped; its ESM build exports the loader as `default`.
const highsLoader = highsModule as unknown as (options?: InitOptions) => Promise<Highs>;
let runtime: Promise<Highs> | undefined;

/** The thread's HiGHS runtime (loaded on first use). */
export function loadHighs(): Promise<Highs> {
  runtime ??= highsLoader();
  return runtime;
}

/** "primal": primal simplex (HiGHS `simplex_strategy` 4), measured fastest on the fleet LP up to ~100 vehicles. */
export type LpAlgorithm = "choose" | "simplex" | "primal" | "ipm";

export type LpOutcome =
  | { status: "optimal"; objective: number; x: Float64Array; solveMs: number; rounds: number; cuts: number; iterations: number }
  | { status: "infeasible"; solveMs: number };

/** Rounds of cutting a lazy model may take before the solve is given up as a bug. */
const MAX_ROUNDS = 64;

/** HiGHS' default primal feasibility tolerance: how far a row activity may lie outside its bounds. */
const FEASIBILITY_TOLERANCE = 1e-7;

/**
 * An LP without columns (a fleet with no vehicle): HiGHS answers it with its status "empty" and
 * no solution. Every row's activity is 0, so it is optimal at objective 0 when every row admits 0,
 * and infeasible otherwise (an ancillary command that no vehicle is there to deliver).
 */
function withoutColumns(lp: LinearProgram): LpOutcome {
  for (let i = 0; i < lp.numRows; i++) {
    if (lp.rowLower[i]! > FEASIBILITY_TOLERANCE || lp.rowUpper[i]! < -FEASIBILITY_TOLERANCE) return { status: "infeasible", solveMs: 0 };
  }
  return { status: "optimal", objective: 0, x: new Float64Array(0), solveMs: 0, rounds: 1, cuts: 0, iterations: 0 };
}

const inf = (v: number, highs: Highs): number => (v === Infinity ? highs.infinity : v === -Infinity ? -highs.infinity : v);

/** Bounds in HiGHS' infinity: this build's is IEEE infinity, so the arrays go as they are (no copy). */
const bounds = (a: Float64Array, highs: Highs): Float64Array => (highs.infinity === Infinity ? a : a.map((v) => inf(v, highs)));

/**
 * Solves `lp` with HiGHS. With `separate` (a lazy model), rows it returns for an optimal solution
 * are added and the LP is solved again from the previous basis, until it returns none. With
 * `start`, the first solve begins from that basis (without presolve, which would discard it).
 * Throws `ChargingError("SOLVER")` for any status but optimal or infeasible, or when cutting does
 * not end.
 */
export function solveWithHighs(
  highs: Highs,
  lp: LinearProgram,
  algorithm: LpAlgorithm = "choose",
  separate: (x: Float64Array) => CutRow[] = () => [],
  start?: LpBasis,
): LpOutcome {
  if (lp.numCols === 0) return withoutColumns(lp);
  const model = highs.createModel({
    numCols: lp.numCols,
    numRows: lp.numRows,
    colCost: lp.colCost,
    colLower: bounds(lp.colLower, highs),
    colUpper: bounds(lp.colUpper, highs),
    rowLower: bounds(lp.rowLower, highs),
    rowUpper: bounds(lp.rowUpper, highs),
    matrix: {
      format: "csc",
      numRows: lp.numRows,
      numCols: lp.numCols,
      starts: lp.starts,
      indices: lp.indices,
      values: lp.values,
    },
  });
  try {
    if (algorithm === "primal") model.options.set({ output_flag: false, solver: "simplex", simplex_strategy: 4 });
    else model.options.set({ output_flag: false, solver: algorithm });
    if (start !== undefined) {
      model.options.set({ presolve: "off" });
      model.setBasis(start);
    }
    const t0 = performance.now();
    const codes = highs.constants.modelStatus;
    let cuts = 0;
    let iterations = 0;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      model.run();
      iterations += Number(model.info.get("simplex_iteration_count"));
      const status = model.getModelStatus();
      if (status === codes.infeasible) return { status: "infeasible", solveMs: performance.now() - t0 };
      if (status !== codes.optimal) throw new ChargingError("SOLVER", "HiGHS did not prove optimality or infeasibility", { status });
      const x = model.getSolution().colValue;
      const rows = separate(x);
      if (rows.length === 0) {
        return { status: "optimal", objective: model.getObjectiveValue(), x, solveMs: performance.now() - t0, rounds: round, cuts, iterations };
      }
      // Added rows leave the basis dual feasible: the dual simplex goes on from it.
      if (round === 1) model.options.set({ solver: "simplex", simplex_strategy: 1 });
      for (const r of rows) model.addRow(inf(r.lower, highs), inf(r.upper, highs), { indices: r.indices, values: r.values });
      cuts += rows.length;
    }
    throw new ChargingError("SOLVER", "the state-of-charge cuts did not converge", { rounds: MAX_ROUNDS, cuts });
  } finally {
    model.dispose();
  }
}
