/**
 * The host user's home in the day: one signing smart meter (OCMF, like the EVSE meters) measures
 * the whole home's import from midnight to midnight: the household's own load (a profile drawn
 * from the seed), the owner's vehicle if it charges at home, and the guest's roaming session at
 * the home charger, whose own meter is the charger's (the guest's OCMF record set). It records
 * the import register only: what a vehicle discharges at the home is exported and credited to its
 * user by its own supplier (payments.ts), never netted against the home's import. After the day
 * the owner's supplier verifies the smart meter's records and their continuity, keeps them,
 * signs a `MeterReading` per record to the owner (who receipts them), and bills the owner with
 * `homeBill` from what it stored: the smart-meter total minus the energy of the roaming CDR it
 * signed for the guest's session, to the Wh, at its single-rate home price. The bill is a signed
 * `Payment` (owner → supplier) receipted by the owner. The guest's energy is paid by the guest to
 * its own supplier (the CDR's amount, `payments.ts`) and claimed from it by the host's
 * settlement bot; the owner's own vehicle at home is on the home bill, not paid per session.
 */
import { join } from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import { homeBill, PaymentBook, PaymentFlow, receivePayment, signPayment, type HomeBill } from "../../charging/billing.js";
import { ArtefactStore } from "../../charging/artefactStore.js";
import { checkIncoming, keepWithReceipt, ownKey, receiptAndStore, registeredKey, type FlowParty } from "../../charging/flowEvidence.js";
import { recordTransaction } from "../../charging/metering.js";
import { OcmfMeter } from "../../charging/ocmf/meter.js";
import { verifyOcmf } from "../../charging/ocmf/verify.js";
import type { SignedMessage } from "../../evidence/messages.js";
import { buildBatch } from "../../evidence/merkle.js";
import { SLOT_SECONDS, SLOTS } from "./clock.js";
import { flowParty, type DayContext } from "./context.js";
import { DayError } from "./errors.js";
import { tariffOf } from "./grid.js";
import type { SeededRandom } from "./random.js";

/** The household's mean power by hour of the day (W): night, morning, day, evening, late. */
const HOUSEHOLD_W = [250, 250, 250, 250, 250, 250, 700, 700, 700, 350, 350, 350, 350, 350, 350, 350, 350, 1100, 1100, 1100, 1100, 1100, 450, 450];

/** The household's energy per quarter-hour (Wh): its hour's mean power × a factor in [0.75, 1.25) drawn from the seed. About 13 kWh a day. */
export function householdProfile(random: SeededRandom): number[] {
  return Array.from({ length: SLOTS }, (_, t) => Math.round((HOUSEHOLD_W[Math.floor((t * SLOT_SECONDS) / 3600)]! * random.between(0.75, 1.25) * SLOT_SECONDS) / 3600));
}

/** The home's single-rate price (micro-units per kWh): the day's mean import price of its supplier's tariff, rounded down. */
export function homePriceOf(supplier: number): bigint {
  const { importPrice } = tariffOf(supplier);
  return importPrice.reduce((s, p) => s + p, 0n) / BigInt(importPrice.length);
}

/** What the smart meter left after the day: its signed records and what the household drew. */
export interface HomeMetering {
  readonly sessionId: string;
  readonly serial: string;
  /** The meter's public key as installed (hex, uncompressed SEC1 point), which its supplier verifies its records with. */
  readonly publicKey: string;
  readonly records: readonly string[];
  readonly householdWh: number;
  /** The sessions at the home charger: the owner's own (if it charged) and the guest's. */
  readonly ownSessionId?: string;
  readonly guestSessionId?: string;
}

/** A session at the home charger as its own meter counts it: the register at begin, and now (integer Wh, as its records say). */
export interface MeteredAtHome {
  readonly sessionId: string;
  readonly vehicle: number;
  readonly startWh: number;
  readonly nowWh: () => number;
}

