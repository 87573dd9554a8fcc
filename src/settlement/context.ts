/** What the bot's steps share: configuration, connections, the account, and the tick's report. */
import type { TypedDataDomain } from "ethers";
import type { BotDatabase } from "../chain/db.js";
import type { Outbox } from "../chain/outbox.js";
import type { ChainRpc } from "../chain/rpc.js";
import type { EvidenceStore } from "../evidence/store.js";
import type { CdrSource } from "./cdrSource.js";
import type { BotConfig } from "./config.js";
import type { ContractViews } from "./contracts.js";
import type { PackageExchange } from "./exchange.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
/** Where the bot reports what it does (one structured line per call). */
export type BotLogger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export const silentLogger: BotLogger = () => undefined;

export interface BotContext {
  config: BotConfig;
  db: BotDatabase;
  rpc: ChainRpc;
  outbox: Outbox;
  views: ContractViews;
  store: EvidenceStore;
  exchange: PackageExchange;
  cdrs: CdrSource;
  /** The supplier account (checksummed). */
  account: string;
  chainId: bigint;
  settlement: string;
  ledger: string;
  registry: string;
  /** EIP-712 domain of the evidence (the ledger's). */
  domain: TypedDataDomain;
  /** Most claims per `acceptClaims` call. */
  maxBatch: number;
  log: BotLogger;
  /** Wall clock, ms (bookkeeping only; every settlement decision uses chain time). */
  now(): number;
}

/** What one tick did. Claim ids and amounts are decimal strings. */
export interface TickReport {
  block: number | null;
  chainTime: number | null;
  /** CDRs read from the evidence store, and those kept out of claims (with the reason). */
  cdrsImported: number;
  cdrsRejected: { digest: string; reason: string }[];
  claimsBuilt: string[];
  anchorsSent: string[];
  packagesPublished: string[];
  claimsSubmitted: string[];
  accepted: string[];
  disputed: { claimId: string; cdrDigest: string; reason: string }[];
  /** Claims against us disputed as a whole (package missing or not the committed one), with the reason. */
  claimDisputes: { claimId: string; reason: string }[];
  /**
   * Claims against us still waiting for a usable package, with the reason; `urgent` once their window
   * closed unchecked (with an alert).
   */
  unverifiable: { claimId: string; reason: string; urgent: boolean }[];
  nettingsSent: number[];
  withdrawalsSent: string[];
  /** Shortfalls owed to this supplier whose recovery was sent: `<period>:<debtor>`. */
  recoveriesSent: string[];
  /**
   * Things an operator should look at (dead intents, expired windows, claims disputed as a whole
   * against us, claims whose window closed unchecked).
   */
  alerts: string[];
  /** Step failures of this tick (RPC down, …); the next tick retries. */
  errors: string[];
}

export function emptyReport(): TickReport {
  return {
    block: null, chainTime: null, cdrsImported: 0, cdrsRejected: [], claimsBuilt: [], anchorsSent: [], packagesPublished: [],
    claimsSubmitted: [], accepted: [], disputed: [], claimDisputes: [], unverifiable: [], nettingsSent: [], withdrawalsSent: [], recoveriesSent: [], alerts: [], errors: [],
  };
}
