/**
 * The clock and the miner of a local development chain (the embedded network, `hardhat node`,
 * Anvil), through the methods all three answer: `evm_increaseTime`, `evm_setNextBlockTimestamp`,
 * `evm_mine`. Refused by a production node, which is the point: only tests and demos move time.
 */
import type { Eip1193Provider } from "./rpc.js";

/** The timestamp of the latest block, in seconds. */
export async function chainTime(provider: Eip1193Provider): Promise<number> {
  const block = (await provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as { timestamp: string };
  return Number(BigInt(block.timestamp));
}

/** Mines `count` empty blocks (or with what is pending), one second apart at least. */
export async function mineBlocks(provider: Eip1193Provider, count = 1): Promise<void> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`cannot mine ${count} blocks`);
  for (let i = 0; i < count; i++) await provider.request({ method: "evm_mine", params: [] });
}

/** Moves the clock `seconds` ahead and mines a block there. */
export async function advanceTime(provider: Eip1193Provider, seconds: number): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError(`cannot move the clock by ${seconds} s`);
  await advanceTimeTo(provider, (await chainTime(provider)) + seconds);
}

/** Mines a block at `timestamp` (seconds) if it is later than the latest block; else does nothing. */
export async function advanceTimeTo(provider: Eip1193Provider, timestamp: number): Promise<void> {
  if (!Number.isInteger(timestamp) || timestamp < 0) throw new RangeError(`not a timestamp: ${timestamp}`);
  if (timestamp <= (await chainTime(provider))) return;
  await provider.request({ method: "evm_setNextBlockTimestamp", params: [`0x${timestamp.toString(16)}`] });
  await provider.request({ method: "evm_mine", params: [] });
}
