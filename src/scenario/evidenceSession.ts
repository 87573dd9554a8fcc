/**
 * An end-to-end evidence scenario on any chain: participants are registered with signing keys,
 * a smart-charging session produces signed messages (NRO) and receipts (NRR), the receipts are
 * stored durably, batched and anchored, one message is recorded on-chain with its receipt, one
 * receipt is refused after its deadline, the counterparty acknowledges the batch, and the session's
 * evidence bundle is built and verified offline and against the chain.
 */
import { hexlify, keccak256, randomBytes, toUtf8Bytes, Wallet, type BaseWallet, type Provider, type Signer } from "ethers";
import { deployCore, type CoreDeployment } from "../chain/deploy.js";
import { anchorNextBatch, recordOriginOnChain, recordReceiptOnChain, recordRefusalOnChain } from "../evidence/anchor.js";
import { buildBundle, type EvidenceBundle } from "../evidence/bundle.js";
import { registerSigningKey } from "../evidence/keys.js";
import { RpcChainView, SnapshotChainView } from "../evidence/chainView.js";
import type { EvidenceMessage, Header, SignedMessage, SignedReceipt } from "../evidence/messages.js";
import { signMessage, signReceipt } from "../evidence/sign.js";
import { EvidenceStore, type StoredBatch } from "../evidence/store.js";
import { evidenceDomain, type MessageTypeName } from "../evidence/types.js";
import { verifyBundle, type Verdict } from "../evidence/verify.js";

export interface Party {
  name: string;
  account: Signer;
  address: string;
  key: BaseWallet;
}

export interface ScenarioLog {
  (line: string): void;
}

export interface EvidenceSessionResult {
  core: CoreDeployment;
  parties: { host: Party; home: Party; aggregator: Party; meter: Party; dcc: Party };
  sessionId: string;
  messages: SignedMessage[];
  receipts: SignedReceipt[];
  batches: StoredBatch[];
  gas: Record<string, bigint>;
  refusedDigest: string;
  bundle: EvidenceBundle;
  verdicts: { offline: Verdict; online: Verdict };
}

const HOUR = 3600n;

async function gasOf(provider: Provider, hash: string): Promise<bigint> {
  const receipt = await provider.getTransactionReceipt(hash);
  return receipt!.gasUsed;
}

async function chainTime(provider: Provider): Promise<bigint> {
  const block = await provider.getBlock("latest");
  return BigInt(block!.timestamp);
}

/** Registers `account` with `role` and a fresh signing key valid from `from`. */
async function enrol(core: CoreDeployment, name: string, account: Signer, roles: string[], from: bigint): Promise<Party> {
  const address = await account.getAddress();
  for (const role of roles) await (await core.registry.grantRole(await core.registry[`${role}_ROLE`](), address)).wait();
  const key = Wallet.createRandom();
  // The CA enrols the key; the key proves possession and the participant consents with its account.
  await registerSigningKey(core.registry, key, { participant: address, validFrom: from, validUntil: from + 365n * 24n * HOUR }, { consent: account });
  return { name, account, address, key };
}

/**
 * Runs the scenario. `signers[0]` deploys and acts as CA/registrar; the next five act as host
 * supplier, home supplier, aggregator, meter and DCC. `advance(seconds)` moves the chain clock
 * (a test chain's `evm_increaseTime`); without it the refusal step is skipped.
 */
