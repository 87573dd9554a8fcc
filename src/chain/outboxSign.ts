/**
 * Signing for the outbox: queued intents get the next nonce from the database and are signed in
 * the same transaction that assigns it, before anything is sent; a stuck or rejected transaction
 * is re-signed for the same nonce with higher fees, or as a cancel once its retries are used up.
 */
import type { Interface } from "ethers";
import type { BotDatabase } from "./db.js";
import { decodeRevert, formatRevert, isRevertError, revertDataOf } from "./decode.js";
import { describeError, isChainError } from "./errors.js";
import { bumpFees, feesToJson, notBumped, quoteFees, signTransaction, type FeePolicy, type Fees, type RawSigner } from "./fees.js";
import {
  getIntent, initAccount, listIntents, nextNonce, recordSignedTx, reload, setNextNonce, transition,
  type IntentRecord,
} from "./outboxStore.js";
import type { ChainRpc } from "./rpc.js";

/** Everything the outbox steps share. */
export interface OutboxContext {
  db: BotDatabase;
  rpc: ChainRpc;
  signer: RawSigner;
  chainId: bigint;
  iface: Interface;
  confirmations: number;
  doneErrors: ReadonlySet<string>;
  maxAttempts: number;
  dropAfterMs: number;
  replaceAfterMs: number;
  gasMarginPercent: number;
  maxGasPerTx: bigint;
  fees: FeePolicy;
  now(): number;
}

const CANCEL_GAS = 21_000n;

/** Initialises the account's next nonce from `eth_getTransactionCount(pending)`, once; the database owns it afterwards. */
export async function ensureNonce(ctx: OutboxContext): Promise<void> {
  if (nextNonce(ctx.db, ctx.signer.address)) return;
  const pending = await ctx.rpc.transactionCount(ctx.signer.address, "pending");
  ctx.db.transaction(() => initAccount(ctx.db, ctx.signer.address, ctx.chainId, pending, ctx.now()));
}

/** Signs queued intents in enqueue order; returns how many were signed. */
export async function signPending(ctx: OutboxContext): Promise<number> {
  const queued = listIntents(ctx.db, ctx.signer.address, ["queued"]).sort((a, b) => a.id - b.id);
  if (queued.length === 0) return 0;
  await ensureNonce(ctx);
  let fees: Fees | undefined;
  let signed = 0;
  for (const row of queued) {
    const gasLimit = row.gasLimit ?? (await estimate(ctx, row));
    if (gasLimit === "stop") break;
    if (gasLimit === "finished") continue;
    fees ??= await quoteFees(ctx.rpc, ctx.fees);
    const done = ctx.db.transaction(() => {
      const current = getIntent(ctx.db, row.key);
      if (!current || current.status !== "queued") return false;
      const nonce = nextNonce(ctx.db, ctx.signer.address)!.nonce;
      const tx = signTransaction(ctx.signer, { chainId: ctx.chainId, nonce, to: row.to, data: row.data, value: row.value, gasLimit, fees: fees! });
      const now = ctx.now();
      recordSignedTx(ctx.db, row.id, nonce, tx, feesToJson(fees!), "call", now);
      transition(ctx.db, current, "signed", {
        nonce, tx_hash: tx.hash, raw_tx: tx.raw, fees: feesToJson(fees!), gas_limit: gasLimit.toString(),
        cancelling: 0, signed_at: now, broadcast_at: null, last_error: null,
      }, `nonce ${nonce}`, now);
      setNextNonce(ctx.db, ctx.signer.address, nonce + 1);
      return true;
    });
    if (done) signed++;
  }
  return signed;
}

/**
 * The gas limit of a queued intent (estimate plus margin, at most the per-transaction cap), or
 * "finished" when the estimate shows a revert that settles the intent, or "stop" to sign nothing
 * more now (node unavailable, or a revert that earlier in-flight intents may still change).
 */
