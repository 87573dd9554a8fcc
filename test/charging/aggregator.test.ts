import { expect } from "chai";
import { encodeBytes32String, Wallet } from "ethers";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import { verifyMessageSignature } from "../../src/evidence/sign.js";
import { confirmSchedule, Decision, fleetProblemFrom, receiveConfirmation, receiveSchedule, signSchedules, type PluggedVehicle } from "../../src/charging/aggregator.js";
import { signArtefact } from "../../src/charging/artefacts.js";
import { chargingDomain } from "../../src/charging/artefactTypes.js";
import { CsevCommand, CsevIssuer, EvseController } from "../../src/charging/control.js";
import { ChargingError } from "../../src/charging/errors.js";
import { flowHeader, FlowSequences, keepWithReceipt, ownKey, registeredKey, signFlowMessage } from "../../src/charging/flowEvidence.js";
import { loadHighs } from "../../src/charging/highs.js";
import { MemoryKeyDirectory } from "../../src/charging/keyDirectory.js";
import { PriceBook } from "../../src/charging/prices.js";
import { PseudonymIssuer } from "../../src/charging/pseudonyms.js";
import { acceptRequest, Preference } from "../../src/charging/requests.js";
import { checkSchedule } from "../../src/charging/scheduleCheck.js";
import { scheduleFleet } from "../../src/charging/scheduler.js";

const LEDGER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domains = { evidence: evidenceDomain(31337n, LEDGER), charging: chargingDomain(31337n, REGISTRY) };
const T0 = 1_800_000_000n;
const SLOTS = 8;

