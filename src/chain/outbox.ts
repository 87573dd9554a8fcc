/**
 * A durable outbox of signed transactions with nonces owned by the bot's database.
 *
 * queued → signed → sent → mined → final | done | dead. A nonce is assigned and the transaction
 * signed in one database transaction, before anything is sent, so a restarted bot broadcasts the
 * very same bytes; failed sends keep their nonce; a transaction is final only after the configured
 * confirmations, and a reorg that removes its block sends it back to "signed".
 */
import { getAddress, isHexString, type Interface, type InterfaceAbi } from "ethers";
import type { BotDatabase } from "./db.js";
import { combineAbis, decodeLog, type DecodedEvent, type DecodedRevert } from "./decode.js";
import { ChainError, isChainError } from "./errors.js";
import type { RawSigner } from "./fees.js";
import {
  accountChains, getIntent, insertIntent, listIntents, OUTBOX_MIGRATIONS, TERMINAL, transition, transitionsOf,
  type IntentRecord, type IntentStatus, type Transition,
} from "./outboxStore.js";
import { signPending, type OutboxContext } from "./outboxSign.js";
import { poll, sendSigned } from "./outboxTrack.js";
import type { ChainRpc } from "./rpc.js";

export type { IntentRecord, IntentStatus, StoredReceipt, Transition } from "./outboxStore.js";

export interface OutboxOptions {
  db: BotDatabase;
  rpc: ChainRpc;
  /** The account's raw private key signer (an ethers `Wallet`). */
  signer: RawSigner;
  /** The chain the bot works on; `eth_chainId` must match when the outbox opens. */
  chainId: bigint;
  /** ABIs whose custom errors and events decode reverts and receipts. */
  abis?: readonly (InterfaceAbi | Interface)[];
  /** Blocks, the transaction's own included, before an intent is final (default 3). */
  confirmations?: number;
  /** Custom error names meaning the effect already happened: such a revert ends the intent "done". */
  doneErrors?: readonly string[];
  /** Retries (refused sends, rebroadcasts, fee replacements) before an intent is given up (default 5). */
  maxAttempts?: number;
  /** A sent transaction neither mined nor in the node's mempool for this long is rebroadcast (default 60 s). */
  dropAfterMs?: number;
  /** A transaction pending for this long is replaced with higher fees (default 180 s). */
  replaceAfterMs?: number;
  /** Percent added to both fee fields on a replacement (default 25). */
  feeBumpPercent?: number;
  /** Upper bound of the fee per gas. */
  maxFeePerGas?: bigint;
  /** Percent added to the gas estimate (default 20). */
  gasMarginPercent?: number;
  /** Gas limit cap per transaction (default 16,777,216, the Osaka cap). */
  maxGasPerTx?: bigint;
  /** The clock, ms (tests replace it). */
  now?: () => number;
}

export interface Intent {
  /** Idempotency key: enqueuing the same key again returns the stored intent. */
  key: string;
  label: string;
  to: string;
  data: string;
  value?: bigint;
  /** A fixed gas limit; estimated at signing when absent. */
  gasLimit?: bigint;
}

/** What `wait()` resolves to: the intent's outcome, decoded. */
export interface WriteResult {
  key: string;
  label: string;
  status: "final" | "done";
  txHash: string | null;
  nonce: number | null;
  blockNumber: number | null;
  blockHash: string | null;
  gasUsed: bigint | null;
  /** Logs of the receipt, decoded with the outbox's ABIs. */
  events: DecodedEvent[];
  /** For "done": the revert that showed the effect had already happened. */
  revert: DecodedRevert | null;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Run `tick()` while waiting (default true); false when another loop drives the outbox. */
  drive?: boolean;
}