async function estimate(ctx: OutboxContext, row: IntentRecord): Promise<bigint | "stop" | "finished"> {
  try {
    const gas = await ctx.rpc.estimateGas({ from: ctx.signer.address, to: row.to, data: row.data, value: row.value }, "pending");
    const limit = gas + (gas * BigInt(ctx.gasMarginPercent)) / 100n;
    if (gas > ctx.maxGasPerTx) {
      finish(ctx, row, "dead", null, `needs ${gas} gas, above the per-transaction cap ${ctx.maxGasPerTx}`);
      return "finished";
    }
    return limit > ctx.maxGasPerTx ? ctx.maxGasPerTx : limit;
  } catch (error) {
    if (isRevertError(error)) {
      const revert = decodeRevert(revertDataOf(error), ctx.iface);
      const inFlight = listIntents(ctx.db, ctx.signer.address, ["signed", "sent", "mined"]).length;
      if (inFlight > 0) {
        note(ctx, row, `estimate reverts with ${formatRevert(revert)}; waiting for earlier intents`);
        return "stop";
      }
      finish(ctx, row, ctx.doneErrors.has(revert.name ?? "") ? "done" : "dead", revert, formatRevert(revert));
      return "finished";
    }
    if (isChainError(error, "RPC_UNAVAILABLE")) {
      note(ctx, row, describeError(error));
      return "stop";
    }
    // The node refused the estimate for another reason (funds, limits): a bounded retry.
    ctx.db.transaction(() => {
      const current = getIntent(ctx.db, row.key)!;
      const attempts = current.attempts + 1;
      if (attempts >= ctx.maxAttempts) finish(ctx, current, "dead", null, describeError(error), attempts);
      else transition(ctx.db, current, "queued", { attempts, last_error: describeError(error) }, "estimate failed", ctx.now());
    });
    return "stop";
  }
}

/** Ends a queued intent without sending anything: no nonce was used. */
function finish(ctx: OutboxContext, row: IntentRecord, status: "done" | "dead", revert: ReturnType<typeof decodeRevert> | null, reason: string, attempts = row.attempts): void {
  ctx.db.transaction(() => {
    const current = getIntent(ctx.db, row.key)!;
    const now = ctx.now();
    transition(ctx.db, current, status, {
      revert: revert ? JSON.stringify(revert) : null, last_error: reason, finished_at: now, attempts,
    }, reason, now);
  });
}

function note(ctx: OutboxContext, row: IntentRecord, message: string): void {
  ctx.db.run("UPDATE outbox_intents SET last_error = ? WHERE id = ?", message, row.id);
}

/**
 * Re-signs `row`'s nonce with bumped fees: the same call, or a cancel (a 0-value transfer to
 * itself) once `maxAttempts` retries are used up, so the nonce is filled and later intents can
 * still mine. Moves the row to "signed"; the next send broadcasts it.
 */
export async function resign(ctx: OutboxContext, row: IntentRecord, reason: string): Promise<void> {
  const attempts = row.attempts + 1;
  const cancel = row.cancelling || attempts >= ctx.maxAttempts;
  const market = await quoteFees(ctx.rpc, ctx.fees);
  const fees = bumpFees(row.fees!, market, ctx.fees);
  ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (!current) return;
    const now = ctx.now();
    if (!cancel && notBumped(current.fees!, fees)) {
      transition(ctx.db, current, current.status, { attempts, last_error: `${reason}; fees already at the configured cap` }, "fee cap reached", now);
      return;
    }
    const nonce = current.nonce!;
    const call = cancel
      ? { to: ctx.signer.address, data: "0x", value: 0n, gasLimit: CANCEL_GAS }
      : { to: current.to, data: current.data, value: current.value, gasLimit: current.gasLimit! };
    const tx = signTransaction(ctx.signer, { chainId: ctx.chainId, nonce, ...call, fees });
    recordSignedTx(ctx.db, current.id, nonce, tx, feesToJson(fees), cancel ? "cancel" : "call", now);
    const why = cancel && !current.cancelling ? `${reason}; ${attempts} attempts used, cancelling nonce ${nonce}` : reason;
    transition(ctx.db, current, "signed", {
      tx_hash: tx.hash, raw_tx: tx.raw, fees: feesToJson(fees), cancelling: cancel ? 1 : 0, attempts,
      broadcast_at: null, last_error: why,
    }, cancel ? "signed a cancel" : "replaced with higher fees", now);
  });
}

/**
 * Gives a signed row whose nonce another sender used back to the queue (its bytes can never mine);
 * a row that was being cancelled is dead instead, its nonce being filled anyway.
 */
export function requeueTakenNonce(ctx: OutboxContext, row: IntentRecord, chainNonce: number): void {
  ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (!current) return;
    const now = ctx.now();
    if (current.cancelling) {
      transition(ctx.db, current, "dead", { last_error: `${current.lastError ?? "given up"}; nonce ${current.nonce} filled by another transaction`, finished_at: now }, "nonce filled elsewhere", now);
      return;
    }
    transition(ctx.db, current, "queued", {
      nonce: null, tx_hash: null, raw_tx: null, fees: null, cancelling: 0, attempts: current.attempts + 1,
      last_error: `nonce ${current.nonce} was used by another transaction of this account`,
    }, "nonce taken: re-queued", now);
    const next = nextNonce(ctx.db, ctx.signer.address)!.nonce;
    if (chainNonce > next) setNextNonce(ctx.db, ctx.signer.address, chainNonce);
  });
}
