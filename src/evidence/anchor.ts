/**
 * Writes evidence to the EvidenceLedger: anchoring batch roots of stored digests (recorded back
 * into the store), and recording proofs of origin, of receipt and refusals of receipt.
 * Every write returns something to wait on; reverts come back as `EvidenceError("CHAIN")` whose
 * details carry the custom error's name and arguments.
 */
import { getAddress, type Contract, type Signer, type TransactionReceipt } from "ethers";
import { chainError, ledgerAt } from "./contracts.js";
import { EvidenceError } from "./errors.js";
import { buildBatch } from "./merkle.js";
import type { SignedMessage, SignedReceipt } from "./messages.js";
import { bodyHash } from "./sign.js";
import type { EvidenceStore, RefusalRecord, StoredBatch } from "./store.js";
import type { AnchorInfo } from "./storeBatches.js";
import { AnchorKind, MessageType, type AnchorKindName } from "./types.js";

/** A sent transaction: its hash now, its decoded result once mined. */
export interface ChainWrite<T> {
  hash: string;
  wait(confirmations?: number): Promise<T>;
}

export interface RecordedOnChain {
  digest: string;
  txHash: string;
  blockNumber: number;
  blockTime: number;
}

export interface AnchorOptions {
  /** Kind of the batch and of the digests it takes (default `Receipts`). */
  kind?: AnchorKindName;
  /** Most digests per batch (default 10 000; the ledger's gas does not depend on it). */
  limit?: number;
  confirmations?: number;
  /**
   * First block to search for the transaction of an anchor made earlier (by a run that crashed
   * before recording it): the ledger's deployment block, which no anchor can precede (default 0).
   * The search runs only when the ledger says this account has anchored the root.
   */
  fromBlock?: number;
}

type SentTx = { hash: string; wait(confirmations?: number): Promise<TransactionReceipt | null> };

/** What a mined write produced: its transaction, block, block time and the decoded event. */
interface Mined {
  txHash: string;
  blockNumber: number;
  blockTime: number;
  event: Record<string, unknown>;
}

/** Sends `call` to the ledger at `ledgerAddress`; `wait()` decodes `eventName` of the mined transaction. */
async function submit<T>(
  signer: Signer,
  ledgerAddress: string,
  action: string,
  eventName: string,
  call: (ledger: Contract) => Promise<SentTx>,
  decode: (mined: Mined) => T,
): Promise<ChainWrite<T>> {
  const ledger = ledgerAt(ledgerAddress, signer);
  let tx: SentTx;
  try {
    tx = await call(ledger);
  } catch (error) {
    throw chainError(action, error);
  }
  return {
    hash: tx.hash,
    async wait(confirmations = 1) {
      let receipt: TransactionReceipt | null;
      try {
        receipt = await tx.wait(confirmations);
      } catch (error) {
        throw chainError(action, error);
      }
      if (!receipt || receipt.status !== 1) throw new EvidenceError("CHAIN", `${action} failed`, { txHash: tx.hash });
      const log = receipt.logs.map((l) => ledger.interface.parseLog(l)).find((l) => l?.name === eventName);
      if (!log) throw new EvidenceError("CHAIN", `${action}: no ${eventName} event`, { txHash: tx.hash });
      const { timestamp } = await receipt.getBlock();
      const mined = { txHash: receipt.hash, blockNumber: receipt.blockNumber, blockTime: timestamp };
      return decode({ ...mined, event: log.args.toObject() });
    },
  };
}

function sameDigest(action: string, expected: string, got: unknown): void {
  if (String(got) !== expected)
    throw new EvidenceError("CHAIN", `${action}: the ledger computed another digest`, { expected, got });
}

/**
 * Records a proof of origin (`recordOrigin`) and checks the ledger computed the same digest. The
 * receiver and the receipt deadline are those signed in the header; `signer` must be the origin
 * itself or hold SUBMITTER_ROLE.
 */
export function recordOriginOnChain(
  signer: Signer,
  ledgerAddress: string,
  signed: SignedMessage,
): Promise<ChainWrite<RecordedOnChain>> {
  const { type, header, body, party, signature, digest } = signed;
  if (header.receiver === undefined || header.receiptDeadline === undefined) {
    return Promise.reject(
      new EvidenceError("BAD_INPUT", "only a version 2 message (with receiver and receipt deadline) can be recorded", {
        digest,
      }),
    );
  }
  const call = (l: Contract) => l.recordOrigin!(MessageType[type], header, bodyHash(type, body), party, signature);
  return submit(signer, ledgerAddress, "recordOrigin", "OriginRecorded", call, ({ event, ...mined }) => {
    sameDigest("recordOrigin", digest, event.digest);
    return { digest, ...mined };
  });
}

