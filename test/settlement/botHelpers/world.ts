/**
 * Two suppliers (or more) on the in-process network (or on a given connection, e.g. a separate
 * node), each with a raw-key account, a registered CDR signing key, collateral, its own evidence
 * store, bot database and config file in a temporary folder, and one shared package exchange
 * folder. The bots reach the chain through the JSON-RPC proxy (or a given endpoint), exactly as
 * they would reach any endpoint.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, keccak256, parseEther, randomBytes, Wallet, type HDNodeWallet, type TypedDataDomain } from "ethers";
import { deployAll } from "../../../src/chain/deployAll.js";
import type { SignedMessage } from "../../../src/evidence/messages.js";
import { signMessage } from "../../../src/evidence/sign.js";
import { EvidenceStore } from "../../../src/evidence/store.js";
import { registerSigningKey } from "../../../src/evidence/keys.js";
import { evidenceDomain } from "../../../src/evidence/types.js";
import { SettlementBot } from "../../../src/settlement/bot.js";
import { parseConfig, type BotConfigInput } from "../../../src/settlement/config.js";
import { createNetwork, type TestConnection } from "../../helpers/network.js";
import { RpcProxy } from "../../helpers/rpcProxy.js";

export const PERIOD_SECONDS = 3600;
export const WINDOW = 4 * 3600;
/** How long after its end a period takes claims (the bots claim a minute after the end). */
export const GRACE = 2 * 3600;
/** Withdrawal notice: more than a period, its grace and the window together. */
export const NOTICE = 8 * 3600;
/** The bots' netting delay. */
export const NETTING_DELAY = 600;

/** A time at which a pair of `period` is closed and past the netting delay (its first netter nets it then, if final). */
export function nettableAt(period: number): number {
  return (period + 1) * PERIOD_SECONDS + GRACE + NETTING_DELAY + 1;
}
export const CONFIRMATIONS = 2;
export const DEPOSIT = 1_000_000_000n;

export interface Supplier {
  name: string;
  wallet: HDNodeWallet;
  /** The registered key that signs the supplier's CDRs. */
  cdrKey: HDNodeWallet;
  store: EvidenceStore;
  storePath: string;
  dbPath: string;
  configPath: string;
  envName: string;
  /** Config file fields (before validation). */
  config: BotConfigInput;
}

export interface CdrOptions {
  amount?: bigint;
  /** End of the session, seconds (default: 10 s before the latest block). */
  end?: bigint;
  key?: HDNodeWallet;
  home?: string;
}

export type World = Awaited<ReturnType<typeof createWorld>>;

export interface WorldOptions {
  /** The chain (default: a fresh in-process network); e.g. a connection to a separate node. */
  connection?: TestConnection;
  /** The endpoint written into the bots' config files (default: the fault-injecting proxy). */
  rpcUrl?: string;
  /** Suppliers beyond `host` and `home`, by name. */
  more?: string[];
}

