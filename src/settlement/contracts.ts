/**
 * The settlement, ledger and registry contracts as seen by the bot: the committed ABIs, call data
 * for the writes (sent through the Outbox), and the views it reads over the validated JSON-RPC
 * client. A view that reverts comes back as `ChainError("REVERTED")` with the decoded custom error
 * (the chain layer's one mapper, `toChainError`).
 */
import { Interface, type Result } from "ethers";
import { EvidenceLedgerAbi, ParticipantRegistryAbi, RoamingSettlementAbi } from "../chain/abi/index.js";
import { toChainError } from "../chain/decode.js";
import { ChainError } from "../chain/errors.js";
import type { ChainRpc } from "../chain/rpc.js";

export const SETTLEMENT_ABI = RoamingSettlementAbi;
export const LEDGER_ABI = EvidenceLedgerAbi;
export const REGISTRY_ABI = ParticipantRegistryAbi;

export const settlementIface = new Interface(SETTLEMENT_ABI);
export const ledgerIface = new Interface(LEDGER_ABI);
export const registryIface = new Interface(REGISTRY_ABI);
/** Every custom error (and event) of the three contracts, for decoding reverts and logs. */
export const ALL_ABIS = [SETTLEMENT_ABI, LEDGER_ABI, REGISTRY_ABI] as const;

/** Reverts that mean the effect is already there (or can no longer happen): the outbox stops retrying. */
export const DONE_ERRORS = [
  "EvidenceAlreadyAnchored",
  "SettlementDuplicateClaim",
  "SettlementPairNetted",
  "SettlementPeriodClosed",
  "SettlementAlreadyDisputed",
  "SettlementClaimAlreadyDisputed",
  "SettlementClaimNotPending",
  "SettlementSumNotBelowClaim",
] as const;

/** A claim as `claimOf` returns it. */
export interface ChainClaim {
  creditor: string;
  debtor: string;
  period: number;
  status: number;
  /** Start of the challenge window on the contract's clock (which stops while paused). */
  windowStart: number;
  openDisputes: number;
  cdrCount: number;
  amount: bigint;
  claimedAmount: bigint;
  /** Part of the debtor's collateral reserved for the claim. */
  reserved: bigint;
  cdrRoot: string;
  /** Whether the debtor disputed the claim as a whole. */
  claimDisputed: boolean;
  /** Whether that claim-level dispute awaits its ruling. */
  onHold: boolean;
}

/** The claims between two suppliers in a period, as `pairOf(period, a, b)` returns them. */
export interface ChainPair {
  claims: number;
  pending: number;
  holds: number;
  nettedAt: number;
  /** What `a` claims from `b`, and what `b` claims from `a`. */
  aFromB: bigint;
  bFromA: bigint;
}

/** Typed reads of the three contracts at the latest block. */
export class ContractViews {
  constructor(
    private readonly rpc: ChainRpc,
    private readonly from: string,
    readonly settlement: string,
    readonly ledger: string,
    readonly registry: string,
  ) {}

  /** Reads `fn(args)` of `to`; a revert becomes `ChainError("REVERTED")` with `details.error`. */
  static async read(rpc: ChainRpc, from: string, to: string, iface: Interface, fn: string, args: readonly unknown[] = []): Promise<Result> {
    const data = iface.encodeFunctionData(fn, args);
    let out: string;
    try {
      out = await rpc.call({ from, to, data }, "latest");
    } catch (error) {
      throw toChainError(fn, error);
    }
    if (out === "0x") throw new ChainError("BAD_RESPONSE", `${fn}: empty answer (no contract at ${to}?)`, { to });
    return iface.decodeFunctionResult(fn, out);
  }

  private s(fn: string, args: readonly unknown[] = []): Promise<Result> {
    return ContractViews.read(this.rpc, this.from, this.settlement, settlementIface, fn, args);
  }

  async claimOf(claimId: bigint): Promise<ChainClaim> {
    const [c] = await this.s("claimOf", [claimId]);
    return {
      creditor: String(c.creditor), debtor: String(c.debtor), period: Number(c.period), status: Number(c.status),
      windowStart: Number(c.windowStart), openDisputes: Number(c.openDisputes), cdrCount: Number(c.cdrCount),
      amount: BigInt(c.amount), claimedAmount: BigInt(c.claimedAmount), reserved: BigInt(c.reserved),
      cdrRoot: String(c.cdrRoot).toLowerCase(),
      claimDisputed: Boolean(c.claimDisputed), onHold: Boolean(c.onHold),
    };
  }

