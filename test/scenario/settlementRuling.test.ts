import { expect } from "chai";
import { getAddress, Wallet } from "ethers";
import type { FlowParty } from "../../src/charging/flowEvidence.js";
import { buildBundleFrom, type EvidenceBundle } from "../../src/evidence/bundle.js";
import type { KeyRecord } from "../../src/evidence/chainView.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { signMessage } from "../../src/evidence/sign.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import { SettlementDayError } from "../../src/scenario/day/settlementErrors.js";
import { rebillSession, type Cdr } from "../../src/scenario/day/settlementRebill.js";
import { evidenceItems, ruleFromBundle } from "../../src/scenario/day/settlementRuling.js";
import { evidenceItemSchema } from "../../src/report/schema.js";
import { roamingSession } from "./settlementSessions.js";

const CHAIN_ID = 31337n;
const LEDGER = getAddress("0x" + "1e".repeat(20));
const REGISTRY = getAddress("0x" + "2e".repeat(20));
const domain = evidenceDomain(CHAIN_ID, LEDGER);
const START = 1_900_000_000n;

const party = (): FlowParty & { keyAddress: string } => {
  const key = Wallet.createRandom();
  return { address: Wallet.createRandom().address, key, keyAddress: key.address };
};
const open = () => EvidenceStore.open(":memory:", { domain: { chainId: CHAIN_ID, verifyingContract: LEDGER } });

/**
 * A host, its charger and a home with registered keys; one session of 6 kWh (3 × 2 kWh) at 0.30 per
 * kWh that the host billed twice: the CDR it sent the home, and the inflated second one.
 */
async function rebilledSession() {
  const host = party();
  const home = party();
  const evse = party();
  const stores = { hostStore: open(), homeStore: open(), evseStore: open() };
  const sent = await roamingSession(domain, { host, home, evse, ...stores }, { start: START, stepsWh: [2000, 2000, 2000], priceMicroPerKWh: 300_000n });
  const second = await rebillSession(host, domain, stores.hostStore, sent);
  const keys: KeyRecord[] = [host, home, evse].map((p) => ({ key: p.keyAddress, participant: p.address, validFrom: 0, validUntil: 2 ** 40 - 1 }));
  /** The session's bundle from `from` with a chain snapshot in which the parties' keys are registered. */
  const bundle = async (from: EvidenceStore[] = [stores.hostStore, stores.homeStore], registered = keys): Promise<EvidenceBundle> => ({
    ...(await buildBundleFrom(from, sent.header.sessionId)),
    chainState: { chainId: CHAIN_ID, ledger: LEDGER, registry: REGISTRY, blockNumber: 1, blockTime: Number(START) + 86_400, anchors: [], keys: registered, origins: [], receipts: [] },
  });
  const close = () => Object.values(stores).forEach((s) => s.close());
  return { host, home, evse, sent, second, stores, keys, bundle, close };
}

const leaf = (cdr: Cdr, amount = cdr.body.amount) => ({ cdrDigest: cdr.digest, amount });

