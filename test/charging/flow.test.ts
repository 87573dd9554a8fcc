import { expect } from "chai";
import { encodeBytes32String, hexlify, randomBytes, Wallet, type BaseWallet } from "ethers";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import { signArtefact } from "../../src/charging/artefacts.js";
import { chargingDomain, type SignedArtefact } from "../../src/charging/artefactTypes.js";
import { CsevCommand, CsevIssuer, EvseController, type SessionBinding } from "../../src/charging/control.js";
import { ChargingError } from "../../src/charging/errors.js";
import { EvseAccess } from "../../src/charging/evseAccess.js";
import { flowHeader, signFlowMessage, verifyFlowReceipt, type FlowParty } from "../../src/charging/flowEvidence.js";
import { MemoryKeyDirectory } from "../../src/charging/keyDirectory.js";
import { PriceBook } from "../../src/charging/prices.js";
import { PseudonymIssuer } from "../../src/charging/pseudonyms.js";
import { acceptRequest, Preference } from "../../src/charging/requests.js";

const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const LEDGER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const domains = { evidence: evidenceDomain(31337n, LEDGER), charging: chargingDomain(31337n, REGISTRY) };
const T0 = 1_800_000_000n;
/** The aggregator every request is addressed to. */
const AGGREGATOR = Wallet.createRandom().address;
const YEAR = 365n * 86_400n;

const party = (): FlowParty & { wallet: BaseWallet } => {
  const wallet = Wallet.createRandom();
  return { address: Wallet.createRandom().address, key: wallet, wallet };
};

/** Expects `promise` to reject with a ChargingError of `code` whose message contains `words`. */
async function refused(promise: Promise<unknown>, code: string, words: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ChargingError);
    expect((error as ChargingError).code).to.equal(code);
    expect((error as ChargingError).message).to.contain(words);
    return;
  }
  expect.fail(`expected a ${code} refusal: ${words}`);
}

function world() {
  const supplier = party();
  const stranger = party();
  const aggregator = party();
  const evse = party();
  const directory = new MemoryKeyDirectory()
    .addKey(supplier.address, supplier.wallet.address, T0 - YEAR, T0 + YEAR)
    .grant("SUPPLIER", supplier.address)
    .addKey(stranger.address, stranger.wallet.address, T0 - YEAR, T0 + YEAR)
    .grant("AGGREGATOR", stranger.address)
    .addKey(aggregator.address, aggregator.wallet.address, T0 - YEAR, T0 + YEAR)
    .grant("AGGREGATOR", aggregator.address)
    .addKey(evse.address, evse.wallet.address, T0 - YEAR, T0 + YEAR)
    .grant("METER", evse.address);
  return { supplier, stranger, aggregator, evse, directory };
}

async function request(pseudonym: BaseWallet, cert: SignedArtefact<"PseudonymCert">, over: { issuedAt?: bigint } = {}): Promise<SignedMessage<"ReqEv">> {
  const issuedAt = over.issuedAt ?? T0;
  return signFlowMessage({ address: pseudonym.address, key: pseudonym }, domains.evidence, "ReqEv", flowHeader(hexlify(randomBytes(32)), 1n, issuedAt, issuedAt + 600n, AGGREGATOR), {
    pseudonym: pseudonym.address,
    pseudonymCert: cert.digest,
    targetSocBp: 8000,
    departure: T0 + 8n * 3600n,
    maxPowerW: 11_000,
    preferences: Preference.OffPeakOnly | Preference.AncillaryServices,
  });
}

