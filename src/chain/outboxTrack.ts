/**
 * Sending and tracking for the outbox: broadcast the stored signed bytes in nonce order, follow
 * each transaction to its receipt and through its confirmations, and undo "mined" when a reorg
 * removes its block.
 */
import { decodeRevert, formatRevert, isRevertError, revertDataOf, type DecodedRevert } from "./decode.js";
import { describeError, isChainError, type ChainError } from "./errors.js";
import { hashesOf, kindOf, listIntents, reload, setConfirmations, transition, type IntentRecord, type StoredReceipt } from "./outboxStore.js";
import { requeueTakenNonce, resign, type OutboxContext } from "./outboxSign.js";
import type { ChainReceipt } from "./rpc.js";

/** Broadcasts signed intents in nonce order; stops at the first that is not accepted (later nonces would wait anyway). */
export async function sendSigned(ctx: OutboxContext): Promise<number> {
  let sent = 0;
  for (const row of listIntents(ctx.db, ctx.signer.address, ["signed"])) {
    let accepted: boolean;
    try {
      await ctx.rpc.sendRawTransaction(row.rawTx!);
      accepted = markSent(ctx, row, "broadcast");
    } catch (error) {
      accepted = await sendFailed(ctx, row, error as ChainError);
    }
    if (!accepted) break;
    sent++;
  }
  return sent;
}

function markSent(ctx: OutboxContext, row: IntentRecord, note: string): boolean {
  return ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (!current) return false;
    const now = ctx.now();
    // A cancel keeps the reason the intent is being given up.
    const lastError = current.cancelling ? current.lastError : null;
    transition(ctx.db, current, "sent", { sent_at: current.sentAt ?? now, broadcast_at: now, last_error: lastError }, note, now);
    return true;
  });
}

function noteError(ctx: OutboxContext, row: IntentRecord, error: unknown): void {
  ctx.db.run("UPDATE outbox_intents SET last_error = ? WHERE id = ?", describeError(error), row.id);
}

/** True if the node holds (pending or mined) any transaction signed for `row`'s nonce. */
async function knownByNode(ctx: OutboxContext, row: IntentRecord): Promise<boolean> {
  for (const hash of hashesOf(ctx.db, row)) if (await ctx.rpc.getTransaction(hash)) return true;
  return false;
}

/** Decides what a failed broadcast means. Returns true when the transaction counts as sent. */
async function sendFailed(ctx: OutboxContext, row: IntentRecord, error: ChainError): Promise<boolean> {
  if (!isChainError(error, "RPC_ERROR")) {
    // No answer (or a wrong one): the same bytes go again later, with the same nonce.
    noteError(ctx, row, error);
    return false;
  }
  // The node refused, yet may hold or have mined our transaction (a lost answer, a revert under automine).
  if (await knownByNode(ctx, row)) return markSent(ctx, row, "already known to the node");
  const message = String(error.details.rpcMessage ?? error.message);
  if (/already known|known transaction|already imported/i.test(message)) return markSent(ctx, row, "already known to the node");
  if (/nonce too low|nonce has already been used|already been mined|old nonce/i.test(message)) {
    const chainNonce = await ctx.rpc.transactionCount(ctx.signer.address, "latest");
    if (chainNonce > row.nonce! && !(await knownByNode(ctx, row))) requeueTakenNonce(ctx, row, chainNonce);
    else noteError(ctx, row, error);
    return false;
  }
  if (/underpriced|fee too low|less than (the )?block base fee|fee cap/i.test(message)) {
    await resign(ctx, row, describeError(error));
    return false;
  }
  const attempts = row.attempts + 1;
  if (attempts >= ctx.maxAttempts && !row.cancelling) {
    await resign(ctx, row, describeError(error));
    return false;
  }
  ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (current) transition(ctx.db, current, "signed", { attempts, last_error: describeError(error) }, "send refused", ctx.now());
  });
  return false;
}

/** Follows sent and mined intents: receipts, drops, stuck transactions, reorgs and confirmations. */
export async function poll(ctx: OutboxContext): Promise<void> {
  const head = await ctx.rpc.blockNumber();
  for (const row of listIntents(ctx.db, ctx.signer.address, ["sent"])) await checkSent(ctx, row);
  for (const row of listIntents(ctx.db, ctx.signer.address, ["mined"])) await checkMined(ctx, row, head);
}