describe("the arbiter's ruling on a disputed CDR, from the session's bundle alone", function () {
  this.timeout(30_000);
  let s: Awaited<ReturnType<typeof rebilledSession>>;
  beforeEach(async () => {
    s = await rebilledSession();
  });
  afterEach(() => s.close());

  it("should not uphold a dispute of the CDR the home received: it is signed, metered and receipted", async () => {
    const ruling = await ruleFromBundle(await s.bundle(), leaf(s.sent));
    expect(ruling.grounds).to.deep.equal([]);
    expect(ruling.upheld).to.equal(false);
    expect(s.sent.body.energyWh).to.equal(6000n);
    expect(s.sent.body.amount).to.equal(1_800_000n);
  });

  it("should uphold a dispute of the second bill: more energy than the readings show, never receipted by the home", async () => {
    expect([s.second.body.energyWh, s.second.body.amount]).to.deep.equal([9000n, 2_700_000n]);
    const ruling = await ruleFromBundle(await s.bundle(), leaf(s.second));
    expect(ruling.upheld).to.equal(true);
    expect(ruling.grounds).to.deep.equal(["ENERGY_NOT_METERED", "NOT_RECEIVED"]);
    expect(ruling.explanation[0]).to.equal("ENERGY_NOT_METERED: bills 9000 Wh, the meter readings show 6000 Wh");
    // The verifier itself sees the second bill without a receipt.
    const item = ruling.verdict.items.find((i) => i.id === s.second.digest);
    expect(item?.reasons).to.deep.equal(["missing_receipt"]);
  });

  it("should hear both sides: the home's receipt decides even when the host's store does not keep it", async () => {
    // The host's own evidence without the home's receipt of the first CDR: a bundle from it alone
    // shows no receipted CDR, so the second bill is only found unmetered.
    const hostOnly = open();
    const records = s.stores.hostStore.session(s.sent.header.sessionId);
    hostOnly.putMessages(records.messages);
    hostOnly.putReceipts(records.receipts.filter((r) => r.receipt.nroDigest !== s.sent.digest));
    const alone = await ruleFromBundle(await s.bundle([hostOnly]), leaf(s.second));
    expect(alone.grounds).to.deep.equal(["ENERGY_NOT_METERED"]);
    const both = await ruleFromBundle(await s.bundle([hostOnly, s.stores.homeStore]), leaf(s.second));
    expect(both.grounds).to.deep.equal(["ENERGY_NOT_METERED", "NOT_RECEIVED"]);
    hostOnly.close();
  });

  it("should uphold when the claimed amount is not the signed one, or the CDR is not in the bundle", async () => {
    expect((await ruleFromBundle(await s.bundle(), leaf(s.sent, s.sent.body.amount + 1n))).grounds).to.deep.equal(["AMOUNT_NOT_SIGNED"]);
    const missing = await ruleFromBundle(await s.bundle(), { cdrDigest: "0x" + "ab".repeat(32), amount: 1n });
    expect([missing.upheld, missing.grounds]).to.deep.equal([true, ["CDR_NOT_IN_BUNDLE"]]);
  });

  it("should uphold when the CDR's key is not registered, or its readings are not in the bundle", async () => {
    const unregistered = await ruleFromBundle(await s.bundle(undefined, s.keys.filter((k) => k.key !== s.host.keyAddress)), leaf(s.sent));
    expect(unregistered.grounds).to.deep.equal(["CDR_NOT_VALID"]);
    expect(unregistered.explanation[0]).to.include("key_not_valid_at_signing_time");
    // The home's store alone holds the CDR and its receipt but not the charger's readings.
    const noReadings = await ruleFromBundle(await s.bundle([s.stores.homeStore]), leaf(s.sent));
    expect(noReadings.grounds).to.deep.equal(["READINGS_NOT_SHOWN"]);
  });

  it("should uphold when a reading was forged: the readings no longer make the CDR's readings root", async () => {
    const b = await s.bundle();
    const i = b.messages.findIndex((m) => m.type === "MeterReading");
    const reading = b.messages[i]! as SignedMessage<"MeterReading">;
    // Re-signed with a key of nobody: the verifier rejects it, so it does not count.
    b.messages[i] = await signMessage(Wallet.createRandom(), reading.party, domain, { type: "MeterReading", header: reading.header, body: reading.body });
    const ruling = await ruleFromBundle(b, leaf(s.sent));
    expect(ruling.grounds).to.deep.equal(["READINGS_NOT_SHOWN"]);
  });

  it("should refuse to rule on a bundle without a chain snapshot", async () => {
    const b = { ...(await s.bundle()), chainState: null };
    const error = await ruleFromBundle(b, leaf(s.sent)).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(SettlementDayError);
    expect((error as SettlementDayError).code).to.equal("BUNDLE");
  });

  it("should list the bundle as a timeline of items, each with the verifier's verdict", async () => {
    const b = await s.bundle();
    const ruling = await ruleFromBundle(b, leaf(s.second));
    const names = new Map([[s.host.address, "host"], [s.home.address, "home"], [s.evse.address, "evse"]]);
    const items = evidenceItems(b, ruling.verdict, (a) => names.get(getAddress(a)) ?? a);
    for (const it of items) evidenceItemSchema.parse(it);
    expect(items).to.have.length(b.messages.length + b.receipts.length + b.batches.length);
    expect(items.map((i) => i.at)).to.deep.equal([...items.map((i) => i.at)].sort());
    expect(items.find((i) => i.digest === s.second.digest.toLowerCase())).to.include({ type: "ChargeDetailRecord", from: "host", to: "home", verdict: "missing" });
    // The CDR the home received has its receipt; the host's earlier messages of the session are not
    // its own (the charger signed the readings), so the verifier sees a sequence gap before it.
    expect(items.find((i) => i.digest === s.sent.digest.toLowerCase())).to.include({ from: "host", to: "home", verdict: "missing", reason: "sequence_gap" });
    expect(items.filter((i) => i.type === "MeterReading").map((i) => [i.from, i.to, i.verdict])).to.deep.equal([
      ["evse", "host", "missing"], // sequence 1: the session's message 0 is another party's
      ["evse", "host", "valid"], ["evse", "host", "valid"], ["evse", "host", "valid"],
    ]);
    expect(items.filter((i) => i.type === "Receipt" && i.from === "home")).to.have.length(1);
  });
});
