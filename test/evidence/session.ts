/**
 * A real session on the in-process chain: registered participants sign messages and receipts,
 * one message and its receipt are recorded on-chain, one receipt is refused after its deadline,
 * and the messages and the receipts are anchored as two batches. Returns the store and a bundle.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Signer } from "ethers";
import {
  anchorNextBatch,
  recordOriginOnChain,
  recordReceiptOnChain,
  recordRefusalOnChain,
} from "../../src/evidence/anchor.js";
import { buildBundle, bundleToJson, parseBundle, type EvidenceBundle } from "../../src/evidence/bundle.js";
import type { SignedMessage, SignedReceipt } from "../../src/evidence/messages.js";
import { signMessage, signReceipt } from "../../src/evidence/sign.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import type { MessageTypeName } from "../../src/evidence/types.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import type { TestConnection } from "../helpers/network.js";
import { header, message } from "../helpers/samples.js";
import { randomId } from "./offline.js";

export type Fixture = Awaited<ReturnType<typeof evidenceFixture>>;
export type PartyName = "aggregator" | "meter" | "supplierA" | "supplierB";

/** Who receives a party's messages unless a test says otherwise. */
export const COUNTERPART: Record<PartyName, PartyName> = {
  aggregator: "meter",
  meter: "aggregator",
  supplierA: "supplierB",
  supplierB: "supplierA",
};

export interface SessionTools {
  fx: Fixture;
  conn: TestConnection;
  store: EvidenceStore;
  storePath: string;
  dir: string;
  /** Time the session's messages were issued (the keys are valid from shortly before). */
  t0: bigint;
  /**
   * Signs a message of `from` with its registered key, addressed to `to` (by default the party
   * that usually answers `from`), its receipt due `deadline` (by default one hour after issuedAt).
   */
  sign(
    from: PartyName,
    type: MessageTypeName,
    sessionId: string,
    seq: bigint,
    issuedAt?: bigint,
    ttl?: bigint,
    to?: PartyName,
    deadline?: bigint,
  ): Promise<SignedMessage>;
  /** Signs `to`'s receipt of `m`. */
  receipt(to: PartyName, m: SignedMessage, receivedAt?: bigint): Promise<SignedReceipt>;
  account(name: PartyName): Signer;
}

export function tools(
  conn: TestConnection,
  fx: Fixture,
  store: EvidenceStore,
  storePath: string,
  dir: string,
  t0: bigint,
): SessionTools {
  const address = (n: PartyName) => fx.participants[n].address;
  return {
    fx,
    conn,
    store,
    storePath,
    dir,
    t0,
    sign: (from, type, sessionId, seq, issuedAt = t0, ttl = 86_400n, to = COUNTERPART[from], deadline = issuedAt + 3600n) =>
      signMessage(fx.keys[from]!, address(from), fx.domain, message(type, header(sessionId, seq, issuedAt, ttl)), {
        receiver: address(to),
        receiptDeadline: deadline,
      }),
    receipt: (to, m, receivedAt = m.header.issuedAt + 2n) =>
      signReceipt(fx.keys[to]!, address(to), fx.domain, {
        nroDigest: m.digest,
        sessionId: m.header.sessionId,
        receivedAt,
        nonce: randomId(),
      }),
    account: (n) => fx.participants[n],
  };
}

/** Temporary folders of the fixtures, removed when the run ends. */
const folders: string[] = [];
after(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

export async function sessionTools(conn: TestConnection): Promise<SessionTools> {
  const fx = await evidenceFixture(conn);
  const dir = mkdtempSync(join(tmpdir(), "v2g-evidence-"));
  folders.push(dir);
  const storePath = join(dir, "evidence.db");
  const store = EvidenceStore.open(storePath, { domain: { chainId: fx.chainId, verifyingContract: fx.ledgerAddress } });
  const t0 = BigInt(await conn.networkHelpers.time.latest());
  return tools(conn, fx, store, storePath, dir, t0);
}

export interface SessionFixture extends SessionTools {
  sessionId: string;
  messages: Record<"schedule" | "csev1" | "csev2" | "reading" | "cdr" | "payment", SignedMessage>;
  receipts: SignedReceipt[];
  bundle: EvidenceBundle;
  /** The bundle's JSON text, to load fresh copies from. */
  bundleJson: string;
}

export async function sessionFixture(conn: TestConnection): Promise<SessionFixture> {
  const t = await sessionTools(conn);
  const { fx, store } = t;
  const sessionId = randomId();
  const messages = {
    schedule: await t.sign("aggregator", "Schedule", sessionId, 0n, t.t0, 86_400n, "supplierB"),
    csev1: await t.sign("aggregator", "Csev", sessionId, 1n),
    csev2: await t.sign("aggregator", "Csev", sessionId, 2n),
    reading: await t.sign("meter", "MeterReading", sessionId, 0n),
    cdr: await t.sign("supplierA", "ChargeDetailRecord", sessionId, 0n),
    payment: await t.sign("supplierB", "Payment", sessionId, 0n),
  };
  const receipts = [
    await t.receipt("supplierB", messages.schedule),
    await t.receipt("meter", messages.csev1),
    await t.receipt("meter", messages.csev2),
    await t.receipt("aggregator", messages.reading),
    await t.receipt("supplierB", messages.cdr),
  ];
  store.putMessages(Object.values(messages));
  store.putReceipts(receipts);

  // The CDR and its receipt go on-chain; the payment's receiver never answers, so it is refused.
  await (await recordOriginOnChain(t.account("supplierA"), fx.ledgerAddress, messages.cdr)).wait();
  await (await recordReceiptOnChain(t.account("supplierB"), fx.ledgerAddress, receipts[4]!)).wait();
  await (await recordOriginOnChain(t.account("supplierB"), fx.ledgerAddress, messages.payment)).wait();
  await conn.networkHelpers.time.increaseTo(messages.payment.header.receiptDeadline! + 1n);
  await (await recordRefusalOnChain(t.account("supplierB"), fx.ledgerAddress, messages.payment.digest, store)).wait();

  await anchorNextBatch(store, t.account("aggregator"), { kind: "Messages" });
  await anchorNextBatch(store, t.account("aggregator"), { kind: "Receipts" });
  const bundle = await buildBundle(store, sessionId, { provider: conn.ethers.provider });
  return { ...t, sessionId, messages, receipts, bundle, bundleJson: JSON.stringify(bundleToJson(bundle)) };
}

/** A fresh, independent copy of the fixture's bundle (through its JSON form). */
export function freshBundle(f: SessionFixture): EvidenceBundle {
  return parseBundle(JSON.parse(f.bundleJson));
}