/**
 * Records a proof of receipt (`recordReceipt`) and checks the ledger computed the same digest.
 * The ledger attributes it to the receiver the message named; `signed.receiver` must be that one.
 */
export function recordReceiptOnChain(
  signer: Signer,
  ledgerAddress: string,
  signed: SignedReceipt,
): Promise<ChainWrite<RecordedOnChain>> {
  const call = (l: Contract) => l.recordReceipt!(signed.receipt, signed.signature);
  return submit(signer, ledgerAddress, "recordReceipt", "ReceiptRecorded", call, ({ event, ...mined }) => {
    sameDigest("recordReceipt", signed.digest, event.receiptDigest);
    return { digest: signed.digest, ...mined };
  });
}

/** Records that no receipt of `nroDigest` came by its deadline (`signer` must be the origin); stores it if given a store. */
export function recordRefusalOnChain(
  signer: Signer,
  ledgerAddress: string,
  nroDigest: string,
  store?: EvidenceStore,
): Promise<ChainWrite<Omit<RefusalRecord, "sessionId">>> {
  const call = (l: Contract) => l.recordRefusal!(nroDigest);
  return submit(signer, ledgerAddress, "recordRefusal", "ReceiptRefused", call, ({ event, ...mined }) => {
    const { txHash, blockNumber, blockTime } = mined;
    const refusal = {
      nroDigest: String(event.nroDigest),
      origin: String(event.origin),
      deadline: Number(event.deadline),
    };
    store?.putRefusal({ ...refusal, txHash, blockNumber, blockTime });
    return { ...refusal, txHash, blockNumber, blockTime };
  });
}

/**
 * Anchors the next batch of `kind`: resumes a batch left pending (by a crash or a failed send),
 * else batches the stored digests of that kind not yet in a batch. Builds the tree, sends
 * `anchorBatch(root, count, kind)`, waits and records the anchor in the store. Null if nothing to do.
 */
export async function anchorNextBatch(
  store: EvidenceStore,
  signer: Signer,
  options: AnchorOptions = {},
): Promise<StoredBatch | null> {
  const kind = options.kind ?? "Receipts";
  const code = AnchorKind[kind];
  const provider = signer.provider;
  if (!provider) throw new EvidenceError("BAD_INPUT", "the signer needs a provider");
  const { chainId } = await provider.getNetwork();
  if (chainId !== store.chainId) {
    throw new EvidenceError("CHAIN", "signer is on another chain than the store", { chainId: chainId.toString() });
  }
  const batch =
    store.batches.pending().find((b) => b.kind === code) ??
    store.transaction(() => {
      const digests = store.batches.unbatched(kind, options.limit);
      return digests.length === 0 ? null : store.batches.insert(kind, buildBatch(digests));
    });
  if (!batch) return null;
  const outcome = await anchorThrough(store, batch, await signerWriter(store, signer, options));
  if (outcome.kind !== "anchored") {
    if (outcome.kind === "stuck" && outcome.cause !== undefined) throw outcome.cause;
    throw new EvidenceError("CHAIN", outcome.kind === "stuck" ? outcome.note : "anchorBatch did not complete", { root: batch.root });
  }
  return store.batches.get(batch.root);
}

/** Where an anchoring stands: recorded, in flight (a long-running party's writer), or stuck with a reason. */
export type AnchorOutcome =
  | { kind: "anchored"; anchor: AnchorInfo }
  | { kind: "waiting" }
  | { kind: "stuck"; note: string; cause?: unknown };

/** What a writer did with `anchorBatch(batch)`: mined it, found the root already anchored, or is still at it. */
export type AnchorWrite = { kind: "anchored"; anchor: AnchorInfo } | { kind: "already" } | { kind: "waiting" } | { kind: "stuck"; note: string; cause?: unknown };

/**
 * How a party sends `anchorBatch` and finds its own earlier anchor of a root: through an ethers
 * signer (`anchorNextBatch`) or through the outbox of a long-running party (the settlement bot).
 */
export interface AnchorWriter {
  /** The anchoring account. */
  readonly account: string;
  /** Sends or follows `anchorBatch(batch)`. */
  write(batch: StoredBatch): Promise<AnchorWrite>;
  /** This account's anchor of `batch.root` made earlier (by any run), or null. */
  find(batch: StoredBatch): Promise<AnchorInfo | null>;
}

/**
 * The one implementation of "anchor this batch's root": writes through `writer`; when the ledger
 * says the root is anchored already, looks up this account's anchor; refuses an anchor by another
 * account; records the anchor in the store.
 */
