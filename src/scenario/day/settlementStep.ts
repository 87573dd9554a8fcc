/**
 * The day's settlement behind one function: the charging day hands `runSettlementDay`
 * (settlement.ts) the node's URL, the deployment, each supplier's account key, signing party and
 * evidence store, the arbiters, collateral (test tokens minted to each supplier first), and a
 * clock that moves the chain relatively (the bots mine meanwhile) and the simulated day with it;
 * it gets back the claims, net positions, the dispute, gas and timeline in the report's shapes and
 * the dispute's on-chain grounds for the escrow opening.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DayReport, GasEntry, TimelineEntry } from "../../report/schema.js";
import type { DayContext } from "./context.js";
import { flowParty } from "./context.js";
import { DayError } from "./errors.js";
import { REPORT_FILES } from "./report.js";
import { runSettlementDay } from "./settlement.js";

/** Collateral each supplier deposits: 1,000 tEUR (six decimals). */
export const COLLATERAL = 1_000_000_000n;

export interface SettlementOutcome {
  readonly settlement: DayReport["settlement"];
  readonly dispute: DayReport["dispute"];
  readonly gas: readonly GasEntry[];
  readonly timeline: readonly TimelineEntry[];
  readonly disputedSessionId: string;
  /** Where the dispute is recorded on-chain: the recording contract and the record's id. */
  readonly disputeRecord: { readonly recorder: string; readonly recordId: string };
  /** The chain time (unix seconds) by which the settlement has ended, whatever the bots' timing. */
  readonly settledBy: number;
}

export type SettleDay = (day: DayContext) => Promise<SettlementOutcome>;

/** Moves the chain forward by `seconds` from where it stands, and the day's clock to it. */
async function advance(day: DayContext, seconds: number): Promise<void> {
  await day.chain.provider.send("evm_increaseTime", [seconds]);
  await day.chain.provider.send("evm_mine", []);
  const latest = await day.chain.provider.getBlock("latest");
  if (latest !== null) day.clock.set(BigInt(latest.timestamp));
}

export const settleDay: SettleDay = async (day) => {
  const { chain, contracts, parties, options } = day;
  if (chain.rpcUrl === undefined) throw new DayError("FAILED", "the settlement bots need the node's JSON-RPC URL");
  const full = contracts.full;
  for (const s of parties.suppliers) {
    day.gas.addReceipt("mint test tokens", await (await full.token.connect(chain.operator).mint(s.account.address, COLLATERAL)).wait());
  }
  const storeOf = (id: string) => {
    const entry = day.stores.entries.find((e) => e.party === id);
    if (entry === undefined) throw new DayError("FAILED", `no evidence store of ${id}`);
    return resolve(entry.path);
  };
  // The bots' databases and the package exchange are the day's own: a fresh folder each run.
  const workDir = join(options.outDir, "settlement");
  rmSync(workDir, { recursive: true, force: true });
  const out = await runSettlementDay({
    rpcUrl: chain.rpcUrl,
    chainId: full.chainId,
    deployment: {
      registry: full.registryAddress,
      ledger: full.ledgerAddress,
      settlement: full.settlementAddress,
      escrowOpenings: full.escrowOpeningsAddress,
      token: full.tokenAddress,
      startBlock: full.deployment.contracts.RoamingSettlement.block,
    },
    deploymentsFile: resolve(join(options.outDir, REPORT_FILES.deployments)),
    suppliers: parties.suppliers.map((s) => ({ id: s.id, name: s.name, accountKey: s.account.privateKey, signer: flowParty(s), storePath: storeOf(s.id) })),
    arbiters: parties.arbiters.map((a) => ({ id: a.id, accountKey: a.account.privateKey })),
    collateral: COLLATERAL,
    workDir,
    advance: (seconds) => advance(day, seconds),
    // Its steps come back as the timeline; the bots' own lines are not part of the day's output.
    log: () => {},
  });
  return {
    settlement: out.settlement,
    dispute: out.dispute,
    gas: out.gas,
    timeline: out.timeline,
    disputedSessionId: out.escrow.sessionId,
    disputeRecord: { recorder: out.escrow.recorder, recordId: out.escrow.recordId },
    settledBy: out.escrow.settledBy,
  };
};
