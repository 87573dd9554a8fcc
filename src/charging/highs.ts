/**
 * The HiGHS LP solver (WebAssembly), through its sparse-array model API only: its LP-text
 * parser misreads two-sided rows. One runtime per thread, loaded once (start-up costs ~2 s).
 * `solveWithHighs` is synchronous and blocks its thread: services use `ScheduleService`,
 * which runs it in a worker.
 */
import highsModule, { type Highs, type InitOptions } from "highs";
import { ChargingError } from "./errors.js";
import type { LinearProgram } from "./lp.js";

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
  | { status: "optimal"; objective: number; x: Float64Array; solveMs: number }
  | { status: "infeasible"; solveMs: number };

const inf = (v: number, highs: Highs): number => (v === Infinity ? highs.infinity : v === -Infinity ? -highs.infinity : v);

/** Solves `lp` with HiGHS. Throws `ChargingError("SOLVER")` for any status but optimal or infeasible. */
export function solveWithHighs(highs: Highs, lp: LinearProgram, algorithm: LpAlgorithm = "choose"): LpOutcome {
  const model = highs.createModel({
    numCols: lp.numCols,
    numRows: lp.numRows,
    colCost: lp.colCost,
    colLower: lp.colLower.map((v) => inf(v, highs)),
    colUpper: lp.colUpper.map((v) => inf(v, highs)),
    rowLower: lp.rowLower.map((v) => inf(v, highs)),
    rowUpper: lp.rowUpper.map((v) => inf(v, highs)),
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
    const t0 = performance.now();
    model.run();
    const solveMs = performance.now() - t0;
    const status = model.getModelStatus();
    const codes = highs.constants.modelStatus;
    if (status === codes.optimal) {
      return { status: "optimal", objective: model.getObjectiveValue(), x: model.getSolution().colValue, solveMs };
    }
    if (status === codes.infeasible) return { status: "infeasible", solveMs };
    throw new ChargingError("SOLVER", "HiGHS did not prove optimality or infeasibility", { status });
  } finally {
    model.dispose();
  }
}
