import { expect } from "chai";
import { encodeBytes32String, hexlify, randomBytes, TypedDataEncoder, Wallet, type BaseWallet } from "ethers";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import { signArtefact, verifyArtefact } from "../../src/charging/artefacts.js";
import { ARTEFACT_FIELDS, chargingDomain, type ArtefactType, type SignedArtefact } from "../../src/charging/artefactTypes.js";
import { CsevCommand, CsevIssuer, EvseController, type SessionBinding } from "../../src/charging/control.js";
import { ChargingError } from "../../src/charging/errors.js";
import { EvseAccess } from "../../src/charging/evseAccess.js";
import { confirmSchedule, Decision, receiveConfirmation, receiveSchedule } from "../../src/charging/aggregator.js";
import { flowHeader, FlowSequences, keepWithReceipt, ownKey, registeredKey, signFlowMessage, signFlowReceipt, verifyFlowReceipt, type FlowParty } from "../../src/charging/flowEvidence.js";
import { MemoryKeyDirectory } from "../../src/charging/keyDirectory.js";
import { PriceBook } from "../../src/charging/prices.js";
import { PseudonymIssuer } from "../../src/charging/pseudonyms.js";
import { acceptRequest, Preference } from "../../src/charging/requests.js";

const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const LEDGER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const domains = { evidence: evidenceDomain(31337n, LEDGER), charging: chargingDomain(31337n, REGISTRY) };
const T0 = 1_800_000_000n;
/** The aggregator every request is addressed to. */
const AGGREGATOR_KEY = Wallet.createRandom();
const AGGREGATOR: FlowParty = { address: Wallet.createRandom().address, key: AGGREGATOR_KEY };
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
    .grant("METER", evse.address)
    .addKey(AGGREGATOR.address, AGGREGATOR_KEY.address, T0 - YEAR, T0 + YEAR)
    .grant("AGGREGATOR", AGGREGATOR.address);
  const store = EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });
  const accept = (req: SignedMessage<"ReqEv">, cert: SignedArtefact<"PseudonymCert">, now: bigint) => acceptRequest(directory, domains, AGGREGATOR, store, req, cert, now);
  return { supplier, stranger, aggregator, evse, directory, store, accept };
}

