/**
 * The evidence of a claim: a batch of the evidence store (kind ChargeDetailRecords) holding every
 * CDR digest of the claim, anchored in the EvidenceLedger by the host. An anchored batch of the
 * host that already holds them all is reused; otherwise the claim gets its own batch. The batch is
 * recorded in the store by the same code as `anchorNextBatch` (`anchorThrough`), but the
 * `anchorBatch` transaction goes through the bot's Outbox, the only sender of the account's
 * transactions.
 */
import { getAddress, id, zeroPadValue } from "ethers";
import { isChainError } from "../chain/errors.js";
import type { IntentRecord, WriteResult } from "../chain/outbox.js";
import { anchorThrough, type AnchorOutcome, type AnchorWrite, type AnchorWriter } from "../evidence/anchor.js";
import { buildBatch, proofFor } from "../evidence/merkle.js";
import type { AnchorInfo, StoredBatch } from "../evidence/storeBatches.js";
import { AnchorKind } from "../evidence/types.js";
import { ledgerIface } from "./contracts.js";
import type { BotContext } from "./context.js";

const BATCH_ANCHORED = id("BatchAnchored(bytes32,address,uint32,uint8,uint40)");

/** The store's batch for `digests`: an anchored one of ours that holds them all, else the claim's own (created if needed). */
export function evidenceBatchFor(ctx: BotContext, digests: readonly string[]): StoredBatch {
  const wanted = digests.map((d) => d.toLowerCase());
  const reusable = ctx.store.batches.containing(wanted[0]!).map((c) => c.batch).find((b) => {
    if (b.kind !== AnchorKind.ChargeDetailRecords || !b.anchor || getAddress(b.anchor.submitter) !== ctx.account) return false;
    const leaves = new Set(b.leaves.map((l) => l.toLowerCase()));
    return wanted.every((d) => leaves.has(d));
  });
  if (reusable) return reusable;
  const batch = buildBatch(wanted);
  return ctx.store.batches.get(batch.root) ?? ctx.store.batches.insert("ChargeDetailRecords", batch);
}

/** The `anchorBatch` intent of a stored batch. */
export function anchorIntent(ctx: BotContext, batch: StoredBatch): { key: string; label: string; to: string; data: string } {
  return {
    key: `anchor:${batch.root}`,
    label: `anchor ${batch.count} CDR digests`,
    to: ctx.ledger,
    data: ledgerIface.encodeFunctionData("anchorBatch", [batch.root, batch.count, AnchorKind.ChargeDetailRecords]),
  };
}

export type { AnchorOutcome };

/**
 * Follows the anchoring intent of `root` (enqueued in the Outbox by the claim's stage change):
 * once final (or done because the root was already anchored), records the anchor in the evidence
 * store through the evidence layer's one anchoring (`anchorThrough`) and returns it.
 */
export async function followAnchor(ctx: BotContext, root: string, intent: IntentRecord | undefined): Promise<AnchorOutcome> {
  const batch = ctx.store.batches.get(root);
  if (!batch) return { kind: "stuck", note: "evidence batch missing from the store" };
  return anchorThrough(ctx.store, batch, outboxWriter(ctx, intent));
}

/** The bot's anchoring writer: the Outbox sends; this follows its intent. */
function outboxWriter(ctx: BotContext, intent: IntentRecord | undefined): AnchorWriter {
  return {
    account: ctx.account,
    find: (batch) => findAnchor(ctx, batch.root),
    async write(batch): Promise<AnchorWrite> {
      if (!intent) return { kind: "stuck", note: "anchoring intent missing" };
      if (intent.status === "dead") return { kind: "stuck", note: `anchoring given up: ${intent.lastError ?? "no reason"}` };
      if (intent.status === "done") return { kind: "already" };
      if (intent.status !== "final") return { kind: "waiting" };
      const result: WriteResult = await ctx.outbox.wait(intent.key, { drive: false, timeoutMs: 0 });
      const event = result.events.find((e) => e.name === "BatchAnchored" && String(e.named.root).toLowerCase() === batch.root);
      if (!event || !result.txHash || result.blockNumber === null) return { kind: "stuck", note: "anchoring transaction did not anchor the root" };
      return {
        kind: "anchored",
        anchor: {
          txHash: result.txHash, blockNumber: result.blockNumber, blockTime: Number(event.named.anchoredAt),
          chainId: ctx.chainId, ledger: ctx.ledger, submitter: getAddress(String(event.named.submitter)),
        },
      };
    },
  };
}

/** The anchoring of `root` found on the chain (an earlier transaction of any run), or null. */
async function findAnchor(ctx: BotContext, root: string): Promise<AnchorInfo | null> {
  const onChain = await ctx.views.anchorOf(ctx.account, root);
  if (!onChain) return null;
  const head = await ctx.rpc.blockNumber();
  let logs;
  try {
    logs = await ctx.rpc.getLogs({ fromBlock: ctx.config.startBlock, toBlock: head, address: ctx.ledger, topics: [BATCH_ANCHORED, root, zeroPadValue(ctx.account, 32)] });
  } catch (error) {
    if (isChainError(error, "RPC_ERROR")) return null;
    throw error;
  }
  const log = logs[0];
  if (!log) return null;
  return {
    txHash: log.transactionHash, blockNumber: log.blockNumber, blockTime: onChain.anchoredAt,
    chainId: ctx.chainId, ledger: ctx.ledger, submitter: getAddress(onChain.submitter),
  };
}

/** Each digest's inclusion proof under the batch root. */
export function evidenceProofs(batch: StoredBatch, digests: readonly string[]): Record<string, string[]> {
  const tree = buildBatch(batch.leaves);
  return Object.fromEntries(digests.map((d) => [d.toLowerCase(), proofFor(tree, d)]));
}
