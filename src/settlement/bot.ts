/**
 * The settlement bot of one supplier: its account, its evidence store, its database. `open`
 * checks the chain, the contracts and the files belong together; `tick` runs one round:
 *
 *   1. outbox round (sign, send, poll)        5. advance built claims (anchor, package, submit);
 *   2. events past the confirmations             alert on our claims disputed as a whole
 *   3. import new CDRs from the evidence store 6. verify claims against us, accept or dispute
 *   4. build claims of closed periods          7. net closed pairs, recover shortfalls owed to us,
 *                                                 withdraw above the threshold
 *                                              8. outbox round (send what this tick enqueued)
 *
 * A failing step (RPC down, …) is reported and the next steps still run; the next tick retries.
 * Only what cannot heal by retrying (database, configuration, wrong chain) is thrown.
 */
import { getAddress } from "ethers";
import { BotDatabase } from "../chain/db.js";
import { describeError, isChainError } from "../chain/errors.js";
import { EventReader } from "../chain/events.js";
import type { RawSigner } from "../chain/fees.js";
import { Outbox } from "../chain/outbox.js";
import { ChainRpc, httpProvider, type Eip1193Provider } from "../chain/rpc.js";
import { EvidenceStore } from "../evidence/store.js";
import { evidenceDomain } from "../evidence/types.js";
import { StoreCdrSource } from "./cdrSource.js";
import { WATCHED_EVENTS, recordEvent, rollbackEvents } from "./chainEvents.js";
import { openBotTables } from "./botStore.js";
import type { BotConfig } from "./config.js";
import { ALL_ABIS, ContractViews, DONE_ERRORS, SETTLEMENT_ABI, settlementIface } from "./contracts.js";
import { emptyReport, silentLogger, type BotContext, type BotLogger, type TickReport } from "./context.js";
import { CONFIG_ERROR_CODES, SettlementError, isSettlementError } from "./errors.js";
import { DirectoryExchange, type PackageExchange } from "./exchange.js";
import { advanceClaims, reportClaimDisputes } from "./hostClaims.js";
import { buildClaims, importCdrs } from "./hostCdrs.js";
import { reviewIncoming } from "./incoming.js";
import { closePeriods, recoverShortfalls, withdrawAvailable } from "./periods.js";
import { botStatus, type BotStatus } from "./status.js";

export interface OpenBotOptions {
  config: BotConfig;
  /** The supplier account's raw key (an ethers Wallet). */
  signer: RawSigner;
  /** The JSON-RPC provider (default: `httpProvider(config.rpcUrl)`). */
  provider?: Eip1193Provider;
  /** The package exchange (default: the file directory `config.exchangeDir`). */
  exchange?: PackageExchange;
  log?: BotLogger;
  /** Wall clock in ms, for bookkeeping and the outbox's retry timers. */
  now?: () => number;
}

export class SettlementBot {
  private constructor(
    private readonly ctx: BotContext,
    private readonly reader: EventReader,
  ) {}

