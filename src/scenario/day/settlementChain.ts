/**
 * What the day's settlement reads from the chain: the settlement contract's events (each with its
 * block time), waiting for the bots' effects while the chain moves on, and the gas of every
 * transaction of the day's parties, from their receipts.
 */
import { Interface, type JsonRpcProvider, type LogDescription } from "ethers";
import type { GasEntry } from "../../report/schema.js";
import { LEDGER_ABI, REGISTRY_ABI, SETTLEMENT_ABI, settlementIface } from "../../settlement/contracts.js";
import { SettlementDayError } from "./settlementErrors.js";

/** The ERC-20 calls the day makes and reads. */
export const TOKEN_ABI = [
  "function approve(address spender, uint256 amount) returns (bool)",
  "function balanceOf(address account) view returns (uint256)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function transfer(address to, uint256 amount) returns (bool)",
];

export interface DayEvent {
  name: string;
  args: LogDescription["args"];
  blockNumber: number;
  blockTime: number;
  txHash: string;
}

/** Every event of the settlement contract from `fromBlock` on, in chain order, with block times. */
export async function settlementEvents(provider: JsonRpcProvider, settlement: string, fromBlock: number): Promise<DayEvent[]> {
  const logs = await provider.getLogs({ address: settlement, fromBlock, toBlock: "latest" });
  const times = new Map<number, number>();
  const out: DayEvent[] = [];
  for (const log of logs) {
    const parsed = settlementIface.parseLog(log);
    if (!parsed) continue;
    if (!times.has(log.blockNumber)) times.set(log.blockNumber, (await provider.getBlock(log.blockNumber))!.timestamp);
    out.push({ name: parsed.name, args: parsed.args, blockNumber: log.blockNumber, blockTime: times.get(log.blockNumber)!, txHash: log.transactionHash });
  }
  return out;
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  /** Called between checks: mines a block so the bots' transactions and events reach their confirmations. */
  step(): Promise<void>;
  /** Throws when a bot stopped meanwhile. */
  healthy(): void;
}

/** Checks `done` until it holds, calling `step` in between; `SettlementDayError("TIMEOUT")` after `timeoutMs`. */
export async function waitFor(done: () => Promise<boolean>, o: WaitOptions): Promise<void> {
  const until = Date.now() + o.timeoutMs;
  for (;;) {
    o.healthy();
    if (await done()) return;
    if (Date.now() > until) throw new SettlementDayError("TIMEOUT", `timed out waiting for ${o.what}`, { what: o.what, timeoutMs: o.timeoutMs });
    await o.step();
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const CALL_IFACES = [SETTLEMENT_ABI, LEDGER_ABI, REGISTRY_ABI, TOKEN_ABI].map((abi) => new Interface(abi));
const operationOf = (data: string): string => {
  for (const iface of CALL_IFACES) {
    const call = iface.parseTransaction({ data });
    if (call) return call.name;
  }
  return data === "0x" ? "transfer of ether" : data.slice(0, 10);
};

/**
 * Gas of every transaction sent by one of `senders` in blocks `fromBlock..latest`, by operation
 * (the function called, e.g. `submitClaim`; `submitClaim (reverted)` for one that reverted), from the receipts.
 */
export async function gasByOperation(provider: JsonRpcProvider, senders: readonly string[], fromBlock: number): Promise<GasEntry[]> {
  const from = new Set(senders.map((s) => s.toLowerCase()));
  const latest = await provider.getBlockNumber();
  const totals = new Map<string, { count: number; total: bigint }>();
  for (let n = fromBlock; n <= latest; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (!from.has(tx.from.toLowerCase())) continue;
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (!receipt) continue;
      // A transaction that reverted is its own entry (the day's tests require none).
      const operation = operationOf(tx.data) + (receipt.status === 1 ? "" : " (reverted)");
      const t = totals.get(operation) ?? { count: 0, total: 0n };
      t.count++;
      t.total += receipt.gasUsed;
      totals.set(operation, t);
    }
  }
  return [...totals.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, t]) => ({ operation, count: t.count, total: t.total.toString(), mean: (t.total / BigInt(t.count)).toString() }));
}
