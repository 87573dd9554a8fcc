/**
 * An end-to-end evidence scenario on any chain: participants are registered with signing keys,
 * a smart-charging session produces signed messages (NRO) and receipts (NRR), the receipts are
 * batched and anchored, one message is recorded on-chain with its receipt, one receipt is
 * refused after its deadline, and the counterparty acknowledges the batch.
 */
import { hexlify, keccak256, randomBytes, toUtf8Bytes, Wallet, type BaseWallet, type Provider, type Signer } from "ethers";
import { deployCore, type CoreDeployment } from "../chain/deploy.js";
import { buildBatch, proofFor, type Batch } from "../evidence/merkle.js";
import type { EvidenceMessage, Header, SignedMessage, SignedReceipt } from "../evidence/messages.js";
import { bodyHash, signMessage, signReceipt } from "../evidence/sign.js";
import { AnchorKind, evidenceDomain, MessageType, type MessageTypeName } from "../evidence/types.js";

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
  sessionId: string;
  messages: SignedMessage[];
  receipts: SignedReceipt[];
  batch: Batch;
  anchorTx: string;
  gas: Record<string, bigint>;
  refusedDigest: string;
}

const HOUR = 3600n;

async function chainTime(provider: Provider): Promise<bigint> {
  const block = await provider.getBlock("latest");
  return BigInt(block!.timestamp);
}

/** Registers `account` with `role` and a fresh signing key valid from `from`. */
async function enrol(core: CoreDeployment, name: string, account: Signer, roles: string[], from: bigint): Promise<Party> {
  const address = await account.getAddress();
  for (const role of roles) await (await core.registry.grantRole(await core.registry[`${role}_ROLE`](), address)).wait();
  const key = Wallet.createRandom();
  await (await core.registry.addSigningKey(address, key.address, from, from + 365n * 24n * HOUR)).wait();
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
  // The session id is salted: only the parties holding the salt can link it to the session.
  const sessionId = keccak256(hexlify(randomBytes(32)));
  const seqs = new Map<string, bigint>();
  const now = await chainTime(provider);
  const header = (origin: Party): Header => {
    const seq = seqs.get(origin.address) ?? 0n;
    seqs.set(origin.address, seq + 1n);
    return { sessionId, seq, nonce: hexlify(randomBytes(32)), issuedAt: now, expiresAt: now + 6n * HOUR };
  };
  const sign = <T extends MessageTypeName>(origin: Party, type: T, body: EvidenceMessage<T>["body"]) =>
    signMessage(origin.key, origin.address, domain, { type, header: header(origin), body } as EvidenceMessage<T>);
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
  });
  const csev = await sign(agg, "Csev", { scheduleDigest: schedule.digest, command: 0, powerW: 7400, effectiveAt: now });
  const reading = await sign(meter, "MeterReading", {
    meterId: keccak256(hexlify(randomBytes(32))),
    readAt: now + HOUR,
    importWh: 18_500n,
    exportWh: 3_700n,
    ocmfHash: keccak256(toUtf8Bytes("OCMF|{...}|{...}")),
  });
  const cdr = await sign(host, "ChargeDetailRecord", {
    cdrId: keccak256(hexlify(randomBytes(32))),
    hostSupplier: host.address,
    homeSupplier: home.address,
    start: now,
    end: now + HOUR,
    energyWh: 14_800n,
    amount: 4_440_000n,
    readingsRoot: reading.digest,
  });
  const messages: SignedMessage[] = [schedule, csev, reading, cdr];
  const receipts = [await receive(dcc, schedule), await receive(dcc, csev), await receive(dcc, reading), await receive(home, cdr)];
  log(`signed ${messages.length} messages (NRO) and ${receipts.length} receipts (NRR) for session ${sessionId.slice(0, 10)}…`);

  // Receipts are batched and anchored by the aggregator; the home supplier acknowledges the batch.
  const batch = buildBatch([...messages.map((m) => m.digest), ...receipts.map((r) => r.digest)]);
  const anchor = await (await core.ledger.connect(agg.account).anchorBatch(batch.root, batch.index.size, AnchorKind.Messages)).wait();
  gas.anchorBatch = anchor.gasUsed;
  const ack = await (await core.ledger.connect(home.account).acknowledgeBatch(batch.root)).wait();
  gas.acknowledgeBatch = ack.gasUsed;
  for (const m of messages) {
    if (!(await core.ledger.verifyInclusion(batch.root, m.digest, proofFor(batch, m.digest)))) {
      throw new Error(`inclusion of ${m.digest} failed`);
    }
  }
  log(`anchored batch ${batch.root.slice(0, 10)}… of ${batch.index.size} digests (${anchor.gasUsed} gas), acknowledged by ${home.name}`);

  // The CDR's NRO and its NRR are also recorded on-chain, attributed to their signers.
  const deadline = now + 2n * HOUR;
  const origin = await (
    await core.ledger.recordOrigin(MessageType.ChargeDetailRecord, cdr.header, bodyHash("ChargeDetailRecord", cdr.body), host.address, deadline, cdr.signature)
  ).wait();
  gas.recordOrigin = origin.gasUsed;
  const cdrReceipt = receipts[3]!;
  const nrr = await (await core.ledger.connect(host.account).recordReceipt(cdrReceipt.receipt, home.address, cdrReceipt.signature)).wait();
  gas.recordReceipt = nrr.gasUsed;
  log(`recorded the CDR's NRO (${origin.gasUsed} gas) and the home supplier's NRR (${nrr.gasUsed} gas) on-chain`);

  // A control message whose receiver never answers: the origin records the refusal after the deadline.
  const stop = await sign(agg, "Csev", { scheduleDigest: schedule.digest, command: 1, powerW: 0, effectiveAt: now + HOUR });
  await (await core.ledger.recordOrigin(MessageType.Csev, stop.header, bodyHash("Csev", stop.body), agg.address, now + HOUR, stop.signature)).wait();
  messages.push(stop);
  if (advance) {
    await advance(Number(HOUR) + 1);
    const refusal = await (await core.ledger.connect(agg.account).recordRefusal(stop.digest)).wait();
    gas.recordRefusal = refusal.gasUsed;
    log(`no receipt for the stop command by its deadline: refusal recorded (${refusal.gasUsed} gas)`);
  }
  return { core, sessionId, messages, receipts, batch, anchorTx: anchor.hash, gas, refusedDigest: stop.digest };
}