  static async open(o: OpenBotOptions): Promise<SettlementBot> {
    const { config } = o;
    const account = getAddress(o.signer.address);
    const rpc = new ChainRpc(o.provider ?? httpProvider(config.rpcUrl));
    await rpc.assertChainId(config.chainId);
    const settlement = config.contracts.settlement;
    if ((await rpc.request("eth_getCode", [settlement, "latest"])) === "0x") {
      throw new SettlementError("DEPLOYMENT", `no contract at the settlement address ${settlement}`, { settlement });
    }
    const read = async (fn: string) => {
      try {
        return getAddress(String((await ContractViews.read(rpc, account, settlement, settlementIface, fn))[0]));
      } catch (cause) {
        if (isChainError(cause, "RPC_UNAVAILABLE")) throw cause;
        throw new SettlementError("DEPLOYMENT", `the contract at ${settlement} does not answer ${fn}(): not a RoamingSettlement`, { settlement }, cause);
      }
    };
    const ledger = await read("EVIDENCE");
    const registry = await read("REGISTRY");
    for (const [name, configured, actual] of [["ledger", config.contracts.ledger, ledger], ["registry", config.contracts.registry, registry]] as const) {
      if (configured && configured !== actual) {
        throw new SettlementError("DEPLOYMENT", `the settlement contract uses ${name} ${actual}, the config names ${configured}`, { [name]: configured, actual });
      }
    }
    const opened: { close(): void }[] = [];
    try {
      const db = BotDatabase.open(config.database);
      opened.push(db);
      openBotTables(db, { account, chainId: config.chainId, settlement });
      const domain = { chainId: config.chainId, verifyingContract: ledger };
      let store: EvidenceStore;
      try {
        store = EvidenceStore.open(config.evidenceStore, { domain, create: false });
      } catch (cause) {
        throw new SettlementError("DEPLOYMENT", `cannot use the evidence store ${config.evidenceStore}: ${(cause as Error).message}`, { path: config.evidenceStore }, cause);
      }
      opened.push(store);
      const cdrs = new StoreCdrSource(store);
      const outbox = await Outbox.open({
        db, rpc, signer: o.signer, chainId: config.chainId, abis: ALL_ABIS, confirmations: config.confirmations,
        doneErrors: DONE_ERRORS, ...config.outbox, ...(o.now ? { now: o.now } : {}),
      });
      const reader = await EventReader.open({
        db, rpc, chainId: config.chainId, name: `settlement:${settlement.toLowerCase()}`, address: settlement, abis: [SETTLEMENT_ABI],
        events: WATCHED_EVENTS, startBlock: config.startBlock, confirmations: config.confirmations,
        onEvent: (event, tx) => recordEvent(account, event, tx), onRollback: rollbackEvents,
      });
      const views = new ContractViews(rpc, account, settlement, ledger, registry);
      const periodSeconds = await views.periodSeconds();
      if (periodSeconds !== config.periodSeconds) {
        throw new SettlementError("CONFIG_INVALID", `periodSeconds is ${config.periodSeconds} but the settlement contract's periods last ${periodSeconds} s`, {
          configured: config.periodSeconds, onChain: periodSeconds,
        });
      }
      const ctx: BotContext = {
        config, db, rpc, outbox, views, store, cdrs, account, chainId: config.chainId, settlement, ledger, registry,
        exchange: o.exchange ?? new DirectoryExchange(config.exchangeDir), domain: evidenceDomain(config.chainId, ledger),
        maxBatch: await views.maxBatch(), log: o.log ?? silentLogger, now: o.now ?? Date.now,
      };
      if (!(await views.isSupplier(account))) ctx.log("warn", "the account does not hold the supplier role", { account });
      return new SettlementBot(ctx, reader);
    } catch (error) {
      for (const r of opened.reverse()) r.close();
      throw error;
    }
  }

  get address(): string {
    return this.ctx.account;
  }

  get outbox(): Outbox {
    return this.ctx.outbox;
  }

  /** One round of work; see the module comment. */
  async tick(): Promise<TickReport> {
    const report = emptyReport();
    const ctx = this.ctx;
    await this.step(report, "outbox", () => ctx.outbox.tick());
    await this.step(report, "events", () => this.reader.sync());
    const head = await this.step(report, "head", () => ctx.rpc.getBlock("latest"));
    if (!head) return report;
    const chainTime = Number(head.timestamp);
    report.block = head.number;
    report.chainTime = chainTime;
    await this.step(report, "import", () => importCdrs(ctx, report));
    await this.step(report, "claims", () => buildClaims(ctx, chainTime, report));
    await this.step(report, "submit", async () => {
      await advanceClaims(ctx, report);
      reportClaimDisputes(ctx, report);
    });
    await this.step(report, "review", () => reviewIncoming(ctx, chainTime, report));
    await this.step(report, "periods", () => closePeriods(ctx, { time: chainTime, block: head.number }, report));
    await this.step(report, "recover", () => recoverShortfalls(ctx, report));
    await this.step(report, "withdraw", () => withdrawAvailable(ctx, chainTime, report));
    await this.step(report, "outbox", () => ctx.outbox.tick());
    this.reportDeadIntents(report);
    return report;
  }

  /** Alerts once for each intent the outbox gave up (docs/operations.md says how to recover one). */
  private reportDeadIntents(report: TickReport): void {
    for (const intent of this.ctx.outbox.list(["dead"])) {
      const { changes } = this.ctx.db.run(
        "INSERT OR IGNORE INTO settlement_meta (key, value) VALUES (?, ?)", `dead:${intent.key}:${intent.finishedAt ?? 0}`, String(this.ctx.now()),
      );
      if (changes > 0) report.alerts.push(`intent ${intent.key} (${intent.label}) was given up: ${intent.lastError ?? "no reason recorded"}`);
    }
  }

  /** Claims, decisions, nettings and withdrawals as stored, for operators and tests. */
  status(): BotStatus {
    return botStatus(this.ctx.db);
  }

  close(): void {
    this.ctx.store.close();
    this.ctx.db.close();
  }

  private async step<T>(report: TickReport, name: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (isFatal(error)) throw error;
      const text = `${name}: ${describeError(error)}`;
      report.errors.push(text);
      this.ctx.log("warn", "step failed", { step: name, error: describeError(error) });
      return undefined;
    }
  }
}

/** Errors that retrying cannot heal: the loop stops on them. */
export function isFatal(error: unknown): boolean {
  if (isChainError(error)) return ["DB", "CONFIG", "WRONG_CHAIN", "IDEMPOTENCY_CONFLICT"].includes(error.code);
  return isSettlementError(error) && CONFIG_ERROR_CODES.includes(error.code);
}
