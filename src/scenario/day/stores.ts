/**
 * Every party's evidence store, one SQLite file each under `<out>/stores/`: suppliers,
 * aggregators, metering sites and users. They are left in place after the day (the dispute can be
 * shown from them). Each store's evidence is anchored with its party's account on a cadence that
 * keeps every message's first anchor before its expiry (`anchorDue`, after each quarter-hour's
 * evidence is committed: only the stores holding a message no store anchored yet that would
 * expire before the next round), and whatever is left at the end of the day (`anchorAll`).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Signer } from "ethers";
import { anchorNextBatch } from "../../evidence/anchor.js";
import type { AnchorKindName } from "../../evidence/types.js";
import { EvidenceStore, type AnchorInfo } from "../../evidence/store.js";
import type { DayClock } from "./clock.js";
import { DayError } from "./errors.js";
import type { GasBook } from "./gas.js";
import type { DayChain } from "./world.js";

/**
 * Chain seconds one round of anchoring may take after the round's time: each anchoring mines a
 * block at least a second after the previous one. A message expiring before the next round's
 * time plus this margin is anchored in this round.
 */
export const ANCHOR_ROUND_MARGIN_SECONDS = 120n;

export interface PartyStore {
  readonly party: string;
  readonly path: string;
  readonly store: EvidenceStore;
  /** The account that anchors its batches (users have none: their evidence is anchored by no one). */
  readonly anchorer?: Signer;
}

export class DayStores {
  private readonly all: PartyStore[] = [];

  /**
   * `ledgerBlock` is the ledger's deployment block: where a search for an anchor made earlier (by a
   * run that crashed before recording it) starts, since no anchor can precede it.
   */
  constructor(
    readonly dir: string,
    private readonly domain: { chainId: bigint; verifyingContract: string },
    private readonly ledgerBlock: number,
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

  /**
   * One round of the cadence, at the clock's time (the chain is brought to it first). A message is
   * due when it is not anchored yet and expires before `nextRound` plus the margin; each due
   * message is anchored by the first store with an anchorer that holds it (in the order the stores
   * were opened: a CSEV by the aggregator that sent it rather than again by the site that
   * receipted it), so a whole-session bundle finds every message first anchored before it expired.
   * The stores with a due message anchor their pending messages together. Returns the batches.
   */
  async anchorDue(nextRound: bigint, day: { clock: DayClock; chain: DayChain; gas: GasBook }): Promise<number> {
    const by = nextRound + ANCHOR_ROUND_MARGIN_SECONDS;
    const taken = new Set<string>();
    const due = this.all.flatMap((s) => {
      if (s.anchorer === undefined) return [];
      const mine = s.store.batches.unanchoredExpiring(by).filter((m) => !this.anchored.has(m.digest) && !taken.has(m.digest));
      mine.forEach((m) => taken.add(m.digest));
      return mine.length === 0 ? [] : [{ s, mine }];
    });
    if (due.length === 0) return 0;
    await day.clock.syncChain(day.chain);
    // Each store anchors with its own account: the round's transactions go out together.
    const anchors = await Promise.all(due.map(({ s }) => this.anchorPending(s, "Messages", day.gas)));
    // The cadence's promise, checked: every due message anchored, none after it expired (a chain
    // whose clock ran ahead of the day's would make the evidence `expired`).
    due.forEach(({ s, mine }, i) => {
      const anchor = anchors[i] ?? null;
      const missed = mine.find((m) => !this.anchored.has(m.digest));
      if (anchor === null || missed !== undefined) {
        throw new DayError("FAILED", "a store's due messages were not anchored", { party: s.party, digest: missed?.digest ?? mine[0]!.digest });
      }
      const soonest = mine[0]!.expiresAt;
      if (BigInt(anchor.blockTime) > soonest) {
        throw new DayError("FAILED", "a store's messages were anchored after one of them expired (the chain's clock is ahead of the day's)", { party: s.party, anchoredAt: anchor.blockTime, expiresAt: soonest.toString() });
      }
    });
    const batches = anchors.filter((a) => a !== null).length;
    this.anchoredSoFar += batches;
    return batches;
  }

  /**
   * Anchors every pending batch (messages, then receipts) of every store with an anchorer.
   * Returns the day's totals: the batches of this call and of every earlier `anchorDue` round.
   */
  async anchorAll(gas: GasBook): Promise<{ batches: number; roots: number; atEnd: number }> {
    let atEnd = 0;
    for (const s of this.all) {
      for (const kind of ["Messages", "Receipts"] as const) if ((await this.anchorPending(s, kind, gas)) !== null) atEnd++;
    }
    this.anchoredSoFar += atEnd;
    return { batches: this.anchoredSoFar, roots: this.anchoredSoFar, atEnd };
  }

  private anchoredSoFar = 0;
  /** Every message digest some store of the day anchored. */
  private readonly anchored = new Set<string>();

  /** Anchors `s`'s pending digests of `kind` in one batch; null if there were none or it has no anchorer. */
  private async anchorPending(s: PartyStore, kind: AnchorKindName, gas: GasBook): Promise<AnchorInfo | null> {
    if (s.anchorer === undefined) return null;
    const batch = await anchorNextBatch(s.store, s.anchorer, { kind, fromBlock: this.ledgerBlock });
    if (batch?.anchor === undefined || batch.anchor === null) return null;
    if (kind === "Messages") batch.leaves.forEach((d) => this.anchored.add(d));
    const receipt = await s.anchorer.provider!.getTransactionReceipt(batch.anchor.txHash);
    gas.addReceipt(`anchorBatch ${kind}`, receipt);
    return batch.anchor;
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
