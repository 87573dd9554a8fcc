/**
 * The chain layer: the committed typed ABIs, the one deploy path and the deployments file, a
 * validated JSON-RPC client, the bot database, the outbox, the event reader.
 */
export * from "./abi/index.js";
export {
  contractAt, deployContract, deployCore, deployEscrowOpenings, deployRoamingSettlement,
  type Abi, type CoreDeployment, type DeployOptions, type DynamicContract, type EscrowOpeningsOptions, type SettlementOptions,
  type SettlementTiming,
} from "./deploy.js";
export {
  attachDeployment, CONTRACT_NAMES, DEFAULT_SETTINGS, deployAll, parseDeployment, readDeployments, resolveSettings, verifyDeployment,
  writeDeployments,
  type ContractName, type DeployedAt, type DeployedContracts, type Deployment, type DeploySettings, type DeploySettingsInput,
  type FullDeployment,
} from "./deployAll.js";
export { CHAIN_EXIT_CODES, ChainError, describeError, isChainError, type ChainErrorCode } from "./errors.js";
export { BotDatabase, type OpenOptions, type Param, type Row } from "./db.js";
export {
  ChainProvider, ChainRpc, connectRpc, DEFAULT_RPC_TIMEOUT_MS, httpProvider, rpcFailure, type RpcConnection,
  type BlockHeader, type BlockTag, type CallRequest, type ChainLog, type ChainReceipt, type ChainTransaction,
  type Eip1193Provider, type LogFilter,
} from "./rpc.js";
export {
  combineAbis, contractErrors, decodeLog, decodeRevert, findRevertData, formatRevert, isRevert, isRevertError, revertDataOf, revertOf,
  toChainError,
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
