/**
 * The day's settlement between the suppliers, run as in production against any JSON-RPC endpoint:
 *
 * 1. set-up: each supplier approves the settlement contract and deposits its collateral;
 * 2. the dishonest host bills one roaming session a second time (`settlementRebill.ts`);
 * 3. one settlement bot per supplier (`settlementBots.ts`: its config file, its database, the CLI's
 *    `settlement-bot run` entry) claims the closed period's CDRs from every home supplier, verifies
 *    the claims against it, accepts them or disputes a CDR: the home disputes the second bill
 *    (`SESSION_ALREADY_BILLED`) by itself;
 * 4. the arbiter builds the disputed session's bundle from the host's and the home's evidence
 *    stores, verifies it offline and against the chain, rules with `ruleFromBundle` and records the
 *    ruling (`resolveDispute`, with the keccak256 of the bundle file);
 * 5. the challenge windows pass, the bots net every pair, the net receivers request their
 *    withdrawals and, after the notice, withdraw.
 *
 * At the end it checks from the chain that money was conserved (the suppliers' balances plus what
 * they withdrew equal what they deposited), that every pair was paid in full, that every claim was
 * paid exactly its honest CDRs (the erroneous one not at all) and that each net receiver withdrew
 * its gain; any breach throws `SettlementDayError("MONEY")`.
 *
 * The caller (the day) registered the participants: each supplier holds the SUPPLIER and SUBMITTER
 * roles with a CDR signing key, each arbiter the ARBITER role; each supplier account holds ether for
 * gas and at least `collateral` of the settlement token. Each supplier's evidence store holds the
 * CDRs it issued (src/charging/cdr.ts) with the meter readings of their sessions, and the CDRs it
 * received as home with its receipts. The chain clock stands after the day's sessions, within the
 * period's claim grace.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Contract, getAddress, JsonRpcProvider, keccak256, Network, toBeHex, Wallet, type TypedDataDomain } from "ethers";
import { registeredKey, type FlowParty } from "../../charging/flowEvidence.js";
import { RegistryKeyDirectory } from "../../charging/keyDirectory.js";
import type { DynamicContract } from "../../chain/deploy.js";
import { buildBundleFrom, writeBundle } from "../../evidence/bundle.js";
import { RpcChainView } from "../../evidence/chainView.js";
import { decodeMessage } from "../../evidence/codec.js";
import { EvidenceStore } from "../../evidence/store.js";
import { evidenceDomain } from "../../evidence/types.js";
import type { DayReport, GasEntry, TimelineEntry } from "../../report/schema.js";
import { periodEnd, periodOfEnd } from "../../settlement/cdrTree.js";
import { REGISTRY_ABI, SETTLEMENT_ABI } from "../../settlement/contracts.js";
import { DirectoryExchange } from "../../settlement/exchange.js";
import { reasonText } from "../../settlement/reasons.js";
import { startBot, type BotSettings, type RunningBot } from "./settlementBots.js";
import { gasByOperation, settlementEvents, TOKEN_ABI, waitFor, type DayEvent } from "./settlementChain.js";
import { SettlementDayError } from "./settlementErrors.js";
import { rebillSession, receiptedCdr, roamingCdrs, type Cdr } from "./settlementRebill.js";
import { evidenceItems, ruleFromBundle } from "./settlementRuling.js";

/** A supplier of the day. */
export interface SettlementSupplier {
  /** Short id (a bot's files and key variable are named after it), e.g. "north". */
  id: string;
  /** Display name, e.g. "North Energy". */
  name: string;
  /** The supplier account's private key (0x + 64 hex): ether for gas, at least `collateral` tokens. */
  accountKey: string;
  /** The supplier's evidence signing party: its account address and its registered signing key. */
  signer: FlowParty;
  /** Its SQLite evidence store (an existing file of this deployment's ledger). */
  storePath: string;
}

export interface SettlementArbiter {
  id: string;
  /** Private key of an account holding the registry's ARBITER role and no supplier of the day. */
  accountKey: string;
}