async function request(pseudonym: BaseWallet, cert: SignedArtefact<"PseudonymCert">, over: { issuedAt?: bigint; to?: string } = {}): Promise<SignedMessage<"ReqEv">> {
  const issuedAt = over.issuedAt ?? T0;
  return signFlowMessage({ address: pseudonym.address, key: pseudonym }, domains.evidence, "ReqEv", flowHeader(hexlify(randomBytes(32)), 1n, issuedAt, issuedAt + 600n, over.to ?? AGGREGATOR.address), {
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
      const accepted = await w.accept(await request(pseudonym, cert), cert, T0);
      expect(accepted.pseudonym.supplier).to.equal(w.supplier.address);
      expect(JSON.stringify(accepted, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).to.not.contain("user-alice");
      expect(issuer.userOf(pseudonym.address)).to.equal("user-alice");
    });

    it("should refuse a pseudonym not certified, or certified by a key not registered to a supplier", async () => {
      const w = world();
      const pseudonym = Wallet.createRandom();
      const forger = new PseudonymIssuer(w.supplier.address, Wallet.createRandom(), domains.charging);
      const forged = await forger.certify("u", pseudonym.address, T0 - 60n, T0 + 3600n);
      await refused(w.accept(await request(pseudonym, forged), forged, T0), "BAD_SIGNATURE", "not a registered key");
      const notSupplier = new PseudonymIssuer(w.stranger.address, w.stranger.key, domains.charging);
      const byAggregator = await notSupplier.certify("u", pseudonym.address, T0 - 60n, T0 + 3600n);
      await refused(w.accept(await request(pseudonym, byAggregator), byAggregator, T0), "BAD_SIGNATURE", "SUPPLIER role");
      const real = await new PseudonymIssuer(w.supplier.address, w.supplier.key, domains.charging).certify("u", pseudonym.address, T0 - 60n, T0 + 3600n);
      const other = Wallet.createRandom();
      // A request by another key naming the real certificate.
      await refused(w.accept(await request(other, real), real, T0), "BAD_SIGNATURE", "another pseudonym");
      // A certificate whose window has passed, at the exact second.
      await refused(w.accept(await request(pseudonym, real, { issuedAt: T0 + 3000n }), real, T0 + 3600n), "EXPIRED", "validity window");
      expect((await w.accept(await request(pseudonym, real, { issuedAt: T0 + 3000n }), real, T0 + 3599n)).pseudonym.pseudonym).to.equal(pseudonym.address);
      // A certificate edited after signing (another pseudonym put in).
      const edited = { ...real, value: { ...real.value, pseudonym: other.address } };
      await refused(w.accept(await request(other, { ...edited, digest: real.digest }), edited, T0), "BAD_SIGNATURE", "tampered");
    });
  });

  describe("REQ_EV, Schedule and Confirmation as evidence of both parties", () => {
    const newStore = () => EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });

    /** A user with a certified pseudonym, its request accepted by AGGREGATOR into `w.store`. */
    async function negotiation() {
      const w = world();
      const key = Wallet.createRandom();
      const user: FlowParty = { address: key.address, key };
      const cert = await new PseudonymIssuer(w.supplier.address, w.supplier.key, domains.charging).certify("u", key.address, T0 - 60n, T0 + 3600n);
      const req = await request(key, cert);
      const accepted = await w.accept(req, cert, T0 + 1n);
      const userStore = newStore();
      await keepWithReceipt(domains.evidence, userStore, req, accepted.receipt, registeredKey(w.directory));
      const schedule = async (over: { from?: FlowParty; to?: string; requestDigest?: string } = {}) =>
        signFlowMessage(over.from ?? AGGREGATOR, domains.evidence, "Schedule", flowHeader(req.header.sessionId, 2n, T0 + 2n, T0 + 902n, over.to ?? user.address), {
          requestDigest: over.requestDigest ?? req.digest,
          start: T0,
          slotSeconds: 900,
          powerW: [7400, 0],
          costEstimate: 1n,
          revision: 0,
        });
      return { w, user, cert, req, accepted, userStore, schedule };
    }

    it("should receipt an accepted REQ_EV into the aggregator's store, and the user keep it with that receipt", async () => {
      const { w, req, accepted, userStore } = await negotiation();
      expect(verifyFlowReceipt(domains.evidence, accepted.receipt)).to.equal(true);
      expect(accepted.receipt.receipt.nroDigest).to.equal(req.digest);
      expect(accepted.receipt.signer).to.equal(AGGREGATOR_KEY.address);
      for (const store of [w.store, userStore]) {
        const records = store.session(req.header.sessionId);
        expect(records.messages.map((m) => m.digest)).to.deep.equal([req.digest]);
        expect(records.receipts.map((r) => r.digest)).to.deep.equal([accepted.receipt.digest]);
      }
    });

    it("should refuse a REQ_EV addressed to another aggregator, and store nothing", async () => {
      const w = world();
      const key = Wallet.createRandom();
      const cert = await new PseudonymIssuer(w.supplier.address, w.supplier.key, domains.charging).certify("u", key.address, T0 - 60n, T0 + 3600n);
      const toStranger = await request(key, cert, { to: w.stranger.address });
      await refused(w.accept(toStranger, cert, T0), "REFUSED", "addressed to another party");
      expect(w.store.hasSession(toStranger.header.sessionId)).to.equal(false);
      // A request refused for a bad certificate leaves no evidence either.
      const other = Wallet.createRandom();
      const byOther = await request(other, cert);
      await refused(w.accept(byOther, cert, T0), "BAD_SIGNATURE", "another pseudonym");
      expect(w.store.hasSession(byOther.header.sessionId)).to.equal(false);
    });

    it("should let the user keep only the named receiver's receipt of its own request, by its deadline", async () => {
      const w = world();
      const key = Wallet.createRandom();
      const cert = await new PseudonymIssuer(w.supplier.address, w.supplier.key, domains.charging).certify("u", key.address, T0 - 60n, T0 + 3600n);
      const req = await request(key, cert);
      const userStore = newStore();
      const check = registeredKey(w.directory);
      // A stranger (a registered aggregator) receipts a request addressed to another aggregator.
      const byStranger = await signFlowReceipt(w.stranger, domains.evidence, req, T0 + 1n);
      await refused(keepWithReceipt(domains.evidence, userStore, req, byStranger, check), "BAD_SIGNATURE", "not by the message's receiver");
      // The receiver's account with a key that is not registered to it.
      const unregistered = await signFlowReceipt({ address: AGGREGATOR.address, key: Wallet.createRandom() }, domains.evidence, req, T0 + 1n);
      await refused(keepWithReceipt(domains.evidence, userStore, req, unregistered, check), "BAD_SIGNATURE", "not by the message's receiver");
      // The aggregator's receipt of another request shown for this one.
      const another = await request(key, cert);
      const ofAnother = await signFlowReceipt(AGGREGATOR, domains.evidence, another, T0 + 1n);
      await refused(keepWithReceipt(domains.evidence, userStore, req, ofAnother, check), "BAD_INPUT", "receipt of another message");
      // Late by one second, then exactly at the deadline.
      const deadline = req.header.receiptDeadline!;
      await refused(keepWithReceipt(domains.evidence, userStore, req, await signFlowReceipt(AGGREGATOR, domains.evidence, req, deadline + 1n), check), "EXPIRED", "receipt deadline");
      expect(userStore.hasSession(req.header.sessionId)).to.equal(false);
      await keepWithReceipt(domains.evidence, userStore, req, await signFlowReceipt(AGGREGATOR, domains.evidence, req, deadline), check);
      expect(userStore.session(req.header.sessionId).receipts).to.have.length(1);
    });

    it("should receipt a Schedule into the user's store and a Confirmation into the aggregator's, each kept by its origin", async () => {
      const { w, user, req, userStore, schedule } = await negotiation();
      const s = await schedule();
      const scheduleReceipt = await receiveSchedule(user, domains.evidence, w.directory, userStore, req, s, T0 + 3n);
      expect(scheduleReceipt.signer).to.equal(user.address);
      await keepWithReceipt(domains.evidence, w.store, s, scheduleReceipt, ownKey);
      const confirmation = await confirmSchedule(user, new FlowSequences(), domains.evidence, s, Decision.Accept, T0 + 4n);
      const confirmationReceipt = await receiveConfirmation(AGGREGATOR, domains.evidence, w.store, s, confirmation, T0 + 5n);
      expect(confirmationReceipt.signer).to.equal(AGGREGATOR_KEY.address);
      await keepWithReceipt(domains.evidence, userStore, confirmation, confirmationReceipt, registeredKey(w.directory));
      for (const store of [w.store, userStore]) {
        const records = store.session(req.header.sessionId);
        expect(records.messages.map((m) => m.type).sort()).to.deep.equal(["Confirmation", "ReqEv", "Schedule"]);
        expect(records.receipts.map((r) => r.receipt.nroDigest).sort()).to.deep.equal([req.digest, s.digest, confirmation.digest].sort());
      }
    });

    it("should refuse a Schedule from another aggregator, to another pseudonym, for another request, or past its window", async () => {
      const { w, user, req, userStore, schedule } = await negotiation();
      const receive = (s: SignedMessage<"Schedule">, now = T0 + 3n) => receiveSchedule(user, domains.evidence, w.directory, userStore, req, s, now);
      // A registered aggregator the request was not addressed to.
      await refused(receive(await schedule({ from: w.stranger })), "BAD_SIGNATURE", "not signed by its origin's key");
      // The right account, a key not registered to it.
      await refused(receive(await schedule({ from: { address: AGGREGATOR.address, key: Wallet.createRandom() } })), "BAD_SIGNATURE", "not signed by its origin's key");
      await refused(receive(await schedule({ to: Wallet.createRandom().address })), "REFUSED", "addressed to another party");
      await refused(receive(await schedule({ requestDigest: hexlify(randomBytes(32)) })), "REFUSED", "another request");
      const good = await schedule();
      const changed = { ...good, body: { ...good.body, powerW: [22_000, 0] } };
      await refused(receive(changed), "BAD_SIGNATURE", "does not verify");
      await refused(receive(good, T0 + 902n), "EXPIRED", "validity window");
      expect(userStore.session(req.header.sessionId).messages.map((m) => m.type)).to.deep.equal(["ReqEv"]);
      await receive(good, T0 + 901n);
      expect(userStore.session(req.header.sessionId).receipts).to.have.length(2);
    });

    it("should refuse a Confirmation not by the schedule's pseudonym, of another schedule, or to another aggregator", async () => {
      const { w, user, req, schedule } = await negotiation();
      const s = await schedule();
      const receive = (c: SignedMessage<"Confirmation">) => receiveConfirmation(AGGREGATOR, domains.evidence, w.store, s, c, T0 + 5n);
      const intruder = Wallet.createRandom();
      await refused(receive(await confirmSchedule({ address: intruder.address, key: intruder }, new FlowSequences(), domains.evidence, s, Decision.Accept, T0 + 4n)), "BAD_SIGNATURE", "not signed by its origin's key");
      const other = await schedule({ requestDigest: hexlify(randomBytes(32)) });
      await refused(receive(await confirmSchedule(user, new FlowSequences(), domains.evidence, other, Decision.Accept, T0 + 4n)), "REFUSED", "another schedule");
      const toStranger = await signFlowMessage(user, domains.evidence, "Confirmation", flowHeader(s.header.sessionId, 3n, T0 + 4n, T0 + 904n, w.stranger.address), {
        scheduleDigest: s.digest,
        decision: Decision.Reject,
      });
      await refused(receive(toStranger), "REFUSED", "addressed to another party");
      expect(w.store.session(req.header.sessionId).messages.map((m) => m.type)).to.deep.equal(["ReqEv"]);
      await receive(await confirmSchedule(user, new FlowSequences(), domains.evidence, s, Decision.Reject, T0 + 4n));
      expect(w.store.session(req.header.sessionId).messages.map((m) => m.type).sort()).to.deep.equal(["Confirmation", "ReqEv"]);
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

  describe("artefact signatures", () => {
    /** A valid value of every field of an artefact type, from `seed`. */
    const sample = (type: ArtefactType, seed: number): Record<string, unknown> => {
      const one = (t: string, i: number): unknown => {
        if (t.endsWith("[]")) return [0, 1, 2].map((j) => one(t.slice(0, -2), i + j));
        if (t === "bool") return (seed + i) % 2 === 0;
        if (t === "address") return Wallet.createRandom().address;
        if (t === "bytes32") return hexlify(randomBytes(32));
        return BigInt((seed * 31 + i) % 200);
      };
      return Object.fromEntries(ARTEFACT_FIELDS[type].map((f, i) => [f.name, one(f.type, i)]));
    };

    it("should sign every artefact type over ethers' own EIP-712 digest, and refuse it tampered, re-attributed or under a stranger's key", async () => {
      const w = world();
      for (const [i, type] of (Object.keys(ARTEFACT_FIELDS) as ArtefactType[]).entries()) {
        const value = sample(type, i);
        const signed = await signArtefact(w.supplier.key, w.supplier.address, domains.charging, type, value as never);
        expect(signed.digest, type).to.equal(TypedDataEncoder.hash(domains.charging, { [type]: [...ARTEFACT_FIELDS[type]] }, value));
        expect(signed.signature, type).to.equal(await w.supplier.wallet.signTypedData(domains.charging, { [type]: [...ARTEFACT_FIELDS[type]] }, value));
        expect(await verifyArtefact(w.directory, domains.charging, signed, "SUPPLIER", T0), type).to.equal(signed.digest);
        const field = ARTEFACT_FIELDS[type][0]!;
        const tampered = { ...signed, value: { ...signed.value, [field.name]: sample(type, i + 1)[field.name] } } as SignedArtefact;
        await refused(verifyArtefact(w.directory, domains.charging, tampered, "SUPPLIER", T0), "BAD_SIGNATURE", "not by its signer");
        await refused(verifyArtefact(w.directory, domains.charging, { ...signed, signer: w.stranger.wallet.address }, "SUPPLIER", T0), "BAD_SIGNATURE", "not by its signer");
        await refused(verifyArtefact(w.directory, domains.charging, { ...signed, signature: signed.signature.slice(0, -2) }, "SUPPLIER", T0), "BAD_SIGNATURE", "malformed");
        const byStranger = await signArtefact(w.stranger.key, w.supplier.address, domains.charging, type, value as never);
        await refused(verifyArtefact(w.directory, domains.charging, byStranger, "SUPPLIER", T0), "BAD_SIGNATURE", "not a registered key");
      }
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
    const binding = (sessionId: string, evse: string, scheduleSeq = 0n): SessionBinding => ({ sessionId, evse, scheduleDigest: hexlify(randomBytes(32)), schedule, scheduleSeq });

    async function setup() {
      const w = world();
      const sequences = new FlowSequences();
      const sessionId = hexlify(randomBytes(32));
      // The aggregator's schedule took its first number of the session; its CSEVs number on from it.
      const session = binding(sessionId, w.evse.address, sequences.take(w.aggregator.address, sessionId));
      const store = EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });
      const controller = new EvseController(w.evse, w.aggregator.address, w.directory, domains.evidence, session, store);
      const issuer = new CsevIssuer(w.aggregator, sequences, domains.evidence, session);
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
      const otherIssuer = new CsevIssuer(w.aggregator, new FlowSequences(), domains.evidence, { ...binding(hexlify(randomBytes(32)), w.evse.address) });
      await refused(controller.execute(await otherIssuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0), T0 + 5n), "REFUSED", "another session");
      const first = await issuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0);
      await refused(controller.execute(first, T0 + 300n), "REFUSED", "outside its validity window");
      const second = await issuer.issue(CsevCommand.SetPower, 3000, T0 + 20n, 300n, T0);
      await refused(controller.execute(second, T0 + 21n), "REFUSED", "out of sequence");
      await controller.execute(first, T0 + 299n);
      await controller.execute(second, T0 + 21n);
      expect(controller.powerW).to.equal(3000);
      const stranger = new CsevIssuer(w.stranger, new FlowSequences(), domains.evidence, session);
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
      const misdirected = new CsevIssuer(w.aggregator, new FlowSequences(), domains.evidence, { ...session, evse: Wallet.createRandom().address });
      await refused(controller.execute(await misdirected.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0), T0 + 5n), "REFUSED", "addressed to another EVSE");
      expect(controller.powerW).to.equal(0);
      store.close();
    });

    it("should move the EVSE's sequence and power on only once the CSEV and its receipt are stored", async () => {
      const { controller, issuer, store } = await setup();
      const start = await issuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0);
      store.close();
      const failed = await controller.execute(start, T0 + 10n).then(() => expect.fail("executed without storing"), (e: unknown) => e as Error);
      expect(failed).to.not.be.instanceOf(ChargingError);
      expect(controller.powerW).to.equal(0);
      // The sequence did not move: the same CSEV fails on the store again, not as a replay.
      const again = await controller.execute(start, T0 + 11n).then(() => expect.fail("executed without storing"), (e: unknown) => e as Error);
      expect(again.message).to.not.contain("out of sequence");
    });

    it("should refuse a second CSEV that arrives while the first is being executed", async () => {
      const { controller, issuer, store } = await setup();
      const start = await issuer.issue(CsevCommand.Start, 7400, T0 + 10n, 300n, T0);
      const [first, second] = await Promise.allSettled([controller.execute(start, T0 + 10n), controller.execute(start, T0 + 10n)]);
      expect(first.status).to.equal("fulfilled");
      expect(second.status).to.equal("rejected");
      expect(((second as PromiseRejectedResult).reason as Error).message).to.contain("being executed");
      expect(store.receipt(start.digest)?.receipt.nroDigest).to.equal(start.digest);
      expect(controller.powerW).to.equal(7400);
      store.close();
    });
  });
});

