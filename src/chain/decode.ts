/**
 * ABI decoding for the chain layer, and the one revert-to-error mapper: the revert data in any
 * failed call (a `ChainError` from the checked client, or an ethers error however nested) decoded
 * with the errors of every contract (custom errors, `Error(string)`, `Panic(uint256)`) into a
 * `ChainError("REVERTED")` with the error's name and arguments; logs decoded into events.
 */
import { Interface, Result, type InterfaceAbi } from "ethers";
import { EscrowOpeningsAbi, EvidenceLedgerAbi, ParticipantRegistryAbi, RoamingSettlementAbi, SettlementTestTokenAbi } from "./abi/index.js";
import { ChainError } from "./errors.js";
import { rpcFailure } from "./rpc.js";

/** JSON-safe values: integers as decimal strings, tuples and arrays as arrays. */
export type JsonValue = string | boolean | null | JsonValue[];

export interface DecodedRevert {
  /** Custom error name (`EvidenceAlreadyAnchored`), `Error` or `Panic`; null when not decodable. */
  name: string | null;
  /** Full signature, e.g. `EvidenceAlreadyAnchored(bytes32)`; null when not decodable. */
  signature: string | null;
  /** Decoded arguments in declaration order. */
  args: JsonValue[];
  /** The raw revert data (`0x` when the node gave none). */
  data: string;
}

const ERROR_STRING = new Interface(["error Error(string)", "error Panic(uint256)"]);

/** One interface holding the errors (and events) of every ABI given. Later duplicates are ignored. */
export function combineAbis(abis: readonly (InterfaceAbi | Interface)[]): Interface {
  const seen = new Set<string>();
  const fragments: string[] = [];
  for (const abi of abis) {
    const iface = abi instanceof Interface ? abi : new Interface(abi);
    for (const f of iface.fragments) {
      if (f.type !== "error" && f.type !== "event") continue;
      const text = f.format("full");
      const key = f.format("sighash") + f.type;
      if (!seen.has(key)) {
        seen.add(key);
        fragments.push(text);
      }
    }
  }
  return new Interface(fragments);
}

/** The revert data carried by a node's error (a hex string at `data`, `data.data`, `error.data`, …). */
export function revertDataOf(error: unknown): string | undefined {
  return error instanceof ChainError ? searchHex(error.details.rpcData, 0) : undefined;
}

let everyError: Interface | undefined;

/** The errors and events of every deployed contract together (what `revertOf` decodes with by default). */
export function contractErrors(): Interface {
  everyError ??= combineAbis([RoamingSettlementAbi, EvidenceLedgerAbi, ParticipantRegistryAbi, EscrowOpeningsAbi, SettlementTestTokenAbi]);
  return everyError;
}

/**
 * The revert data carried by any failed call: a `ChainError`'s JSON-RPC data, or an ethers error's
 * `data` however deep in its `error`, `info`, `cause` and `data` (hardhat, Anvil and ethers nest it
 * differently).
 */
export function findRevertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 64) {
    const e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    if (e instanceof ChainError) {
      const found = revertDataOf(e);
      if (found) return found;
    }
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x([0-9a-fA-F]{2}){4,}$/.test(o.data)) return o.data.toLowerCase();
    queue.push(o.error, o.info, o.cause, o.data);
  }
  return undefined;
}

/** True when `error` says the call reverted (revert data, or a node's or ethers' word for it). */
export function isRevert(error: unknown): boolean {
  if (findRevertData(error) !== undefined || isRevertError(error)) return true;
  return (error as { code?: unknown } | null)?.code === "CALL_EXCEPTION";
}

/** The decoded revert of a failed call, or null when it did not revert (a node or transport failure). */
export function revertOf(error: unknown, iface: Interface = contractErrors()): DecodedRevert | null {
  if (!isRevert(error)) return null;
  return decodeRevert(findRevertData(error), iface);
}

/**
 * The one mapping of a failed chain call to a typed error: a revert becomes `REVERTED` with
 * `details.error` (the custom error's name, or null when undecodable), `details.args`,
 * `details.signature` and `details.data`; a `ChainError` stays as it is; a transport or node
 * failure becomes `RPC_UNAVAILABLE` or `RPC_ERROR`.
 */