/** Where the contracts are (the deployments file's addresses). */
export interface SettlementDeployment {
  registry: string;
  ledger: string;
  settlement: string;
  /** The escrow-openings contract, when deployed (the outcome names the dispute it can point at). */
  escrowOpenings?: string;
  token: string;
  /** Block of the settlement contract's deployment: where the bots' event readers start. */
  startBlock: number;
}

export interface SettlementDayInput {
  /** JSON-RPC over HTTP on 127.0.0.1: the bots and the arbiter talk to the chain through it. */
  rpcUrl: string;
  chainId: bigint;
  deployment: SettlementDeployment;
  /** The deployments file of `deployment` (named in the command that shows the dispute again). */
  deploymentsFile: string;
  /** At least two suppliers; at least one of them hosted another one's customer. */
  suppliers: SettlementSupplier[];
  /** The first one rules on the dispute. */
  arbiters: SettlementArbiter[];
  /** Collateral each supplier deposits, in token base units. */
  collateral: bigint;
  /** The dishonest host (a supplier id); default: the first supplier with a CDR its home receipted. */
  dishonestHost?: string;
  /** Folder for the bots' configs, databases, the package exchange and the bundle (created if absent). */
  workDir: string;
  /**
   * Moves the chain clock forward by `seconds` and mines a block. The bots send transactions
   * meanwhile: move the clock relative to where it stands (`evm_increaseTime` then `evm_mine`), never
   * to an absolute time computed beforehand.
   */
  advance(seconds: number): Promise<void>;
  log(line: string): void;
  /** Longest wall-clock wait for one step of the bots (default 120 s). */
  stepTimeoutMs?: number;
  /** The bots' poll interval (default 200 ms). */
  pollIntervalMs?: number;
}

/** What the day's escrow opening needs: the dispute it is grounded in. */
export interface SettlementEscrowGrounds {
  sessionId: string;
  /** The contract that recorded the dispute (`IDisputeRecords`): the settlement contract. */
  recorder: string;
  /** The dispute's record id as `disputeRecordOf` takes it (bytes32). */
  recordId: string;
  /** The dispute id as a decimal number. */
  disputeId: string;
  /** The account that opened the dispute (the home supplier). */
  openedBy: string;
  /**
   * The chain time by which the settlement has ended, from its rules and not from the bots' seconds:
   * every pair is netted from `nettingAt` on, and a bot withdraws its gains in at most two rounds
   * of the notice (a request that went out before its last pair was netted, then one for the rest).
   */
  settledBy: number;
}

export interface SettlementDayOutcome {
  settlement: DayReport["settlement"];
  dispute: DayReport["dispute"];
  gas: GasEntry[];
  timeline: TimelineEntry[];
  escrow: SettlementEscrowGrounds;
  /** Per supplier id: deposited, final balance in the contract, withdrawn (decimal strings). */
  money: Record<string, { deposited: string; balance: string; withdrawn: string }>;
  /** The bots' config files, by supplier id. */
  botConfigs: Record<string, string>;
}

const CLAIM_STATUS = ["none", "pending", "accepted", "netted", "rejected"];
const BOT = { confirmations: 2, claimDelaySeconds: 60, nettingDelaySeconds: 600, disputeMarginSeconds: 1800 };
const iso = (seconds: number | bigint) => new Date(Number(seconds) * 1000).toISOString();
const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);

interface Party {
  s: SettlementSupplier;
  address: string;
  wallet: Wallet;
  store: EvidenceStore;
}