describe("charging: the aggregator's flow from signed requests and prices to confirmed schedules and control", function () {
  this.timeout(60_000);

  it("should schedule two pseudonymous requests on the supplier's signed prices, and drive the EVSE by the confirmed schedule", async () => {
    const supplier = { address: Wallet.createRandom().address, key: Wallet.createRandom() };
    const aggregator = { address: Wallet.createRandom().address, key: Wallet.createRandom() };
    const evse = { address: Wallet.createRandom().address, key: Wallet.createRandom() };
    const directory = new MemoryKeyDirectory()
      .addKey(supplier.address, await supplier.key.getAddress(), T0 - 1000n, T0 + 86_400n)
      .grant("SUPPLIER", supplier.address)
      .addKey(aggregator.address, await aggregator.key.getAddress(), T0 - 1000n, T0 + 86_400n)
      .grant("AGGREGATOR", aggregator.address);
    const tariffId = encodeBytes32String("day");
    const book = new PriceBook(directory, domains.charging);
    const grid = { renewableKw: new Array<number>(SLOTS).fill(50), feederImportKw: new Array<number>(SLOTS).fill(30), feederExportKw: new Array<number>(SLOTS).fill(10), degradationPerKwh: 0.02 };
    const issuer = new PseudonymIssuer(supplier.address, supplier.key, domains.charging);
    const users = ["alice", "bob"];
    const openStore = () => EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });
    const aggregatorStore = openStore();
    const userStores = users.map(openStore);
    const vehicles: PluggedVehicle[] = [];
    const sequences = new FlowSequences();
    const pseudonymKeys = users.map(() => Wallet.createRandom());
    for (const [i, user] of users.entries()) {
      const key = pseudonymKeys[i]!;
      const cert = await issuer.certify(user, key.address, T0 - 60n, T0 + 86_400n);
      const req = await signFlowMessage({ address: key.address, key }, domains.evidence, "ReqEv", flowHeader(encodeBytes32String(`s-${user}`), sequences.take(key.address, encodeBytes32String(`s-${user}`)), T0, T0 + 600n, aggregator.address), {
        pseudonym: key.address,
        pseudonymCert: cert.digest,
        targetSocBp: 6000,
        departure: T0 + BigInt(SLOTS * 900),
        maxPowerW: 11_000,
        preferences: i === 0 ? Preference.AncillaryServices : Preference.OffPeakOnly,
      });
      const accepted = await acceptRequest(directory, domains, aggregator, aggregatorStore, req, cert, T0);
      await keepWithReceipt(domains.evidence, userStores[i]!, req, accepted.receipt, registeredKey(directory));
      vehicles.push({ accepted, arrivalSlot: 0, capacityKwh: 40, initialKwh: 16, chargerKw: 11, chargeEfficiency: 0.9, dischargeEfficiency: 0.9, minKwh: 8 });
    }
    // No signed tariff yet: nothing to schedule on.
    expect(() => fleetProblemFrom(book, supplier.address, tariffId, grid, vehicles)).to.throw(ChargingError, "no signed tariff");
    await book.acceptTariff(
      await signArtefact(supplier.key, supplier.address, domains.charging, "Tariff", {
        supplier: supplier.address,
        tariffId,
        currency: encodeBytes32String("EUR"),
        start: T0,
        slotSeconds: 900,
        importPrice: [400_000n, 400_000n, 100_000n, 100_000n, 100_000n, 100_000n, 250_000n, 250_000n],
        exportPrice: [350_000n, 350_000n, 50_000n, 50_000n, 50_000n, 50_000n, 200_000n, 200_000n],
        peakMask: [true, true, false, false, false, false, false, false],
        validUntil: T0 + 86_400n,
      }),
      T0,
    );
    const problem = fleetProblemFrom(book, supplier.address, tariffId, grid, vehicles);
    expect(problem.vehicles.map((v) => v.maxDischargeKw)).to.deep.equal([11, 0]);
    const outcome = scheduleFleet(await loadHighs(), problem);
    if (outcome.status !== "scheduled") throw new Error(`expected a schedule: ${JSON.stringify(outcome)}`);
    expect(checkSchedule(problem, outcome.plans)).to.deep.equal([]);
    // The V2G vehicle sells at the peak; the off-peak one waits.
    expect(outcome.plans[0]!.dischargeKw[0]! > 0).to.equal(true);
    expect(outcome.plans[1]!.chargeKw[0]).to.equal(0);
    const schedules = await signSchedules(aggregator, sequences, domains.evidence, problem, T0, outcome.plans, vehicles, 0, T0 + 5n);
    schedules.forEach((s, i) => {
      expect(verifyMessageSignature(domains.evidence, s)).to.equal(true);
      expect(s.body.requestDigest).to.equal(vehicles[i]!.accepted.request.digest);
      expect(s.body.powerW).to.have.length(SLOTS);
    });
    expect(schedules[0]!.body.powerW[0]! < 0).to.equal(true);
    const aliceKey = pseudonymKeys[0]!;
    const alice = { address: aliceKey.address, key: aliceKey };
    for (const [i, s] of schedules.entries()) {
      const key = pseudonymKeys[i]!;
      const receipt = await receiveSchedule({ address: key.address, key }, domains.evidence, directory, userStores[i]!, vehicles[i]!.accepted.request, s, T0 + 5n);
      await keepWithReceipt(domains.evidence, aggregatorStore, s, receipt, ownKey);
    }
    const confirmation = await confirmSchedule(alice, sequences, domains.evidence, schedules[0]!, Decision.Accept, T0 + 6n);
    expect(confirmation.body.scheduleDigest).to.equal(schedules[0]!.digest);
    const confirmed = await receiveConfirmation(aggregator, domains.evidence, aggregatorStore, schedules[0]!, confirmation, T0 + 7n);
    await keepWithReceipt(domains.evidence, userStores[0]!, confirmation, confirmed, registeredKey(directory));
    // Both sides hold every negotiation message of alice's session with the receiver's receipt.
    for (const store of [aggregatorStore, userStores[0]!]) {
      const records = store.session(schedules[0]!.header.sessionId);
      expect(records.messages.map((m) => m.type).sort()).to.deep.equal(["Confirmation", "ReqEv", "Schedule"]);
      expect(records.receipts).to.have.length(3);
    }
    expect(userStores[1]!.session(schedules[1]!.header.sessionId).receipts).to.have.length(2);
    await confirmSchedule({ address: aliceKey.address, key: aliceKey }, sequences, domains.evidence, schedules[0]!, 7, T0).then(
      () => expect.fail("decision 7 accepted"),
      (e: unknown) => expect(e).to.be.instanceOf(ChargingError),
    );

    // The EVSE follows the confirmed schedule: a discharge now is executed and receipted.
    directory.addKey(evse.address, await evse.key.getAddress(), T0 - 1000n, T0 + 86_400n).grant("METER", evse.address);
    const store = EvidenceStore.open(":memory:", { domain: { chainId: 31337n, verifyingContract: LEDGER } });
    const binding = { sessionId: schedules[0]!.header.sessionId, evse: evse.address, scheduleDigest: schedules[0]!.digest, schedule: schedules[0]!.body, scheduleSeq: schedules[0]!.header.seq };
    const controller = new EvseController(evse, aggregator.address, directory, domains.evidence, binding, store);
    const csev = await new CsevIssuer(aggregator, sequences, domains.evidence, binding).issue(CsevCommand.Discharge, schedules[0]!.body.powerW[0]!, T0 + 10n, 300n, T0 + 8n);
    const receipt = await controller.execute(csev, T0 + 10n);
    expect(receipt.receipt.nroDigest).to.equal(csev.digest);
    expect(controller.powerW).to.equal(schedules[0]!.body.powerW[0]);
    store.close();
  });
});