export async function createWorld(options: WorldOptions = {}) {
  const connection: TestConnection = options.connection ?? (await createNetwork());
  const { ethers, networkHelpers } = connection;
  const [admin, arbiter] = await ethers.getSigners();
  const deployed = await deployAll(admin!, {
    registryAdminDelay: 3 * 86_400,
    settlement: { challengeWindow: WINDOW, periodSeconds: PERIOD_SECONDS, claimGrace: GRACE, withdrawalNotice: NOTICE, adminDelay: 2 * 86_400 },
  });
  const { token, settlement, settlementAddress } = deployed;
  const startBlock = Number(await ethers.provider.getBlockNumber());
  const registry = deployed.registry;
  const role = async (name: string) => (await registry[`${name}_ROLE`]()) as string;
  await (await registry.grantRole(await role("ARBITER"), arbiter!.address)).wait();

  const dir = mkdtempSync(join(tmpdir(), "settlement-bot-"));
  const exchangeDir = join(dir, "exchange");
  mkdirSync(exchangeDir);
  const proxy = await RpcProxy.start(connection.provider);
  const domain: TypedDataDomain = evidenceDomain(deployed.chainId, deployed.ledgerAddress);
  const keyFrom = BigInt(await networkHelpers.time.latest()) + 60n;

  async function supplier(name: string): Promise<Supplier> {
    const wallet = Wallet.createRandom().connect(ethers.provider);
    const cdrKey = Wallet.createRandom();
    await (await admin!.sendTransaction({ to: wallet.address, value: parseEther("10") })).wait();
    for (const r of ["SUPPLIER", "SUBMITTER"]) await (await registry.grantRole(await role(r), wallet.address)).wait();
    await registerSigningKey(registry, cdrKey, { participant: wallet.address, validFrom: keyFrom, validUntil: keyFrom + 365n * 86_400n }, { consent: wallet });
    await (await token.mint(wallet.address, DEPOSIT)).wait();
    await (await token.connect(wallet).approve(settlementAddress, DEPOSIT)).wait();
    await (await settlement.connect(wallet).deposit(DEPOSIT)).wait();
    const storePath = join(dir, `${name}-evidence.sqlite`);
    const store = EvidenceStore.open(storePath, { domain: { chainId: deployed.chainId, verifyingContract: deployed.ledgerAddress } });
    const envName = `SUPPLIER_${name.toUpperCase()}_KEY`;
    const config: BotConfigInput = {
      rpcUrl: options.rpcUrl ?? proxy.url, chainId: Number(deployed.chainId),
      contracts: { settlement: settlementAddress, ledger: deployed.ledgerAddress, registry: deployed.registryAddress },
      startBlock, accountKeyEnv: envName, evidenceStore: `${name}-evidence.sqlite`, database: `${name}-bot.sqlite`,
      exchangeDir: "exchange", confirmations: CONFIRMATIONS, periodSeconds: PERIOD_SECONDS, claimDelaySeconds: 60,
      nettingDelaySeconds: NETTING_DELAY, disputeMarginSeconds: 1800, pollIntervalMs: 200,
      withdraw: { threshold: "1", reserve: DEPOSIT.toString() }, outbox: { dropAfterMs: 0 },
    };
    const configPath = join(dir, `${name}.json`);
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    return { name, wallet, cdrKey, store, storePath, dbPath: join(dir, `${name}-bot.sqlite`), configPath, envName, config };
  }

  const host = await supplier("host");
  const home = await supplier("home");
  const suppliers = [host, home];
  for (const name of options.more ?? []) suppliers.push(await supplier(name));
  await networkHelpers.time.increase(120); // the signing keys become valid
  const bots: SettlementBot[] = [];

  const world = {
    connection, ethers, networkHelpers, proxy, dir, exchangeDir, core: deployed, token, settlement, settlementAddress, startBlock,
    domain, admin: admin!, arbiter: arbiter!, host, home, suppliers,
    hh: (method: string, params: unknown[] = []) => connection.provider.request({ method, params }),
    async mine(blocks = CONFIRMATIONS): Promise<void> {
      await networkHelpers.mine(blocks);
    },
    async chainTime(): Promise<number> {
      return networkHelpers.time.latest();
    },
    /** Moves the chain's clock to `at` (a block is mined there). */
    async timeTo(at: number): Promise<void> {
      if (at > (await networkHelpers.time.latest())) await networkHelpers.time.increaseTo(at);
    },
    /** A CDR of a session at `by`'s charger for a customer of `for_`, signed with `by`'s key (or `o.key`). */
    async signCdr(by: Supplier, for_: Supplier, o: CdrOptions = {}): Promise<SignedMessage<"ChargeDetailRecord">> {
      const now = BigInt(await networkHelpers.time.latest());
      const end = o.end ?? now - 10n;
      return signMessage(o.key ?? by.cdrKey, by.wallet.address, domain, {
        type: "ChargeDetailRecord",
        header: { sessionId: hexlify(randomBytes(32)), seq: 0n, nonce: hexlify(randomBytes(32)), issuedAt: now, expiresAt: now + 30n * 86_400n },
        body: {
          cdrId: keccak256(randomBytes(32)), hostSupplier: by.wallet.address, homeSupplier: o.home ?? for_.wallet.address,
          start: end - 1800n, end, energyWh: 11_000n, amount: o.amount ?? 4_000_000n, readingsRoot: hexlify(randomBytes(32)),
        },
      }, { receiver: o.home ?? for_.wallet.address, receiptDeadline: now + 86_400n });
    },
    /** A bot of `s` opened on its files (a new instance every call, as after a restart). */
    async openBot(s: Supplier, overrides: Partial<BotConfigInput> = {}): Promise<SettlementBot> {
      const config = parseConfig({ ...s.config, ...overrides }, dir);
      const bot = await SettlementBot.open({ config, signer: s.wallet });
      bots.push(bot);
      return bot;
    },
    env(): Record<string, string> {
      return Object.fromEntries(suppliers.map((s) => [s.envName, s.wallet.privateKey]));
    },
    /** Settlement events of `name` (all of them, from the deployment on). */
    async events(name: string): Promise<{ args: Record<string, unknown> & unknown[]; transactionHash: string }[]> {
      return (await settlement.queryFilter(settlement.filters[name]!(), startBlock)) as never;
    },
    async close(): Promise<void> {
      for (const b of bots) b.close();
      for (const s of suppliers) s.store.close();
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

export interface SettleOptions {
  /** Rounds before giving up (default 12). */
  rounds?: number;
  /**
   * The bots run without a pair's first netter: each round also moves the clock past the netting
   * delay, which the second netter counts from when it first saw the pair ready.
   */
  withoutNetter?: boolean;
}

/** Ticks each bot, then mines `confirmations` blocks, until `done()` holds. */
export async function settle(world: World, bots: SettlementBot[], done: () => Promise<boolean>, o: SettleOptions = {}): Promise<void> {
  for (let i = 0; i < (o.rounds ?? 12); i++) {
    for (const bot of bots) {
      const report = await bot.tick();
      if (report.errors.length) throw new Error(`tick of ${bot.address} failed: ${report.errors.join("; ")}`);
    }
    if (await done()) return;
    if (o.withoutNetter) await world.timeTo((await world.chainTime()) + NETTING_DELAY + 1);
    await world.mine();
  }
  throw new Error("the bots did not get there in time");
}