export function toChainError(action: string, error: unknown, iface: Interface = contractErrors()): ChainError {
  const revert = revertOf(error, iface);
  if (revert) {
    return new ChainError(
      "REVERTED",
      `${action} reverted${revert.name ? ` with ${revert.name}` : ""}`,
      { action, error: revert.name, signature: revert.signature, args: revert.args, data: revert.data },
      error,
    );
  }
  if (error instanceof ChainError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "NETWORK_ERROR" || code === "TIMEOUT" || code === "SERVER_ERROR") {
    return new ChainError("RPC_UNAVAILABLE", `${action}: the node did not answer`, { action, error: code }, error);
  }
  return rpcFailure(action, error);
}

/** True when a failed `eth_call` / `eth_estimateGas` means the call reverts (rather than a node problem). */
export function isRevertError(error: unknown): boolean {
  if (!(error instanceof ChainError) || error.code !== "RPC_ERROR") return false;
  if (error.details.rpcCode === 3 || revertDataOf(error) !== undefined) return true;
  return /revert/i.test(String(error.details.rpcMessage ?? ""));
}

/** Decodes revert data into a name and arguments; unknown selectors keep their raw data. */
export function decodeRevert(data: string | undefined, iface: Interface): DecodedRevert {
  const raw = (data ?? "0x").toLowerCase();
  if (raw.length >= 10) {
    for (const candidate of [iface, ERROR_STRING]) {
      try {
        const parsed = candidate.parseError(raw);
        if (parsed) return { name: parsed.name, signature: parsed.signature, args: toJson(parsed.args) as JsonValue[], data: raw };
      } catch {
        // Selector known but arguments malformed: try the next interface, then report it undecoded.
      }
    }
  }
  return { name: null, signature: null, args: [], data: raw };
}

export interface DecodedEvent {
  address: string;
  logIndex: number;
  topics: string[];
  data: string;
  /** Event name, or null when no ABI given knows the log. */
  name: string | null;
  signature: string | null;
  /** Arguments in declaration order. */
  args: JsonValue[];
  /** Arguments by name (unnamed ones only in `args`). */
  named: Record<string, JsonValue>;
}

/** Decodes one log with the combined ABIs; an unknown log keeps its topics and data. */
export function decodeLog(log: { address: string; logIndex: number; topics: readonly string[]; data: string }, iface: Interface): DecodedEvent {
  const base = { address: log.address, logIndex: log.logIndex, topics: [...log.topics], data: log.data };
  let parsed: ReturnType<Interface["parseLog"]> = null;
  try {
    parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    parsed = null;
  }
  if (!parsed) return { ...base, name: null, signature: null, args: [], named: {} };
  const named: Record<string, JsonValue> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    if (input.name) named[input.name] = toJson(parsed.args[i]);
  });
  return { ...base, name: parsed.name, signature: parsed.signature, args: toJson(parsed.args) as JsonValue[], named };
}

/** A short text for logs and `last_error`: `EvidenceAlreadyAnchored(0x12…)`. */
export function formatRevert(revert: DecodedRevert): string {
  if (!revert.name) return `reverted without a known error (data ${revert.data.slice(0, 74)})`;
  return `${revert.name}(${revert.args.map((a) => JSON.stringify(a)).join(", ")})`;
}

function toJson(value: unknown): JsonValue {
  if (value instanceof Result || Array.isArray(value)) return [...(value as unknown[])].map(toJson);
  if (typeof value === "bigint") return value.toString(10);
  if (typeof value === "boolean" || typeof value === "string") return value;
  if (value === null || value === undefined) return null;
  return String(value);
}

function searchHex(value: unknown, depth: number): string | undefined {
  if (depth > 4 || value === null || value === undefined) return undefined;
  if (typeof value === "string") return /^0x([0-9a-fA-F]{2}){4,}$/.test(value) ? value.toLowerCase() : undefined;
  if (typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ["data", "result", "error", "originalError"]) {
    const found = searchHex(record[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}
