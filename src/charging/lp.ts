/**
 * A solver-neutral linear program: `min c'x` subject to `rowLower <= A x <= rowUpper` and
 * `colLower <= x <= colUpper`, with `A` in compressed sparse column form. Built once,
 * handed to HiGHS (and, in tests and benchmarks, to an independent solver).
 */

export interface LinearProgram {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  /** CSC: column j holds entries `starts[j] .. starts[j+1]-1` of `indices` (rows) and `values`. */
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/** Where a column or a row slack starts in a simplex basis (HiGHS' codes). */
export const BasisStatus = { lower: 0, basic: 1, upper: 2 } as const;
export type BasisStatus = (typeof BasisStatus)[keyof typeof BasisStatus];

/**
 * A starting basis: exactly `numRows` of the columns and row slacks basic, every other one at
 * its lower or upper bound. Only a start: the solver proves optimality from wherever it leads.
 */
export interface LpBasis {
  colStatus: Int32Array;
  rowStatus: Int32Array;
}

/** Builds a `LinearProgram` column by column; rows are declared first or on the fly. */
export class LpBuilder {
  private readonly cost: number[] = [];
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];
  private readonly rLower: number[] = [];
  private readonly rUpper: number[] = [];
  private readonly starts: number[] = [0];
  private readonly idx: number[] = [];
  private readonly val: number[] = [];

  /** Adds a row with bounds (use ±Infinity for none); returns its index. */
  addRow(lower: number, upper: number): number {
    this.rLower.push(lower);
    this.rUpper.push(upper);
    return this.rLower.length - 1;
  }

  /** Narrows the bounds of an existing row. */
  tightenRow(row: number, lower: number, upper: number): void {
    this.rLower[row] = Math.max(this.rLower[row]!, lower);
    this.rUpper[row] = Math.min(this.rUpper[row]!, upper);
  }

  /** Adds a column with its cost, bounds and (row, coefficient) entries; returns its index. */
  addCol(cost: number, lower: number, upper: number, entries: readonly (readonly [number, number])[]): number {
    // A column has a handful of entries: pairwise checks find a repeated row without a Set per
    // column, before anything is added (a refused column leaves the builder as it was).
    for (let a = 0; a < entries.length; a++) {
      if (entries[a]![1] === 0) continue;
      for (let b = 0; b < a; b++) {
        if (entries[b]![1] !== 0 && entries[b]![0] === entries[a]![0]) throw new Error(`row ${entries[a]![0]} appears twice in one column`);
      }
    }
    this.cost.push(cost);
    this.lower.push(lower);
    this.upper.push(upper);
    for (const [row, coef] of entries) {
      if (coef === 0) continue;
      this.idx.push(row);
      this.val.push(coef);
    }
    this.starts.push(this.idx.length);
    return this.cost.length - 1;
  }

  build(): LinearProgram {
    return {
      numCols: this.cost.length,
      numRows: this.rLower.length,
      colCost: Float64Array.from(this.cost),
      colLower: Float64Array.from(this.lower),
      colUpper: Float64Array.from(this.upper),
      rowLower: Float64Array.from(this.rLower),
      rowUpper: Float64Array.from(this.rUpper),
      starts: Int32Array.from(this.starts),
      indices: Int32Array.from(this.idx),
      values: Float64Array.from(this.val),
    };
  }
}

/** Row activities `A x` of a solution. */
export function rowActivities(lp: LinearProgram, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(lp.numRows);
  for (let j = 0; j < lp.numCols; j++) {
    const xj = x[j]!;
    if (xj === 0) continue;
    for (let k = lp.starts[j]!; k < lp.starts[j + 1]!; k++) out[lp.indices[k]!]! += lp.values[k]! * xj;
  }
  return out;
}

/** Objective value `c'x`. */
export function objectiveValue(lp: LinearProgram, x: ArrayLike<number>): number {
  let z = 0;
  for (let j = 0; j < lp.numCols; j++) z += lp.colCost[j]! * x[j]!;
  return z;
}
