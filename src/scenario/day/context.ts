/**
 * What the steps of a day share: the options, the seeded generator, the clock, the parties and
 * their stores, the chain's contracts and key directory, the gas book, the timeline and the
 * progress output. Built once by `runDay`.
 */
import type { TypedDataDomain } from "ethers";
import type { FlowParty, FlowSequences } from "../../charging/flowEvidence.js";
import type { KeyDirectory } from "../../charging/keyDirectory.js";
import type { EvidenceStore } from "../../evidence/store.js";
import type { TimelineEntry } from "../../report/schema.js";
import type { DayClock } from "./clock.js";
import type { GasBook } from "./gas.js";
import type { DayOptions } from "./options.js";
import type { Participant, Parties } from "./parties.js";
import type { Progress } from "./progress.js";
import type { SeededRandom } from "./random.js";
import type { DayStores } from "./stores.js";
import type { DayChain, DayContracts } from "./world.js";

export interface DayContext {
  readonly options: DayOptions;
  readonly random: SeededRandom;
  readonly clock: DayClock;
  readonly chain: DayChain;
  readonly contracts: DayContracts;
  readonly domains: { readonly evidence: TypedDataDomain; readonly charging: TypedDataDomain };
  readonly directory: KeyDirectory;
  readonly parties: Parties;
  readonly stores: DayStores;
  readonly supplierStores: EvidenceStore[];
  readonly aggregatorStores: EvidenceStore[];
  readonly siteStores: EvidenceStore[];
  readonly userStores: EvidenceStore[];
  /** Every party's sequence numbers of its messages, per session (keyed by party). */
  readonly sequences: FlowSequences;
  readonly gas: GasBook;
  readonly timeline: Timeline;
  readonly progress: Progress;
}

/** The party that signs for a participant: its account's address, its registered key. */
export const flowParty = (p: Participant): FlowParty => ({ address: p.account.address, key: p.key });

export class Timeline {
  private readonly entries: TimelineEntry[] = [];

  constructor(private readonly clock: DayClock) {}

  add(phase: string, text: string, actor?: string): void {
    this.entries.push({ at: this.clock.iso(), phase, text, ...(actor === undefined ? {} : { actor }) });
  }

  /** Entries of another part of the day (e.g. the settlement's), kept in time order. */
  merge(entries: readonly TimelineEntry[]): void {
    this.entries.push(...entries);
    this.entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  get all(): readonly TimelineEntry[] {
    return this.entries;
  }
}