/** The owner's home smart meter during the day: begin at midnight, a record every hour, end at midnight. */
export class HomeSmartMeter {
  private readonly meter: OcmfMeter;
  private readonly household: number[];
  private readonly records: string[] = [];
  private readonly atHome: MeteredAtHome[] = [];
  private householdWh = 0;
  private readonly baseWh: number;
  readonly sessionId: string;

  constructor(private readonly day: DayContext) {
    const random = day.random.fork("home smart meter");
    const owner = day.parties.vehicles[day.parties.homeHost.owner]!;
    this.meter = new OcmfMeter({ serial: `SM-${owner.id}`, gateway: `HOME-${owner.id}`, gatewaySerial: owner.id }, random.bytes(32));
    this.household = householdProfile(random);
    this.baseWh = 1_000_000 + random.int(9_000_000);
    this.sessionId = keccak256(toUtf8Bytes(`home smart meter ${owner.id} ${day.clock.dayStart}`));
    this.records.push(this.meter.begin(this.sessionId, this.ms(0), this.baseWh));
  }

  /** Whether a vehicle's sessions run at the home charger (the owner's and the guest's, at the home aggregator). */
  isAtHome(vehicle: number, aggregator: number): boolean {
    const { homeHost, aggregators } = this.day.parties;
    return aggregator === aggregators[0]!.index && (vehicle === homeHost.owner || vehicle === homeHost.guest);
  }

  /** A session plugged in at the home charger from now on. */
  plugIn(session: MeteredAtHome): void {
    this.atHome.push(session);
  }

  /** After quarter `t`: the household's quarter, and a record at each full hour (the last one is the end record). */
  quarter(t: number): void {
    if (t < 0 || t >= SLOTS) return;
    this.householdWh += this.household[t]!;
    const wh = this.register();
    if (t === SLOTS - 1) this.records.push(this.meter.end(this.ms(SLOTS), wh));
    else if ((t + 1) % 4 === 0) this.records.push(this.meter.progress(this.ms(t + 1) - 1000, wh));
  }

  /** The day's records (after the last quarter). */
  finish(): HomeMetering {
    if (this.records.length < 2) throw new DayError("FAILED", "the home smart meter's day is not over");
    const own = this.atHome.find((s) => s.vehicle === this.day.parties.homeHost.owner);
    const guest = this.atHome.find((s) => s.vehicle === this.day.parties.homeHost.guest);
    return {
      sessionId: this.sessionId,
      serial: this.meter.identity.serial,
      publicKey: Buffer.from(this.meter.publicKey()).toString("hex"),
      records: [...this.records],
      householdWh: this.householdWh,
      ...(own === undefined ? {} : { ownSessionId: own.sessionId }),
      ...(guest === undefined ? {} : { guestSessionId: guest.sessionId }),
    };
  }

  /** The register: the start value, the household so far, and what every session at the home charger drew so far. */
  private register(): number {
    return this.baseWh + this.householdWh + this.atHome.reduce((s, x) => s + x.nowWh() - x.startWh, 0);
  }

  private ms(slot: number): number {
    return Number(this.day.clock.slotStart(slot)) * 1000;
  }
}

/** The home bill as the owner's supplier recorded it, and the payment that settles it. */
export interface HomeBillOutcome {
  readonly owner: string;
  readonly supplier: string;
  readonly guest: string;
  readonly guestSupplier: string;
  readonly metering: HomeMetering;
  readonly bill: HomeBill;
  readonly priceMicroPerKwh: bigint;
  readonly readings: number;
  /** The owner's own vehicle's energy at home (Wh, its meter's), on the home bill. */
  readonly ownVehicleWh: bigint;
  readonly payment?: SignedMessage<"Payment">;
}

/**
 * The owner's supplier bills the home at `now`: verifies the smart meter's records (its key, as
 * installed) and their continuity, keeps them byte for byte, signs the readings to the owner, who
 * receipts them; then `homeBill` from its store alone, and the bill's payment receipted by the
 * owner (checked against `books`: its own and the owner's).
 */