async function checkSent(ctx: OutboxContext, row: IntentRecord): Promise<void> {
  const hashes = hashesOf(ctx.db, row);
  for (const hash of hashes) {
    const receipt = await ctx.rpc.getReceipt(hash);
    if (receipt) return markMined(ctx, row, receipt, `mined in block ${receipt.blockNumber}`);
  }
  const waited = ctx.now() - (row.broadcastAt ?? 0);
  if (await knownByNode(ctx, row)) {
    if (waited >= ctx.replaceAfterMs) await resign(ctx, row, `pending for ${waited} ms`);
    return;
  }
  const chainNonce = await ctx.rpc.transactionCount(ctx.signer.address, "latest");
  if (chainNonce > row.nonce!) {
    // The nonce is used: by us if a receipt shows up now, by another transaction otherwise.
    for (const hash of hashes) {
      const receipt = await ctx.rpc.getReceipt(hash);
      if (receipt) return markMined(ctx, row, receipt, `mined in block ${receipt.blockNumber}`);
    }
    return requeueTakenNonce(ctx, row, chainNonce);
  }
  if (waited < ctx.dropAfterMs) return;
  const attempts = row.attempts + 1;
  if (attempts >= ctx.maxAttempts && !row.cancelling) return resign(ctx, row, "dropped from the mempool");
  ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (!current) return;
    const why = "not in the mempool and not mined: rebroadcasting the same bytes";
    transition(ctx.db, current, "signed", { attempts, broadcast_at: null, last_error: why }, "dropped", ctx.now());
  });
}

async function markMined(ctx: OutboxContext, row: IntentRecord, receipt: ChainReceipt, note: string): Promise<void> {
  const kind = kindOf(ctx.db, receipt.transactionHash) ?? "call";
  const revert = receipt.status === 0 && kind === "call" ? await explainRevert(ctx, row, receipt.blockNumber) : null;
  const stored: StoredReceipt = {
    transactionHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
    status: receipt.status,
    gasUsed: receipt.gasUsed.toString(),
    logs: receipt.logs.map((l) => ({ address: l.address, logIndex: l.logIndex, topics: l.topics, data: l.data })),
  };
  ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (!current) return;
    const now = ctx.now();
    transition(ctx.db, current, "mined", {
      mined_hash: receipt.transactionHash, block_number: receipt.blockNumber, block_hash: receipt.blockHash, confirmations: 1,
      receipt: JSON.stringify(stored), revert: revert ? JSON.stringify(revert) : null, mined_at: now,
      last_error: revert ? formatRevert(revert) : current.lastError,
    }, note, now);
  });
}

/** Replays a reverted call at its block (then at the parent) to read the revert data the receipt lacks. */
async function explainRevert(ctx: OutboxContext, row: IntentRecord, block: number): Promise<DecodedRevert> {
  const call = { from: ctx.signer.address, to: row.to, data: row.data, value: row.value };
  for (const at of [block, block - 1]) {
    try {
      await ctx.rpc.call(call, at);
    } catch (error) {
      if (isRevertError(error)) return decodeRevert(revertDataOf(error), ctx.iface);
      throw error;
    }
  }
  return decodeRevert(undefined, ctx.iface);
}

async function checkMined(ctx: OutboxContext, row: IntentRecord, head: number): Promise<void> {
  const header = await ctx.rpc.getBlock(row.blockNumber!);
  const receipt = await ctx.rpc.getReceipt(row.minedHash!);
  if (header && receipt && header.hash === row.blockHash && receipt.blockHash === row.blockHash) {
    const confirmations = Math.max(0, head - row.blockNumber! + 1);
    if (confirmations >= ctx.confirmations) finalize(ctx, row, confirmations);
    else if (confirmations !== row.confirmations) setConfirmations(ctx.db, row.id, confirmations);
    return;
  }
  // A reorg: the block that held the transaction is no longer canonical.
  if (receipt) {
    const at = await ctx.rpc.getBlock(receipt.blockNumber);
    if (at && at.hash === receipt.blockHash) return markMined(ctx, row, receipt, `moved by a reorg to block ${receipt.blockNumber}`);
  }
  ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (!current) return;
    const why = `reorg: block ${row.blockNumber} (${row.blockHash}) is no longer canonical; rebroadcasting`;
    transition(ctx.db, current, "signed", {
      mined_hash: null, block_number: null, block_hash: null, confirmations: 0, receipt: null, revert: null, mined_at: null,
      broadcast_at: null, last_error: why,
    }, "reorged out", ctx.now());
  });
}

function finalize(ctx: OutboxContext, row: IntentRecord, confirmations: number): void {
  const cancelled = kindOf(ctx.db, row.minedHash!) === "cancel";
  let status: "final" | "done" | "dead" = "final";
  let reason = row.lastError;
  if (cancelled) {
    status = "dead";
  } else if (row.receipt?.status === 0) {
    status = ctx.doneErrors.has(row.revert?.name ?? "") ? "done" : "dead";
    reason = row.revert ? formatRevert(row.revert) : "reverted";
  }
  ctx.db.transaction(() => {
    const current = reload(ctx.db, row);
    if (!current) return;
    const now = ctx.now();
    transition(ctx.db, current, status, {
      confirmations, finished_at: now, last_error: status === "final" ? null : reason,
    }, `${confirmations} confirmations`, now);
  });
}