export class Outbox {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly ctx: OutboxContext) {}

  /** Checks the endpoint's chain id and the database's, applies migrations, and returns the outbox. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    await options.rpc.assertChainId(options.chainId);
    options.db.migrate("outbox", OUTBOX_MIGRATIONS);
    const chains = accountChains(options.db).filter((c) => c !== options.chainId);
    if (chains.length > 0) {
      throw new ChainError("WRONG_CHAIN", "the outbox database belongs to another chain", {
        configured: options.chainId.toString(),
        stored: chains.map(String),
      });
    }
    const confirmations = options.confirmations ?? 3;
    const maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(confirmations) || confirmations < 1) throw new ChainError("CONFIG", "confirmations must be an integer ≥ 1");
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new ChainError("CONFIG", "maxAttempts must be an integer ≥ 1");
    return new Outbox({
      db: options.db,
      rpc: options.rpc,
      signer: options.signer,
      chainId: options.chainId,
      iface: combineAbis(options.abis ?? []),
      confirmations,
      doneErrors: new Set(options.doneErrors ?? []),
      maxAttempts,
      dropAfterMs: options.dropAfterMs ?? 60_000,
      replaceAfterMs: options.replaceAfterMs ?? 180_000,
      gasMarginPercent: options.gasMarginPercent ?? 20,
      maxGasPerTx: options.maxGasPerTx ?? 16_777_216n,
      fees: { bumpPercent: Math.max(options.feeBumpPercent ?? 25, 10), maxFeePerGas: options.maxFeePerGas },
      now: options.now ?? Date.now,
    });
  }

  get address(): string {
    return this.ctx.signer.address;
  }

  /** Stores a call under its idempotency key; the same key again returns the stored intent. */
  enqueue(intent: Intent): IntentRecord {
    const wanted = validate(intent);
    const { db } = this.ctx;
    return db.transaction(() => {
      const existing = getIntent(db, wanted.key);
      if (existing) {
        const same = existing.account === this.address && existing.chainId === this.ctx.chainId && existing.to === wanted.to
          && existing.data === wanted.data && existing.value === wanted.value;
        if (!same) throw new ChainError("IDEMPOTENCY_CONFLICT", "key already used for another call", { key: wanted.key, status: existing.status });
        return existing;
      }
      return insertIntent(db, { ...wanted, account: this.address, chainId: this.ctx.chainId }, this.ctx.now());
    });
  }

  get(key: string): IntentRecord | undefined {
    return getIntent(this.ctx.db, key);
  }

  list(statuses: readonly IntentStatus[] = ["queued", "signed", "sent", "mined", "final", "dead", "done"]): IntentRecord[] {
    return listIntents(this.ctx.db, this.address, statuses);
  }

  /** The status transitions of an intent, oldest first. */
  history(key: string): Transition[] {
    const row = this.require(key);
    return transitionsOf(this.ctx.db, row.id);
  }

  /** Assigns nonces to queued intents and signs them (stored before any send). */
  signPending(): Promise<number> {
    return this.exclusive(() => signPending(this.ctx));
  }

  /** Broadcasts the stored signed transactions in nonce order. */
  sendSigned(): Promise<number> {
    return this.exclusive(() => sendSigned(this.ctx));
  }

  /** Re-checks sent and mined transactions: receipts, drops, stuck fees, reorgs, confirmations. */
  poll(): Promise<void> {
    return this.exclusive(() => poll(this.ctx));
  }

  /** One round: sign, send, poll. */
  tick(): Promise<void> {
    return this.exclusive(async () => {
      // Each step runs even if an earlier one failed (signed rows still go out while estimates fail).
      let failure: unknown;
      for (const step of [signPending, sendSigned, poll]) {
        try {
          await step(this.ctx);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    });
  }

  /** Resolves when the intent is final (or done); rejects with DEAD_LETTER if it was given up. */
  async wait(key: string, options: WaitOptions = {}): Promise<WriteResult> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    let lastError: unknown;
    for (;;) {
      const row = this.require(key);
      if (TERMINAL.includes(row.status)) return this.result(row);
      if (options.drive ?? true) {
        try {
          await this.tick();
        } catch (error) {
          if (!isChainError(error) || ["DB", "CONFIG", "WRONG_CHAIN"].includes(error.code)) throw error;
          lastError = error;
        }
        const after = this.require(key);
        if (TERMINAL.includes(after.status)) return this.result(after);
      }
      if (Date.now() > deadline) {
        throw new ChainError("TIMEOUT", "intent not final in time", { key, status: this.require(key).status }, lastError);
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
    }
  }

  /** Puts a dead-letter intent back in the queue (after its cause was fixed); it gets a new nonce. */
  requeue(key: string): IntentRecord {
    const { db } = this.ctx;
    return db.transaction(() => {
      const row = this.require(key);
      if (row.status !== "dead") throw new ChainError("CONFIG", "only a dead-letter intent can be re-queued", { key, status: row.status });
      transition(db, row, "queued", {
        nonce: null, tx_hash: null, raw_tx: null, fees: null, cancelling: 0, attempts: 0, mined_hash: null,
        block_number: null, block_hash: null, confirmations: 0, receipt: null, revert: null, finished_at: null, broadcast_at: null,
      }, "re-queued by an operator", this.ctx.now());
      return this.require(key);
    });
  }

  private result(row: IntentRecord): WriteResult {
    if (row.status === "dead") {
      throw new ChainError("DEAD_LETTER", `intent ${row.key} was given up: ${row.lastError ?? "no reason recorded"}`, {
        key: row.key,
        lastError: row.lastError,
        revert: row.revert,
        attempts: row.attempts,
      });
    }
    const receipt = row.receipt;
    return {
      key: row.key,
      label: row.label,
      status: row.status as "final" | "done",
      txHash: row.minedHash,
      nonce: receipt ? row.nonce : null,
      blockNumber: row.blockNumber,
      blockHash: row.blockHash,
      gasUsed: receipt ? BigInt(receipt.gasUsed) : null,
      events: (receipt?.logs ?? []).map((log) => decodeLog(log, this.ctx.iface)),
      revert: row.revert,
    };
  }

  private require(key: string): IntentRecord {
    const row = getIntent(this.ctx.db, key);
    if (!row) throw new ChainError("NOT_FOUND", "no intent with this key", { key });
    return row;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function validate(intent: Intent): { key: string; label: string; to: string; data: string; value: bigint; gasLimit: bigint | null } {
  if (typeof intent.key !== "string" || intent.key.length === 0 || intent.key.length > 256) {
    throw new ChainError("CONFIG", "intent key must be a non-empty string of at most 256 characters");
  }
  let to: string;
  try {
    to = getAddress(intent.to);
  } catch (cause) {
    throw new ChainError("CONFIG", "intent target is not an address", { key: intent.key }, cause);
  }
  if (!isHexString(intent.data) || intent.data.length % 2 !== 0) throw new ChainError("CONFIG", "intent data must be hex bytes", { key: intent.key });
  const value = intent.value ?? 0n;
  if (value < 0n) throw new ChainError("CONFIG", "intent value must not be negative", { key: intent.key });
  if (intent.gasLimit !== undefined && intent.gasLimit < 21_000n) throw new ChainError("CONFIG", "gas limit below 21000", { key: intent.key });
  return { key: intent.key, label: String(intent.label ?? ""), to, data: intent.data.toLowerCase(), value, gasLimit: intent.gasLimit ?? null };
}