export async function anchorThrough(store: EvidenceStore, batch: StoredBatch, writer: AnchorWriter): Promise<AnchorOutcome> {
  if (batch.anchor) return { kind: "anchored", anchor: batch.anchor };
  const written = await writer.write(batch);
  if (written.kind === "waiting" || written.kind === "stuck") return written;
  const anchor = written.kind === "anchored" ? written.anchor : await writer.find(batch);
  if (!anchor) return { kind: "stuck", note: "the ledger holds the root, but no anchor of this account was found" };
  if (getAddress(anchor.submitter) !== getAddress(writer.account)) {
    return { kind: "stuck", note: `evidence root anchored by another account ${anchor.submitter}` };
  }
  store.transaction(() => {
    store.batches.markSent(batch.root, anchor.txHash);
    store.batches.markAnchored(batch.root, anchor);
  });
  return { kind: "anchored", anchor };
}

/** The writer of `anchorNextBatch`: resumes an earlier anchoring, else sends and waits through `signer`. */
async function signerWriter(store: EvidenceStore, signer: Signer, options: AnchorOptions): Promise<AnchorWriter> {
  const ledger = ledgerAt(store.ledger, signer);
  return {
    account: await signer.getAddress(),
    find: (batch: StoredBatch) => findAnchor(store, signer, ledger, batch, options),
    async write(batch: StoredBatch): Promise<AnchorWrite> {
      // A batch this store sent before: follow that transaction. One it never sent needs no
      // look-up first: if the root is anchored already (by a run that crashed before recording
      // its send), the ledger refuses the new anchoring and the anchor is looked up then.
      const earlier = batch.sentTxHash === null ? null : await findAnchor(store, signer, ledger, batch, options);
      if (earlier) return { kind: "anchored", anchor: earlier };
      try {
        const call = (l: Contract) => l.anchorBatch!(batch.root, batch.count, batch.kind);
        const sent = await submit(signer, store.ledger, "anchorBatch", "BatchAnchored", call, (m) =>
          anchorInfo(store, m.txHash, m.blockNumber, m.event),
        );
        store.batches.markSent(batch.root, sent.hash);
        return { kind: "anchored", anchor: await sent.wait(options.confirmations) };
      } catch (error) {
        // Someone anchored the same root meanwhile: the anchor exists, so find and record it.
        if (error instanceof EvidenceError && error.details.error === "EvidenceAlreadyAnchored") {
          const found = await findAnchor(store, signer, ledger, batch, options);
          return found ? { kind: "anchored", anchor: found } : { kind: "stuck", note: "root already anchored", cause: error };
        }
        throw error;
      }
    },
  };
}

function anchorInfo(
  at: { chainId: bigint; ledger: string },
  txHash: string,
  blockNumber: number,
  e: Record<string, unknown>,
): AnchorInfo {
  return {
    txHash,
    blockNumber,
    blockTime: Number(e.anchoredAt),
    chainId: at.chainId,
    ledger: at.ledger,
    submitter: String(e.submitter),
  };
}

/** The anchoring of `batch` if it already happened (a sent transaction, or an event on the ledger). */
async function findAnchor(
  store: EvidenceStore,
  signer: Signer,
  ledger: Contract,
  batch: StoredBatch,
  options: AnchorOptions,
): Promise<AnchorInfo | null> {
  const provider = ledger.runner!.provider!;
  if (batch.sentTxHash) {
    const receipt = await provider.getTransactionReceipt(batch.sentTxHash);
    const logs = receipt?.status === 1 ? receipt.logs.map((l) => ledger.interface.parseLog(l)) : [];
    const log = logs.find((l) => l?.name === "BatchAnchored" && l.args.root === batch.root);
    if (receipt && log) return anchorInfo(store, receipt.hash, receipt.blockNumber, log.args.toObject());
  }
  // Only this signer's own anchor of the root counts: anchors are keyed by (submitter, root).
  const submitter = await signer.getAddress();
  // The ledger's state answers whether it exists (one call); only then is its transaction searched.
  try {
    await ledger.anchorOf!(submitter, batch.root);
  } catch (error) {
    const failed = chainError("anchorOf", error);
    if (failed.details.error === "EvidenceAnchorNotFound") return null;
    throw failed;
  }
  const filter = ledger.filters.BatchAnchored!(batch.root, submitter);
  let events;
  try {
    events = await ledger.queryFilter(filter, options.fromBlock ?? 0);
  } catch (error) {
    throw chainError("BatchAnchored lookup", error);
  }
  const event = events[0];
  if (!event || !("args" in event)) return null;
  return anchorInfo(store, event.transactionHash, event.blockNumber, event.args.toObject());
}