export async function billHome(day: DayContext, metering: HomeMetering, ownVehicleWh: bigint, supplierBook: PaymentBook, ownerBook: PaymentBook, now: bigint): Promise<HomeBillOutcome> {
  const { parties, domains, directory, sequences } = day;
  const domain = domains.evidence;
  const owner = parties.vehicles[parties.homeHost.owner]!;
  const guest = parties.vehicles[parties.homeHost.guest]!;
  const home = parties.suppliers[owner.home]!;
  if (home.index !== parties.aggregators[0]!.host) throw new DayError("FAILED", "the home charger is not on the network of the owner's supplier", { owner: owner.id });
  if (guest.home === owner.home) throw new DayError("FAILED", "the guest at the home charger is a customer of the owner's supplier: no roaming", { guest: guest.id });
  const supplier = flowParty(home);
  const user: FlowParty = { address: owner.user.address, key: owner.user };
  const store = day.supplierStores[home.index]!;
  const userStore = day.userStores[owner.index]!;

  const artefacts = ArtefactStore.open(join(day.stores.dir, `supplier-${home.id}-ocmf.sqlite`));
  try {
    const verdicts = metering.records.map((raw) => verifyOcmf(raw, metering.publicKey));
    const metered = await recordTransaction(supplier, sequences, domain, store, artefacts, metering.sessionId, user.address, verdicts, 2n * 86_400n);
    for (const reading of metered.readings) {
      await checkIncoming(user.address, domain, reading, "MeterReading", supplier.address, registeredKey(directory), now);
      const receipt = await receiptAndStore(user, domain, userStore, reading, now);
      await keepWithReceipt(domain, store, reading, receipt, ownKey);
    }
  } finally {
    artefacts.close();
  }

  // The bill from what the supplier stored: its readings of the home, and its CDRs of the sessions at the home charger.
  const stored = store.session(metering.sessionId).messages.filter((m): m is SignedMessage<"MeterReading"> => m.type === "MeterReading");
  const sessionsAtHome = [metering.guestSessionId].filter((x): x is string => x !== undefined);
  const roaming = sessionsAtHome.flatMap((id) => store.session(id).messages.filter((m): m is SignedMessage<"ChargeDetailRecord"> => m.type === "ChargeDetailRecord"));
  const priceMicroPerKwh = homePriceOf(home.index);
  const bill = homeBill({ readings: stored, roaming, hostSupplier: supplier.address, priceMicroPerKwh });
  if (bill.energyWh !== BigInt(metering.householdWh) + ownVehicleWh) {
    throw new DayError("FAILED", "the home bill is not the household's and the owner's vehicle's energy", { billed: bill.energyWh, household: metering.householdWh, ownVehicleWh });
  }
  const base = { owner: owner.id, supplier: home.id, guest: guest.id, guestSupplier: parties.suppliers[guest.home]!.id, metering, bill, priceMicroPerKwh, readings: stored.length, ownVehicleWh };
  if (bill.amount === 0n) return base;
  const ref = buildBatch([...stored.map((r) => r.digest), ...bill.cdrs]).root;
  const payment = await signPayment(supplier, sequences, domain, { flow: PaymentFlow.UserToSupplier, payer: owner.user.address, payee: supplier.address, token: day.contracts.full.tokenAddress, amount: bill.amount, ref, sessionId: metering.sessionId, issuedAt: now, receiver: user.address });
  const receipt = await receivePayment(user, domain, userStore, ownerBook, payment, supplier.address, registeredKey(directory), now);
  supplierBook.check(payment);
  await keepWithReceipt(domain, store, payment, receipt, ownKey);
  supplierBook.add(payment);
  day.timeline.add(
    "payments",
    `${home.name} billed ${owner.id}'s home from its smart meter: ${bill.meterEndWh - bill.meterStartWh} Wh measured, ${bill.roamingWh} Wh of ${guest.id}'s roaming session excluded (claimed from ${parties.suppliers[guest.home]!.name} by its CDR), ${bill.energyWh} Wh billed`,
    home.id,
  );
  return { ...base, payment };
}