  async pairOf(period: number, a: string, b: string): Promise<ChainPair> {
    const [p, aFromB, bFromA] = await this.s("pairOf", [period, a, b]);
    return {
      claims: Number(p.claims), pending: Number(p.pending), holds: Number(p.holds), nettedAt: Number(p.nettedAt),
      aFromB: BigInt(aFromB.amount), bFromA: BigInt(bFromA.amount),
    };
  }

  /** The open withdrawal request of `account`. */
  async withdrawalOf(account: string): Promise<{ amount: bigint; readyAt: number }> {
    const [amount, readyAt] = await this.s("withdrawalOf", [account]);
    return { amount: BigInt(amount), readyAt: Number(readyAt) };
  }

  async isFinal(claimId: bigint): Promise<boolean> {
    return Boolean((await this.s("isFinal", [claimId]))[0]);
  }

  /** Claims submitted to `period` and the time from which it takes none (exclusive: claims up to it). */
  async periodOf(period: number): Promise<{ claimCount: number; closesAt: number }> {
    const [claimCount, closesAt] = await this.s("periodOf", [period]);
    return { claimCount: Number(claimCount), closesAt: Number(closesAt) };
  }

  async availableOf(account: string): Promise<bigint> {
    return BigInt((await this.s("availableOf", [account]))[0]);
  }

  /** Length of the contract's settlement periods, seconds. */
  async periodSeconds(): Promise<number> {
    return Number((await this.s("PERIOD_SECONDS"))[0]);
  }

  async maxBatch(): Promise<number> {
    return Number((await this.s("MAX_BATCH"))[0]);
  }

  async isSupplier(account: string): Promise<boolean> {
    const role = (await ContractViews.read(this.rpc, this.from, this.registry, registryIface, "SUPPLIER_ROLE"))[0];
    return Boolean((await ContractViews.read(this.rpc, this.from, this.registry, registryIface, "hasRole", [role, account]))[0]);
  }

  /** The key's owner and validity `[validFrom, validUntil)`, or null for an unknown key. */
  async signingKey(key: string): Promise<{ participant: string; validFrom: number; validUntil: number } | null> {
    try {
      const [k] = await ContractViews.read(this.rpc, this.from, this.registry, registryIface, "signingKey", [key]);
      return { participant: String(k.participant), validFrom: Number(k.validFrom), validUntil: Number(k.validUntil) };
    } catch (error) {
      if (error instanceof ChainError && error.details.error === "RegistryUnknownKey") return null;
      throw error;
    }
  }

  /** `submitter`'s anchor of `root` in the ledger, or null when it did not anchor it. */
  async anchorOf(submitter: string, root: string): Promise<{ submitter: string; anchoredAt: number; count: number; kind: number } | null> {
    try {
      const [a] = await ContractViews.read(this.rpc, this.from, this.ledger, ledgerIface, "anchorOf", [submitter, root]);
      return { submitter: String(a.submitter), anchoredAt: Number(a.anchoredAt), count: Number(a.count), kind: Number(a.kind) };
    } catch (error) {
      if (error instanceof ChainError && error.details.error === "EvidenceAnchorNotFound") return null;
      throw error;
    }
  }

  /** Time of the latest block, seconds. */
  async chainTime(): Promise<number> {
    const block = await this.rpc.getBlock("latest");
    if (!block) throw new ChainError("BAD_RESPONSE", "no latest block");
    return Number(block.timestamp);
  }
}

/** A cache of signing-key records for one verification pass (keys are read once each). */
export class KeyCache {
  private readonly keys = new Map<string, Promise<Awaited<ReturnType<ContractViews["signingKey"]>>>>();

  constructor(private readonly views: ContractViews) {}

  /** True if `key` belongs to `participant` and was valid at `time` (as `isKeyValid` computes it). */
  async isValid(participant: string, key: string, time: bigint): Promise<boolean> {
    let record = this.keys.get(key.toLowerCase());
    if (!record) {
      record = this.views.signingKey(key);
      this.keys.set(key.toLowerCase(), record);
    }
    const k = await record;
    return k !== null && k.participant.toLowerCase() === participant.toLowerCase()
      && time >= BigInt(k.validFrom) && time < BigInt(k.validUntil);
  }
}
