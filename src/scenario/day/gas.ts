/** Gas used by the day's transactions, by operation: the report's `gas` table. */
import type { TransactionReceipt } from "ethers";
import type { GasEntry } from "../../report/schema.js";

export class GasBook {
  private readonly byOperation = new Map<string, { count: number; total: bigint }>();

  /** Adds one transaction's gas under `operation`. */
  add(operation: string, gasUsed: bigint): void {
    const e = this.byOperation.get(operation) ?? { count: 0, total: 0n };
    e.count += 1;
    e.total += gasUsed;
    this.byOperation.set(operation, e);
  }

  /** Adds a mined receipt (a null receipt is a bug of the caller: the write did not happen). */
  addReceipt(operation: string, receipt: Pick<TransactionReceipt, "gasUsed"> | null): void {
    if (receipt === null) throw new Error(`no receipt for ${operation}`);
    this.add(operation, receipt.gasUsed);
  }

  /** Merges entries in the report's shape (e.g. the settlement's). */
  addEntries(entries: readonly GasEntry[]): void {
    for (const g of entries) {
      const e = this.byOperation.get(g.operation) ?? { count: 0, total: 0n };
      e.count += g.count;
      e.total += BigInt(g.total);
      this.byOperation.set(g.operation, e);
    }
  }

  entries(): GasEntry[] {
    return [...this.byOperation.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([operation, { count, total }]) => ({ operation, count, total: total.toString(), mean: (total / BigInt(count)).toString() }));
  }
}