describe("charging: pseudonymous requests, signed prices, authorisation and control", function () {
  this.timeout(60_000);

  describe("REQ_EV under a certified pseudonym", () => {
    it("should accept a request under a pseudonym its supplier certified, and reveal only the supplier's group", async () => {
      const w = world();
      const issuer = new PseudonymIssuer(w.supplier.address, w.supplier.key, domains.charging);
      const pseudonym = Wallet.createRandom();
      const cert = await issuer.certify("user-alice", pseudonym.address, T0 - 60n, T0 + 3600n);
      const accepted = await acceptRequest(w.directory, domains, await request(pseudonym, cert), cert, T0);
      expect(accepted.pseudonym.supplier).to.equal(w.supplier.address);
      expect(JSON.stringify(accepted, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).to.not.contain("user-alice");
      expect(issuer.userOf(pseudonym.address)).to.equal("user-alice");
    });

    it("should refuse a pseudonym not certified, or certified by a key not registered to a supplier", async () => {
      const w = world();
      const pseudonym = Wallet.createRandom();
      const forger = new PseudonymIssuer(w.supplier.address, Wallet.createRandom(), domains.charging);
      const forged = await forger.certify("u", pseudonym.address, T0 - 60n, T0 + 3600n);
      await refused(acceptRequest(w.directory, domains, await request(pseudonym, forged), forged, T0), "BAD_SIGNATURE", "not a registered key");
      const notSupplier = new PseudonymIssuer(w.stranger.address, w.stranger.key, domains.charging);
      const byAggregator = await notSupplier.certify("u", pseudonym.address, T0 - 60n, T0 + 3600n);
      await refused(acceptRequest(w.directory, domains, await request(pseudonym, byAggregator), byAggregator, T0), "BAD_SIGNATURE", "SUPPLIER role");
      const real = await new PseudonymIssuer(w.supplier.address, w.supplier.key, domains.charging).certify("u", pseudonym.address, T0 - 60n, T0 + 3600n);
      const other = Wallet.createRandom();
      // A request by another key naming the real certificate.
      await refused(acceptRequest(w.directory, domains, await request(other, real), real, T0), "BAD_SIGNATURE", "another pseudonym");
      // A certificate whose window has passed, at the exact second.
      await refused(acceptRequest(w.directory, domains, await request(pseudonym, real, { issuedAt: T0 + 3000n }), real, T0 + 3600n), "EXPIRED", "validity window");
      expect((await acceptRequest(w.directory, domains, await request(pseudonym, real, { issuedAt: T0 + 3000n }), real, T0 + 3599n)).pseudonym.pseudonym).to.equal(pseudonym.address);
      // A certificate edited after signing (another pseudonym put in).
      const edited = { ...real, value: { ...real.value, pseudonym: other.address } };
      await refused(acceptRequest(w.directory, domains, await request(other, { ...edited, digest: real.digest }), edited, T0), "BAD_SIGNATURE", "tampered");
    });
  });

  describe("signed tariffs and price signals", () => {
    const tariffId = encodeBytes32String("home-2026");
    const tariffOf = (supplier: string) => ({
      supplier,
      tariffId,
      currency: encodeBytes32String("EUR"),
      start: T0,
      slotSeconds: 900,
      importPrice: [100_000n, 100_000n, 400_000n, 400_000n],
      exportPrice: [80_000n, 80_000n, 320_000n, 320_000n],
      peakMask: [false, false, true, true],
      validUntil: T0 + 86_400n,
    });

    it("should use only signed prices, refuse a tampered or replayed signal, and apply valid ones in sequence", async () => {
      const w = world();
      const book = new PriceBook(w.directory, domains.charging);
      expect(() => book.prices(w.supplier.address, tariffId)).to.throw(ChargingError, "no signed tariff");
      await book.acceptTariff(await signArtefact(w.supplier.key, w.supplier.address, domains.charging, "Tariff", tariffOf(w.supplier.address)), T0);
      const signal = await signArtefact(w.supplier.key, w.supplier.address, domains.charging, "PriceSignal", {
        supplier: w.supplier.address,
        tariffId,
        seq: 1n,
        firstSlot: 2,
        importPrice: [300_000n, 300_000n],
        exportPrice: [250_000n, 250_000n],
        issuedAt: T0,
        validUntil: T0 + 900n,
      });
      // The paper's DoS: every slot made cheap at once so every vehicle requests together.
      const tampered = { ...signal, value: { ...signal.value, importPrice: [1n, 1n] } };
      await refused(book.acceptSignal(tampered, T0), "BAD_SIGNATURE", "tampered");
      const forged = await signArtefact(Wallet.createRandom(), w.supplier.address, domains.charging, "PriceSignal", { ...signal.value, importPrice: [1n, 1n] });
      await refused(book.acceptSignal(forged, T0), "BAD_SIGNATURE", "not a registered key");
      expect(book.prices(w.supplier.address, tariffId).importPrice).to.deep.equal([100_000n, 100_000n, 400_000n, 400_000n]);
      await refused(book.acceptSignal(signal, T0 + 900n), "EXPIRED", "validity window");
      await book.acceptSignal(signal, T0 + 899n);
      expect(book.prices(w.supplier.address, tariffId).importPrice).to.deep.equal([100_000n, 100_000n, 300_000n, 300_000n]);
      await refused(book.acceptSignal(signal, T0 + 10n), "REFUSED", "replayed");
      expect(book.evidence(w.supplier.address, tariffId)).to.have.length(2);
    });
  });

  describe("authorisation at the charger", () => {
    it("should refuse an EV the owner never authorised, and admit it after the owner signs once", async () => {
      const owner = Wallet.createRandom();
      const evseId = encodeBytes32String("EVSE-HOME-1");
      const access = new EvseAccess(evseId, owner.address, domains.charging);
      const ev = Wallet.createRandom().address;
      expect(() => access.admit(ev, T0)).to.throw(ChargingError, "not authorised");
      const value = { owner: owner.address, evseId, vehicle: ev, validFrom: T0, validUntil: T0 + YEAR };
      const byStranger = await signArtefact(Wallet.createRandom(), owner.address, domains.charging, "EvseAuthorisation", value);
      expect(() => access.admit(ev, T0, byStranger)).to.throw(ChargingError, "not signed by the EVSE's owner");
      const forOther = await signArtefact(owner, owner.address, domains.charging, "EvseAuthorisation", { ...value, vehicle: Wallet.createRandom().address });
      expect(() => access.admit(ev, T0, forOther)).to.throw(ChargingError, "another EVSE or vehicle");
      const good = await signArtefact(owner, owner.address, domains.charging, "EvseAuthorisation", value);
      access.admit(ev, T0, good);
      expect(access.admit(ev, T0 + 10n)).to.equal(good);
      expect(access.evidence()).to.deep.equal([good]);
      expect(() => access.admit(Wallet.createRandom().address, T0 + 10n)).to.throw(ChargingError, "not authorised");
    });
  });

  describe("CSEV control", () => {
    // Slot 0 off-peak charge 7.4 kW, slot 1 peak: discharge 5 kW; 15-minute slots from T0.
    const schedule = { requestDigest: hexlify(randomBytes(32)), start: T0, slotSeconds: 900, powerW: [7400, -5000, 0], costEstimate: 0n, revision: 0 };
    const binding = (sessionId: string, evse: string): SessionBinding => ({ sessionId, evse, scheduleDigest: hexlify(randomBytes(32)), schedule });

    async function setup() {
      const w = world();
      const session = binding(hexlify(randomBytes(32)), w.evse.address);
      const store = EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });
      const controller = new EvseController(w.evse, w.aggregator.address, w.directory, domains.evidence, session, store);
      const issuer = new CsevIssuer(w.aggregator, domains.evidence, session);
      return { w, session, store, controller, issuer };
    }

    it("should execute a valid CSEV and sign its receipt into the EVSE's evidence", async () => {
      const { w, controller, issuer, store, session } = await setup();
      const start = await issuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0);
      const receipt = await controller.execute(start, T0 + 5n);
      expect(verifyFlowReceipt(domains.evidence, receipt)).to.equal(true);
      expect(receipt.receipt.nroDigest).to.equal(start.digest);
      expect(receipt.signer).to.equal(w.evse.wallet.address);
      expect(controller.powerW).to.equal(7400);
      const records = store.session(session.sessionId);
      expect(records.messages.map((m) => m.digest)).to.deep.equal([start.digest]);
      expect(records.receipts).to.have.length(1);
      store.close();
    });

    it("should refuse an off-peak start replayed at the peak", async () => {
      const { controller, issuer, store } = await setup();
      const start = await issuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0);
      await controller.execute(start, T0 + 5n);
      await refused(controller.execute(start, T0 + 905n), "REFUSED", "outside its validity window");
      await refused(controller.execute(start, T0 + 6n), "REFUSED", "out of sequence");
      // A fresh, in-sequence start for a peak slot the schedule gives to discharge.
      await refused(controller.execute(await issuer.issue(CsevCommand.Start, 7400, T0 + 910n, 300n, T0 + 905n), T0 + 905n), "REFUSED", "not in the schedule");
      store.close();
    });

    it("should refuse a CSEV changed from charge to discharge after signing", async () => {
      const { controller, issuer, store } = await setup();
      const start = await issuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0);
      const changed = { ...start, body: { ...start.body, command: CsevCommand.Discharge, powerW: -7400 } };
      await refused(controller.execute(changed, T0 + 5n), "REFUSED", "bad signature");
      expect(controller.powerW).to.equal(0);
      store.close();
    });

    it("should refuse a CSEV for another session, past its window (at the exact second), or out of sequence", async () => {
      const { w, controller, issuer, store, session } = await setup();
      const otherIssuer = new CsevIssuer(w.aggregator, domains.evidence, { ...binding(hexlify(randomBytes(32)), w.evse.address) });
      await refused(controller.execute(await otherIssuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0), T0 + 5n), "REFUSED", "another session");
      const first = await issuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0);
      await refused(controller.execute(first, T0 + 300n), "REFUSED", "outside its validity window");
      const second = await issuer.issue(CsevCommand.SetPower, 3000, T0 + 20n, 300n, T0);
      await refused(controller.execute(second, T0 + 21n), "REFUSED", "out of sequence");
      await controller.execute(first, T0 + 299n);
      await controller.execute(second, T0 + 21n);
      expect(controller.powerW).to.equal(3000);
      const stranger = new CsevIssuer(w.stranger, domains.evidence, session);
      await stranger.issue(CsevCommand.Stop, 0, T0 + 30n, 300n, T0);
      await stranger.issue(CsevCommand.Stop, 0, T0 + 30n, 300n, T0);
      await refused(controller.execute(await stranger.issue(CsevCommand.Stop, 0, T0 + 30n, 300n, T0), T0 + 31n), "REFUSED", "not from the session's aggregator");
      const discharge = await issuer.issue(CsevCommand.Discharge, -5000, T0 + 900n, 300n, T0 + 890n);
      await controller.execute(discharge, T0 + 900n);
      expect(controller.powerW).to.equal(-5000);
      store.close();
    });

    it("should refuse a CSEV of the session addressed to another EVSE", async () => {
      const { w, controller, store, session } = await setup();
      const misdirected = new CsevIssuer(w.aggregator, domains.evidence, { ...session, evse: Wallet.createRandom().address });
      await refused(controller.execute(await misdirected.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0), T0 + 5n), "REFUSED", "addressed to another EVSE");
      expect(controller.powerW).to.equal(0);
      store.close();
    });
  });
});

