/**
 * The day's settlement behind one function: what the day hands to the settlement (the node's
 * URL, the deployment, each supplier's account key, signing party and evidence stores, the
 * arbiters, a clock that moves the simulated day and the chain together, a logger) and what it
 * gets back in the report's shapes (claims and net positions, the dispute, gas, timeline), with
 * the disputed session and the dispute's record for the escrow opening.
 */
import type { DayReport, GasEntry, TimelineEntry } from "../../report/schema.js";
import type { DayContext } from "./context.js";
import { DayError } from "./errors.js";
import type { DayChain } from "./world.js";

export interface SettlementSupplier {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  /** The supplier's account key (its bot signs with it). */
  readonly privateKey: string;
  /** The party that signs the supplier's evidence, and its registered signing key. */
  readonly signing: { readonly address: string; readonly privateKey: string };
  readonly storePaths: readonly string[];
}

export interface SettlementInput {
  readonly rpcUrl: string;
  readonly chainId: bigint;
  readonly registry: string;
  readonly ledger: string;
  readonly suppliers: readonly SettlementSupplier[];
  readonly arbiters: readonly { readonly id: string; readonly address: string; readonly privateKey: string }[];
  /** Moves the simulated day and the chain's clock forward by `seconds`. */
  advance(seconds: number): Promise<void>;
  log(line: string): void;
}

export interface SettlementOutcome {
  readonly settlement: DayReport["settlement"];
  readonly dispute: DayReport["dispute"];
  readonly gas: readonly GasEntry[];
  readonly timeline: readonly TimelineEntry[];
  readonly disputedSessionId: string;
  /** Where the dispute is recorded on-chain: the recording contract and the record's id. */
  readonly disputeRecord: { readonly recorder: string; readonly recordId: string };
}

export type SettleDay = (input: SettlementInput) => Promise<SettlementOutcome>;

export function settlementInput(day: DayContext, chain: DayChain): SettlementInput {
  if (chain.rpcUrl === undefined) throw new DayError("FAILED", "the settlement bots need the node's JSON-RPC URL");
  return {
    rpcUrl: chain.rpcUrl,
    chainId: day.contracts.full.chainId,
    registry: day.contracts.full.registryAddress,
    ledger: day.contracts.full.ledgerAddress,
    suppliers: day.parties.suppliers.map((s) => ({
      id: s.id,
      name: s.name,
      address: s.account.address,
      privateKey: s.account.privateKey,
      signing: { address: s.key.address, privateKey: s.key.privateKey },
      storePaths: [day.stores.entries.find((e) => e.party === s.id)!.path],
    })),
    arbiters: day.parties.arbiters.map((a) => ({ id: a.id, address: a.account.address, privateKey: a.account.privateKey })),
    advance: async (seconds) => {
      day.clock.advance(seconds);
      await day.clock.syncChain(day.chain);
    },
    log: (line) => day.timeline.add("settlement", line),
  };
}