export async function runEvidenceSession(
  signers: Signer[],
  log: ScenarioLog,
  advance?: (seconds: number) => Promise<void>,
  storePath = ":memory:",
): Promise<EvidenceSessionResult> {
  const [ca, hostAccount, homeAccount, aggAccount, meterAccount, dccAccount] = signers;
  if (!dccAccount) throw new Error("the scenario needs six accounts");
  const provider = ca!.provider!;
  const gas: Record<string, bigint> = {};

  const core = await deployCore(ca!);
  log(`deployed ParticipantRegistry ${core.registryAddress} and EvidenceLedger ${core.ledgerAddress} on chain ${core.chainId}`);
  const from = (await chainTime(provider)) + 30n;
  const host = await enrol(core, "host supplier S_A", hostAccount!, ["SUPPLIER", "SUBMITTER"], from);
  const home = await enrol(core, "home supplier S_B", homeAccount!, ["SUPPLIER", "SUBMITTER"], from);
  const agg = await enrol(core, "aggregator EVAGG", aggAccount!, ["AGGREGATOR", "SUBMITTER"], from);
  const meter = await enrol(core, "smart meter SM", meterAccount!, ["METER", "SUBMITTER"], from);
  const dcc = await enrol(core, "DCC", dccAccount!, ["DCC", "SUBMITTER"], from);
  log(`registered ${[host, home, agg, meter, dcc].map((p) => p.name).join(", ")} with signing keys`);
  if (advance) await advance(60);
  else while ((await chainTime(provider)) < from) await new Promise((r) => setTimeout(r, 1000));

  const domain = evidenceDomain(core.chainId, core.ledgerAddress);
  const store = EvidenceStore.open(storePath, { domain: { chainId: core.chainId, verifyingContract: core.ledgerAddress } });
  // The session id is salted: only the parties holding the salt can link it to the session.
  const sessionId = keccak256(hexlify(randomBytes(32)));
  const seqs = new Map<string, bigint>();
  const now = await chainTime(provider);
  const header = (origin: Party): Header => {
    const seq = seqs.get(origin.address) ?? 0n;
    seqs.set(origin.address, seq + 1n);
    return { sessionId, seq, nonce: hexlify(randomBytes(32)), issuedAt: now, expiresAt: now + 6n * HOUR };
  };
  // Every message names its receiver and the deadline of its receipt (two hours unless said).
  const sign = <T extends MessageTypeName>(
    origin: Party,
    type: T,
    body: EvidenceMessage<T>["body"],
    to: Party,
    receiptDeadline = now + 2n * HOUR,
  ) =>
    signMessage(origin.key, origin.address, domain, { type, header: header(origin), body } as EvidenceMessage<T>, {
      receiver: to.address,
      receiptDeadline,
    });
  const receive = (receiver: Party, m: SignedMessage) =>
    signReceipt(receiver.key, receiver.address, domain, {
      nroDigest: m.digest,
      sessionId,
      receivedAt: now,
      nonce: hexlify(randomBytes(32)),
    });

  // A per-session pseudonym certified by the home supplier stands in for the vehicle.
  const pseudonym = Wallet.createRandom();
  const schedule = await sign(agg, "Schedule", {
    requestDigest: keccak256(toUtf8Bytes(`req:${pseudonym.address}`)),
    start: now,
    slotSeconds: 900,
    powerW: [7400, 7400, 3700, 0, -3700, 7400],
    costEstimate: 4_210_000n,
    revision: 0,
  }, dcc);
  const csev = await sign(agg, "Csev", { scheduleDigest: schedule.digest, command: 0, powerW: 7400, effectiveAt: now }, dcc);
  const reading = await sign(meter, "MeterReading", {
    meterId: keccak256(hexlify(randomBytes(32))),
    readAt: now + HOUR,
    importWh: 18_500n,
    exportWh: 3_700n,
    ocmfHash: keccak256(toUtf8Bytes("OCMF|{...}|{...}")),
  }, dcc);
  const cdr = await sign(host, "ChargeDetailRecord", {
    cdrId: keccak256(hexlify(randomBytes(32))),
    hostSupplier: host.address,
    homeSupplier: home.address,
    start: now,
    end: now + HOUR,
    energyWh: 14_800n,
    amount: 4_440_000n,
    readingsRoot: reading.digest,
  }, home);
  const messages: SignedMessage[] = [schedule, csev, reading, cdr];
  const receipts = [await receive(dcc, schedule), await receive(dcc, csev), await receive(dcc, reading), await receive(home, cdr)];
  log(`signed ${messages.length} messages (NRO) and ${receipts.length} receipts (NRR) for session ${sessionId.slice(0, 10)}…`);

  // The aggregator keeps the session's evidence in its durable store and anchors it in batches;
  // the home supplier acknowledges the batch of messages on-chain.
  store.putMessages(messages);
  for (const r of receipts) store.putReceipt(r);
  const batches: StoredBatch[] = [];
  for (const kind of ["Messages", "Receipts"] as const) {
    const batch = await anchorNextBatch(store, agg.account, { kind });
    if (!batch?.anchor) throw new Error(`anchoring the ${kind} batch failed`);
    const anchored = await provider.getTransactionReceipt(batch.anchor.txHash);
    gas[`anchorBatch${kind}`] = anchored!.gasUsed;
    batches.push(batch);
    log(`anchored the ${kind.toLowerCase()} batch ${batch.root.slice(0, 10)}… of ${batch.count} digests (${anchored!.gasUsed} gas)`);
  }
  const ack = await (await core.ledger.connect(home.account).acknowledgeBatch(agg.address, batches[0]!.root)).wait();
  gas.acknowledgeBatch = ack.gasUsed;
  log(`${home.name} acknowledged the messages batch on-chain (${ack.gasUsed} gas)`);

  // The CDR's NRO and its NRR are also recorded on-chain, attributed to their signers.
  const origin = await (await recordOriginOnChain(host.account, core.ledgerAddress, cdr)).wait();
  gas.recordOrigin = await gasOf(provider, origin.txHash);
  const nrr = await (await recordReceiptOnChain(host.account, core.ledgerAddress, receipts[3]!)).wait();
  gas.recordReceipt = await gasOf(provider, nrr.txHash);
  log(`recorded the CDR's NRO (${gas.recordOrigin} gas) and the home supplier's NRR (${gas.recordReceipt} gas) on-chain`);

  // A control message whose receiver never answers: the origin records the refusal after the deadline.
  const stop = await sign(agg, "Csev", { scheduleDigest: schedule.digest, command: 1, powerW: 0, effectiveAt: now + HOUR }, dcc, now + HOUR);
  store.putMessage(stop);
  messages.push(stop);
  await (await recordOriginOnChain(agg.account, core.ledgerAddress, stop)).wait();
  if (advance) {
    await advance(Number(HOUR) + 1);
    const refusal = await (await recordRefusalOnChain(agg.account, core.ledgerAddress, stop.digest, store)).wait();
    gas.recordRefusal = await gasOf(provider, refusal.txHash!);
    log(`no receipt for the stop command by its deadline: refusal recorded (${gas.recordRefusal} gas)`);
  }
  const stopBatch = await anchorNextBatch(store, agg.account, { kind: "Messages" });
  if (stopBatch) batches.push(stopBatch);

  // Dispute query: the whole session as one bundle, verified offline and against the chain.
  const bundle = await buildBundle(store, sessionId, { provider });
  const offline = await verifyBundle(bundle, new SnapshotChainView(bundle.chainState!));
  const online = await verifyBundle(bundle, await RpcChainView.connect(provider, core.ledgerAddress));
  log(
    `evidence bundle: ${offline.summary.items} items, offline verdict ${offline.ok ? "valid" : "INVALID"}, ` +
      `against the chain ${online.ok ? "valid" : "INVALID"}`,
  );
  return { core, parties: { host, home, aggregator: agg, meter, dcc }, sessionId, messages, receipts, batches, gas, refusedDigest: stop.digest, bundle, verdicts: { offline, online } };
}
