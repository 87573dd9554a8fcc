import { expect } from "chai";
import { getAddress, Wallet } from "ethers";
import type { FlowParty, KeyCheck } from "../../src/charging/flowEvidence.js";
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
 * kWh that the host billed twice: the CDR it sent the home, and the inflated second one, delivered
 * and receipted too.
 */
async function rebilledSession() {
  const host = party();
  const home = party();
  const evse = party();
  const stores = { hostStore: open(), homeStore: open(), evseStore: open() };
  const sent = await roamingSession(domain, { host, home, evse, ...stores }, { start: START, stepsWh: [2000, 2000, 2000], priceMicroPerKWh: 300_000n });
  const keys: KeyRecord[] = [host, home, evse].map((p) => ({ key: p.keyAddress, participant: p.address, validFrom: 0, validUntil: 2 ** 40 - 1 }));
  const registered: KeyCheck = async (participant, signer) => keys.some((k) => same(k.participant, participant) && same(k.key, signer));
  const second = await rebillSession({ host, hostStore: stores.hostStore, home, homeStore: stores.homeStore, keys: registered }, domain, sent);
  /** The session's bundle from `from` with a chain snapshot in which the parties' keys are registered. */
  const bundle = async (from: EvidenceStore[] = [stores.hostStore, stores.homeStore], registered = keys): Promise<EvidenceBundle> => ({
    ...(await buildBundleFrom(from, sent.header.sessionId)),
    chainState: { chainId: CHAIN_ID, ledger: LEDGER, registry: REGISTRY, blockNumber: 1, blockTime: Number(START) + 86_400, anchors: [], keys: registered, origins: [], receipts: [] },
  });
  const extra: EvidenceStore[] = [];
  /** A copy of `store`'s records of the session without the receipts of `digests`. */
  const without = (store: EvidenceStore, ...digests: string[]): EvidenceStore => {
    const copy = open();
    extra.push(copy);
    const records = store.session(sent.header.sessionId);
    copy.putMessages(records.messages);
    copy.putReceipts(records.receipts.filter((r) => !digests.includes(r.receipt.nroDigest)));
    return copy;
  };
  const close = () => [...Object.values(stores), ...extra].forEach((s) => s.close());
  return { host, home, evse, sent, second, stores, keys, bundle, without, close };
}

const leaf = (cdr: Cdr, amount = cdr.body.amount) => ({ cdrDigest: cdr.digest, amount });
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

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

  it("should number each party's messages of the session from 0 without gaps, so the whole bundle verifies", async () => {
    const b = await s.bundle();
    const ruling = await ruleFromBundle(b, leaf(s.sent));
    expect(ruling.verdict.items.filter((i) => !i.valid)).to.deep.equal([]);
    expect(ruling.verdict.ok).to.equal(true);
    const seqs = (p: string) => b.messages.filter((m) => same(m.party, p)).map((m) => m.header.seq);
    expect(seqs(s.evse.address)).to.deep.equal([0n, 1n, 2n, 3n]);
    expect(seqs(s.host.address)).to.deep.equal([0n, 1n]);
    expect([s.sent.header.seq, s.second.header.seq]).to.deep.equal([0n, 1n]);
  });

  it("should uphold a dispute of the second bill, delivered and receipted: more energy than the readings show, the session billed before", async () => {
    expect([s.second.body.energyWh, s.second.body.amount]).to.deep.equal([9000n, 2_700_000n]);
    const ruling = await ruleFromBundle(await s.bundle(), leaf(s.second));
    expect(ruling.upheld).to.equal(true);
    expect(ruling.grounds).to.deep.equal(["ENERGY_NOT_METERED", "SESSION_ALREADY_BILLED"]);
    expect(ruling.explanation[0]).to.equal("ENERGY_NOT_METERED: bills 9000 Wh, the meter readings show 6000 Wh");
    expect(ruling.explanation[1]).to.equal(`SESSION_ALREADY_BILLED: ${s.home.address} receipted CDR ${s.sent.digest} of this session before it (sequence 0 < 1)`);
    // The home's receipt proves that the second bill arrived: the evidence is complete and authentic.
    expect(ruling.verdict.ok).to.equal(true);
    expect(s.stores.homeStore.receipt(s.second.digest)?.receiver).to.equal(s.home.address);
  });

  it("should uphold a dispute of a second bill the home never receipted", async () => {
    const bundle = await s.bundle([s.without(s.stores.hostStore, s.second.digest), s.without(s.stores.homeStore, s.second.digest)]);
    const ruling = await ruleFromBundle(bundle, leaf(s.second));
    expect(ruling.grounds).to.deep.equal(["ENERGY_NOT_METERED", "SESSION_ALREADY_BILLED", "NOT_RECEIVED"]);
    expect(ruling.explanation[2]).to.equal(`NOT_RECEIVED: ${s.home.address} never receipted it; it receipted CDR ${s.sent.digest} of this session`);
    // The verifier itself sees the second bill without a receipt.
    const item = ruling.verdict.items.find((i) => i.id === s.second.digest);
    expect(item?.reasons).to.deep.equal(["missing_receipt"]);
  });

  it("should hear both sides: the home's receipt decides even when the host's store does not keep it", async () => {
    // The host's own evidence without the home's receipt of the first CDR: a bundle from it alone
    // shows no receipted earlier CDR, so the second bill is only found unmetered.
    const hostOnly = s.without(s.stores.hostStore, s.sent.digest);
    const alone = await ruleFromBundle(await s.bundle([hostOnly]), leaf(s.second));
    expect(alone.grounds).to.deep.equal(["ENERGY_NOT_METERED"]);
    const both = await ruleFromBundle(await s.bundle([hostOnly, s.stores.homeStore]), leaf(s.second));
    expect(both.grounds).to.deep.equal(["ENERGY_NOT_METERED", "SESSION_ALREADY_BILLED"]);
  });

  it("should not count an earlier CDR the verifier does not trust as a bill of the session", async () => {
    // The first CDR changed after signing (its receipt still names its digest): it bills nothing,
    // so the second is not a second bill; only the readings speak against it.
    const b = await s.bundle();
    const first = b.messages.find((m) => m.digest === s.sent.digest)! as Cdr;
    first.body.amount += 1n;
    const ruling = await ruleFromBundle(b, leaf(s.second));
    expect(ruling.verdict.items.find((i) => i.id === s.sent.digest)?.reasons).to.deep.equal(["bad_signature"]);
    expect(ruling.grounds).to.deep.equal(["ENERGY_NOT_METERED"]);
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
    expect(items.find((i) => i.digest === s.second.digest.toLowerCase())).to.include({ type: "ChargeDetailRecord", from: "host", to: "home", verdict: "valid" });
    expect(items.find((i) => i.digest === s.sent.digest.toLowerCase())).to.include({ from: "host", to: "home", verdict: "valid" });
    expect(items.filter((i) => i.type === "MeterReading").map((i) => [i.from, i.to, i.verdict])).to.deep.equal([
      ["evse", "host", "valid"], ["evse", "host", "valid"], ["evse", "host", "valid"], ["evse", "host", "valid"],
    ]);
    expect(items.filter((i) => i.type === "Receipt" && i.from === "home")).to.have.length(2);
  });
});
