/** The chain layer: contract deployment and artifacts, a validated JSON-RPC client, the bot database, the outbox, the event reader. */
export { loadArtifact, type Artifact } from "./artifacts.js";
export { deployCore, type CoreDeployment, type DeployOptions, type DynamicContract } from "./deploy.js";
export { ChainError, describeError, isChainError, type ChainErrorCode } from "./errors.js";
export { BotDatabase, type OpenOptions, type Param, type Row } from "./db.js";
export {
  ChainRpc, httpProvider, rpcFailure,
  type BlockHeader, type BlockTag, type CallRequest, type ChainLog, type ChainReceipt, type ChainTransaction,
  type Eip1193Provider, type LogFilter,
} from "./rpc.js";
export {
  combineAbis, decodeLog, decodeRevert, formatRevert, isRevertError, revertDataOf,
  type DecodedEvent, type DecodedRevert, type JsonValue,
} from "./decode.js";
export { bumpFees, quoteFees, signTransaction, type FeePolicy, type Fees, type RawSigner, type TxFields } from "./fees.js";
export {
  Outbox,
  type Intent, type IntentRecord, type IntentStatus, type OutboxOptions, type StoredReceipt, type Transition,
  type WaitOptions, type WriteResult,
} from "./outbox.js";
export { OUTBOX_MIGRATIONS } from "./outboxStore.js";
export { EVENT_MIGRATIONS, EventReader, type ChainEvent, type EventReaderOptions, type SyncResult } from "./events.js";