export async function runSettlementDay(input: SettlementDayInput): Promise<SettlementDayOutcome> {
  const provider = new JsonRpcProvider(input.rpcUrl, Network.from(input.chainId), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  const parties: Party[] = [];
  const bots: RunningBot[] = [];
  try {
    return await settle(input, provider, parties, bots);
  } finally {
    await Promise.all(bots.map((b) => b.stop()));
    for (const p of parties) p.store.close();
    provider.destroy();
  }
}

async function settle(input: SettlementDayInput, provider: JsonRpcProvider, parties: Party[], bots: RunningBot[]): Promise<SettlementDayOutcome> {
  const d = input.deployment;
  const timeline: TimelineEntry[] = [];
  const note = (at: number | bigint, text: string, actor?: string) => {
    timeline.push({ at: iso(at), phase: "settlement", ...(actor ? { actor } : {}), text });
    input.log(text);
  };
  const settlement = new Contract(d.settlement, SETTLEMENT_ABI, provider) as unknown as DynamicContract;
  const registry = new Contract(d.registry, REGISTRY_ABI, provider) as unknown as DynamicContract;
  const token = new Contract(d.token, TOKEN_ABI, provider) as unknown as DynamicContract;
  const domain: TypedDataDomain = evidenceDomain(input.chainId, d.ledger);
  const chainTime = async () => (await provider.getBlock("latest"))!.timestamp;
  const moveTo = async (at: number) => {
    const now = await chainTime();
    if (at > now) await input.advance(at - now);
  };

  // The parties and what they hold.
  if (input.suppliers.length < 2) throw new SettlementDayError("INPUT", "the day's settlement needs at least two suppliers");
  if (new Set(input.suppliers.map((s) => s.id)).size !== input.suppliers.length) throw new SettlementDayError("INPUT", "supplier ids must be unique");
  for (const s of input.suppliers) {
    const wallet = new Wallet(s.accountKey, provider);
    if (getAddress(s.signer.address) !== wallet.address) {
      throw new SettlementDayError("INPUT", `the signing party of ${s.id} is not its account`, { account: wallet.address, party: s.signer.address });
    }
    let store: EvidenceStore;
    try {
      store = EvidenceStore.open(resolve(s.storePath), { create: false });
    } catch (cause) {
      throw new SettlementDayError("INPUT", `cannot open the evidence store of ${s.id}`, { path: s.storePath }, cause);
    }
    parties.push({ s, address: wallet.address, wallet, store });
    if (store.chainId !== input.chainId || getAddress(store.ledger) !== getAddress(d.ledger)) {
      throw new SettlementDayError("INPUT", `the evidence store of ${s.id} belongs to another deployment`, { path: s.storePath });
    }
  }
  const byAddress = new Map(parties.map((p) => [p.address, p]));
  const nameOf = (address: string) => byAddress.get(getAddress(address))?.s.name ?? getAddress(address);
  const [arbiterInput] = input.arbiters;
  if (!arbiterInput) throw new SettlementDayError("INPUT", "the day's settlement needs an arbiter");
  const arbiter = new Wallet(arbiterInput.accountKey, provider);
  if (!(await registry.hasRole(await registry.ARBITER_ROLE(), arbiter.address))) {
    throw new SettlementDayError("INPUT", `the arbiter ${arbiterInput.id} does not hold the ARBITER role`, { arbiter: arbiter.address });
  }
  const timing = {
    period: Number(await settlement.PERIOD_SECONDS()),
    grace: Number(await settlement.CLAIM_GRACE()),
    notice: Number(await settlement.WITHDRAWAL_NOTICE()),
  };

  // The CDRs to settle, and the one billed twice.
  const homesOf = (host: Party) => new Map(parties.filter((p) => p !== host).map((p) => [p.address, p.store]));
  const hostCandidates = input.dishonestHost ? parties.filter((p) => p.s.id === input.dishonestHost) : parties;
  if (hostCandidates.length === 0) throw new SettlementDayError("INPUT", `no supplier ${input.dishonestHost}`);
  let sent: Cdr | null = null;
  let cheat: Party | undefined;
  for (const p of hostCandidates) {
    sent = receiptedCdr(p.store, p.address, homesOf(p));
    if (sent) {
      cheat = p;
      break;
    }
  }
  if (!sent || !cheat) {
    throw new SettlementDayError("INPUT", "no roaming CDR that its home received and receipted: nothing for the dishonest host to bill twice");
  }
  const home = byAddress.get(getAddress(sent.body.homeSupplier))!;
  const keys = registeredKey(new RegistryKeyDirectory(registry));
  const rebilled = await rebillSession({ host: cheat.s.signer, hostStore: cheat.store, home: home.s.signer, homeStore: home.store, keys }, domain, sent);
  note(rebilled.header.issuedAt, `${cheat.s.name} bills session ${sent.header.sessionId.slice(0, 10)}… a second time: it sends ${home.s.name}, which receipts it, a CDR of ${rebilled.body.energyWh} Wh for ${rebilled.body.amount} after the one of ${sent.body.energyWh} Wh for ${sent.body.amount}`, cheat.s.id);

  const cdrs = parties.flatMap((p) => roamingCdrs(p.store, p.address, [...homesOf(p).keys()]));
  const groups = new Set(cdrs.map((c) => `${getAddress(c.party)}/${getAddress(c.body.homeSupplier)}/${periodOfEnd(c.body.end, timing.period)}`));
  const periods = [...new Set(cdrs.map((c) => periodOfEnd(c.body.end, timing.period)))].sort((a, b) => a - b);
  const lastPeriod = periods[periods.length - 1]!;
  const claimAt = periodEnd(lastPeriod, timing.period) + BOT.claimDelaySeconds + 1;
  if ((await chainTime()) > periodEnd(periods[0]!, timing.period) + timing.grace - 600) {
    throw new SettlementDayError("INPUT", `period ${periods[0]} closes to claims too soon: the chain clock is past its grace`, { period: periods[0] });
  }

  // Set-up: approve and deposit the collateral.
  const setupBlock = await provider.getBlockNumber();
  for (const p of parties) {
    const held = (await token.balanceOf(p.address)) as bigint;
    if (held < input.collateral) throw new SettlementDayError("INPUT", `${p.s.id} holds ${held} tokens, less than the collateral ${input.collateral}`);
    try {
      await (await token.connect(p.wallet).approve(d.settlement, input.collateral)).wait();
      const receipt = await (await settlement.connect(p.wallet).deposit(input.collateral)).wait();
      note((await provider.getBlock(receipt!.blockNumber))!.timestamp, `${p.s.name} deposits ${input.collateral} as collateral`, p.s.id);
    } catch (cause) {
      throw new SettlementDayError("SETUP", `the set-up of ${p.s.id} failed: ${(cause as Error).message}`, { supplier: p.s.id }, cause);
    }
  }

  // The bots, as in production.
  const workDir = resolve(input.workDir);
  mkdirSync(join(workDir, "exchange"), { recursive: true });
  const settings: BotSettings = {
    rpcUrl: input.rpcUrl, chainId: input.chainId, settlement: d.settlement, ledger: d.ledger, registry: d.registry, startBlock: d.startBlock,
    periodSeconds: timing.period, reserve: input.collateral, pollIntervalMs: input.pollIntervalMs ?? 200, ...BOT,
  };
  for (const p of parties) {
    bots.push(startBot(workDir, { id: p.s.id, accountKey: p.s.accountKey, storePath: resolve(p.s.storePath) }, settings, (line) => input.log(`${p.s.id} bot: ${line}`)));
  }
  const healthy = () => {
    const dead = bots.find((b) => b.exited() !== null);
    if (dead) throw new SettlementDayError("BOT", `the settlement bot of ${dead.id} stopped (exit ${dead.exited()}): ${dead.errors().slice(-3).join(" | ")}`, { supplier: dead.id });
  };
  const wait = (what: string, done: () => Promise<boolean>) =>
    waitFor(done, { what, timeoutMs: input.stepTimeoutMs ?? 120_000, step: () => input.advance(1), healthy });
  let events: DayEvent[] = [];
  const named = async (name: string) => {
    events = await settlementEvents(provider, d.settlement, setupBlock);
    return events.filter((e) => e.name === name);
  };

  // Claims of the closed period, reviewed by the homes.
  await moveTo(claimAt);
  await wait(`${groups.size} claims`, async () => (await named("ClaimSubmitted")).length >= groups.size);
  await wait("the home's dispute of the second bill", async () => (await named("CdrDisputed")).some((e) => e.args.cdrDigest === rebilled.digest));
  const disputed = (await named("CdrDisputed")).find((e) => e.args.cdrDigest === rebilled.digest)!;
  const disputedClaim = disputed.args.claimId as bigint;
  const others = (await named("ClaimSubmitted")).filter((e) => e.args.claimId !== disputedClaim).map((e) => e.args.claimId as bigint);
  await wait("the acceptance of every other claim", async () => {
    const accepted = new Set((await named("ClaimAccepted")).map((e) => e.args.claimId as bigint));
    return others.every((id) => accepted.has(id));
  });

  // The arbiter rules from the session's bundle.
  const sessionId = rebilled.header.sessionId.toLowerCase();
  const bundle = await buildBundleFrom([cheat.store, home.store], sessionId, { provider, ledger: d.ledger });
  const bundlePath = join(workDir, `dispute-${disputed.args.disputeId}-bundle.json`);
  writeBundle(bundlePath, bundle);
  const bundleDigest = keccak256(readFileSync(bundlePath));
  const ruling = await ruleFromBundle(bundle, { cdrDigest: rebilled.digest, amount: disputed.args.amount as bigint }, await RpcChainView.connect(provider, d.ledger));
  note(await chainTime(), `${arbiterInput.id} verifies the bundle of session ${sessionId.slice(0, 10)}… (${ruling.verdict.summary.valid} of ${ruling.verdict.summary.items} items valid) and ${ruling.upheld ? "upholds" : "rejects"} the dispute: ${ruling.explanation.join("; ") || "the CDR is owed"}`, arbiterInput.id);
  const resolved = await (await settlement.connect(arbiter).resolveDispute(disputed.args.disputeId, ruling.upheld, bundleDigest)).wait();
  if (!resolved || resolved.status !== 1) throw new SettlementDayError("SETUP", "the ruling's transaction failed");

  // Windows pass; the bots net every pair, then withdraw their gains after the notice.
  const submitted = await named("ClaimSubmitted");
  const deadlines = await Promise.all(submitted.map(async (e) => Number(await settlement.challengeDeadline(e.args.claimId))));
  const nettingAt = Math.max(...deadlines, periodEnd(lastPeriod, timing.period) + timing.grace + BOT.nettingDelaySeconds) + 1;
  await moveTo(nettingAt);
  const pairs = new Set(submitted.map((e) => `${e.args.period}/${[getAddress(e.args.creditor), getAddress(e.args.debtor)].sort().join("/")}`));
  await wait(`${pairs.size} pairs netted`, async () => (await named("PairNetted")).length >= pairs.size);
  const gains = new Map<string, bigint>();
  for (const p of parties) {
    const gain = ((await settlement.balanceOf(p.address)) as bigint) - input.collateral;
    if (gain > 0n) gains.set(p.address, gain);
  }
  // A bot requests what it holds above its collateral, withdraws it after the notice, and asks again
  // for what became available meanwhile: wait until every gain is out, moving the clock past each notice.
  const withdrawnBy = async (a: string) => sum((await named("Withdrawn")).filter((e) => getAddress(e.args.account) === a).map((e) => e.args.amount as bigint));
  await waitFor(
    async () => {
      for (const [a, gain] of gains) if ((await withdrawnBy(a)) < gain) return false;
      return true;
    },
    {
      what: "the withdrawals of the gains", timeoutMs: input.stepTimeoutMs ?? 120_000, healthy,
      step: async () => {
        const readyAt = await Promise.all([...gains.keys()].map(async (a) => Number((await settlement.withdrawalOf(a))[1])));
        const now = await chainTime();
        const next = Math.min(...readyAt.filter((t) => t > now));
        await (Number.isFinite(next) ? moveTo(next + 1) : input.advance(1));
      },
    },
  );
  const codes = await Promise.all(bots.splice(0).map(async (b) => [b.id, await b.stop()] as const));
  const failed = codes.find(([, c]) => c !== 0);
  if (failed) throw new SettlementDayError("BOT", `the settlement bot of ${failed[0]} stopped with exit code ${failed[1]}`);
  events = await settlementEvents(provider, d.settlement, setupBlock);

  // The record, checked.
  for (const e of events) {
    const a = e.args;
    const text: Record<string, () => string> = {
      ClaimSubmitted: () => `${nameOf(a.creditor)} claims ${a.amount} for ${a.cdrCount} CDRs from ${nameOf(a.debtor)} (claim ${a.claimId})`,
      ClaimAccepted: () => `${nameOf(a.debtor)} accepts claim ${a.claimId}`,
      CdrDisputed: () => `${home.s.name} disputes CDR ${String(a.cdrDigest).slice(0, 10)}… of claim ${a.claimId} (${reasonText(a.reason)})`,
      DisputeResolved: () => `dispute ${a.disputeId} ${a.upheld ? "upheld" : "not upheld"}: claim ${a.claimId} reduced by ${a.reduction}`,
      PairNetted: () => `period ${a.period} netted: ${nameOf(a.debtor)} pays ${nameOf(a.creditor)} ${a.paid}${a.shortfall > 0n ? ` (shortfall ${a.shortfall})` : ""}`,
      WithdrawalRequested: () => `${nameOf(a.account)} asks to withdraw ${a.amount} from ${iso(a.readyAt)}`,
      Withdrawn: () => `${nameOf(a.account)} withdraws ${a.amount}`,
    };
    const line = text[e.name];
    if (line) timeline.push({ at: iso(e.blockTime), phase: "settlement", text: line() });
  }
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  const { report, money } = await checkMoney(input, parties, events, settlement, rebilled);
  const gas = await gasByOperation(provider, [...parties.map((p) => p.address), arbiter.address], setupBlock + 1);
  const disputeId = disputed.args.disputeId as bigint;
  const symbol = String(await token.symbol());
  return {
    settlement: { token: { symbol, decimals: Number(await token.decimals()), address: getAddress(d.token) }, period: periodOfEnd(rebilled.body.end, timing.period), ...report },
    dispute: {
      claimId: disputedClaim.toString(), sessionId, cdrDigest: rebilled.digest.toLowerCase(), raisedBy: home.s.name,
      reason: reasonText(disputed.args.reason), outcome: ruling.upheld ? "upheld" : "not upheld", arbiter: arbiterInput.id,
      amountClaimed: rebilled.body.amount.toString(), amountPaid: ruling.upheld ? "0" : rebilled.body.amount.toString(), bundle: bundlePath,
      evidence: evidenceItems(bundle, ruling.verdict, nameOf),
      command: `npx v2g dispute show ${sessionId} --store ${resolve(cheat.s.storePath)} --deployments ${input.deploymentsFile}`,
    },
    gas, timeline,
    escrow: {
      sessionId, recorder: getAddress(d.settlement), recordId: toBeHex(disputeId, 32), disputeId: disputeId.toString(),
      openedBy: home.address, settledBy: nettingAt + 2 * timing.notice,
    },
    money,
    botConfigs: Object.fromEntries(parties.map((p) => [p.s.id, join(workDir, `${p.s.id}-bot.json`)])),
  };
}

/**
 * From the chain: the claims with what each was paid, the net per supplier, and the checks that
 * money was conserved, every pair paid in full, every claim paid exactly its honest CDRs (read from
 * the packages the hosts committed to), and every gain withdrawn.
 */
async function checkMoney(input: SettlementDayInput, parties: Party[], events: DayEvent[], settlement: DynamicContract, erroneous: Cdr) {
  const of = (name: string) => events.filter((e) => e.name === name);
  const bad = (message: string, details: Record<string, unknown> = {}) => new SettlementDayError("MONEY", message, details);
  const exchange = new DirectoryExchange(join(resolve(input.workDir), "exchange"));
  const byAddress = new Map(parties.map((p) => [p.address, p]));
  const nameOf = (a: string) => byAddress.get(getAddress(a))?.s.name ?? getAddress(a);
  const claims = [];
  for (const e of of("ClaimSubmitted")) {
    const c = await settlement.claimOf(e.args.claimId);
    const pkg = await exchange.fetch({ creditor: e.args.creditor, debtor: e.args.debtor, cdrRoot: e.args.cdrRoot });
    const cdrs = ((pkg as { cdrs?: unknown[] } | null)?.cdrs ?? []).map((m) => decodeMessage(m) as Cdr);
    const honest = sum(cdrs.filter((m) => m.digest !== erroneous.digest).map((m) => m.body.amount));
    if (cdrs.length !== Number(e.args.cdrCount)) throw bad(`the package of claim ${e.args.claimId} does not hold its ${e.args.cdrCount} CDRs`);
    if (CLAIM_STATUS[Number(c.status)] !== "netted" || (c.amount as bigint) !== honest) {
      throw bad(`claim ${e.args.claimId} was paid ${c.amount} (${CLAIM_STATUS[Number(c.status)]}), its honest CDRs come to ${honest}`, { claimId: String(e.args.claimId) });
    }
    claims.push({
      claimId: String(e.args.claimId), host: nameOf(e.args.creditor), home: nameOf(e.args.debtor), cdrs: Number(e.args.cdrCount),
      amount: String(e.args.amount), paid: String(c.amount), status: CLAIM_STATUS[Number(c.status)]!,
    });
  }
  for (const e of of("PairNetted")) if ((e.args.shortfall as bigint) > 0n) throw bad(`period ${e.args.period}: ${nameOf(e.args.debtor)} fell short by ${e.args.shortfall}`);
  const money: SettlementDayOutcome["money"] = {};
  const net = [];
  for (const p of parties) {
    const deposited = sum(of("Deposited").filter((e) => getAddress(e.args.supplier) === p.address).map((e) => e.args.amount as bigint));
    const withdrawn = sum(of("Withdrawn").filter((e) => getAddress(e.args.account) === p.address).map((e) => e.args.amount as bigint));
    const received = sum(of("PairNetted").filter((e) => getAddress(e.args.creditor) === p.address).map((e) => e.args.paid as bigint));
    const paid = sum(of("PairNetted").filter((e) => getAddress(e.args.debtor) === p.address).map((e) => e.args.paid as bigint));
    const feesIn = sum(of("DisputeFeeCharged").filter((e) => getAddress(e.args.payee) === p.address).map((e) => e.args.charged as bigint));
    const feesOut = sum(of("DisputeFeeCharged").filter((e) => getAddress(e.args.payer) === p.address).map((e) => e.args.charged as bigint));
    const balance = (await settlement.balanceOf(p.address)) as bigint;
    // Each bot withdraws everything it holds above its collateral.
    const gain = deposited + received - paid + feesIn - feesOut - input.collateral;
    if (withdrawn !== (gain > 0n ? gain : 0n)) throw bad(`${p.s.id} gained ${gain} but withdrew ${withdrawn}`);
    money[p.s.id] = { deposited: deposited.toString(), balance: balance.toString(), withdrawn: withdrawn.toString() };
    net.push({ supplier: p.s.name, received: received.toString(), paid: paid.toString(), net: (received - paid).toString(), withdrawn: withdrawn.toString() });
  }
  const totals = Object.values(money).map((m) => [BigInt(m.deposited), BigInt(m.balance), BigInt(m.withdrawn)] as const);
  const deposits = sum(totals.map((t) => t[0]));
  const held = sum(totals.map((t) => t[1] + t[2]));
  if (deposits !== held) throw bad(`money not conserved: ${deposits} deposited, ${held} held and withdrawn`, { deposits: String(deposits), held: String(held) });
  return { report: { claims, net }, money };
}
