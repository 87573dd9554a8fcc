/**
 * Every party's evidence store, one SQLite file each under `<out>/stores/`: suppliers,
 * aggregators, metering sites and users. They are left in place after the day (the dispute can be
 * shown from them); `anchorAll` batches and anchors each store's evidence with its party's account.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Signer } from "ethers";
import { anchorNextBatch } from "../../evidence/anchor.js";
import { EvidenceStore } from "../../evidence/store.js";
import type { GasBook } from "./gas.js";

export interface PartyStore {
  readonly party: string;
  readonly path: string;
  readonly store: EvidenceStore;
  /** The account that anchors its batches (users have none: their evidence is anchored by no one). */
  readonly anchorer?: Signer;
}

export class DayStores {
  private readonly all: PartyStore[] = [];

  constructor(
    readonly dir: string,
    private readonly domain: { chainId: bigint; verifyingContract: string },
  ) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "users"), { recursive: true });
  }

  open(party: string, file: string, anchorer?: Signer): EvidenceStore {
    const path = join(this.dir, file);
    const store = EvidenceStore.open(path, { domain: this.domain });
    this.all.push({ party, path, store, ...(anchorer === undefined ? {} : { anchorer }) });
    return store;
  }

  get entries(): readonly PartyStore[] {
    return this.all;
  }

  /** Anchors every pending batch (messages, then receipts) of every store with an anchorer. */
  async anchorAll(gas: GasBook): Promise<{ batches: number; roots: number }> {
    let batches = 0;
    for (const s of this.all) {
      if (s.anchorer === undefined) continue;
      for (const kind of ["Messages", "Receipts"] as const) {
        const batch = await anchorNextBatch(s.store, s.anchorer, { kind });
        if (batch?.anchor === undefined || batch.anchor === null) continue;
        const receipt = await s.anchorer.provider!.getTransactionReceipt(batch.anchor.txHash);
        gas.addReceipt(`anchorBatch ${kind}`, receipt);
        batches++;
      }
    }
    return { batches, roots: batches };
  }

  /**
   * Runs `fn` with every store's writes batched: each store commits its part once when `fn`
   * resolves (whole or not at all per store), and nothing when it rejects.
   */
  batch<T>(fn: () => Promise<T>): Promise<T> {
    return this.all.reduce<() => Promise<T>>((inner, s) => () => s.store.batch(inner), fn)();
  }

  /** Items per store, for the report. */
  summary(): { party: string; path: string; items: number }[] {
    return this.all.map((s) => {
      const c = s.store.counts();
      return { party: s.party, path: s.path, items: c.messages + c.receipts };
    });
  }

  close(): void {
    for (const s of this.all) s.store.close();
  }
}
