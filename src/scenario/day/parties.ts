/**
 * Who takes part in the day, drawn from the seed: suppliers, aggregators of four kinds (home,
 * work, public, a visiting network) each operating under a host supplier and one metering site,
 * arbiters, and users with their vehicles. Every party holds a chain account and a separate
 * evidence signing key (the key is registered to the account); users hold no chain account.
 * Vehicles are placed so that every ordered pair of suppliers has a roaming session.
 */
import { encodeBytes32String, type Wallet } from "ethers";
import type { DayOptions } from "./options.js";
import type { SeededRandom } from "./random.js";

export type AggregatorKind = "home" | "work" | "public" | "visiting";
export const AGGREGATOR_KINDS: readonly AggregatorKind[] = ["home", "work", "public", "visiting"];

/** A party with a chain account and an evidence signing key. */
export interface Participant {
  readonly id: string;
  readonly name: string;
  readonly account: Wallet;
  readonly key: Wallet;
}

export interface SupplierParty extends Participant {
  readonly index: number;
}

export interface AggregatorParty extends Participant {
  readonly index: number;
  readonly kind: AggregatorKind;
  /** The supplier whose network the aggregator's chargers are on (the host of its sessions). */
  readonly host: number;
  /** The aggregator's metering site: signs CSEV receipts and meter readings. */
  readonly site: Participant;
  readonly lagId: string;
}

export interface VehicleParty {
  readonly index: number;
  readonly id: string;
  /** The user's own account (an identity known to its supplier, never to aggregators). */
  readonly user: Wallet;
  /** The supplier the user is a customer of. */
  readonly home: number;
  readonly aggregator: number;
  readonly capacityKwh: number;
  readonly initialKwh: number;
  readonly targetSocBp: number;
  readonly maxPowerW: number;
  readonly arrivalSlot: number;
  readonly departureSlot: number;
  /** Offers V2G if asked (the answer to the discharge request). */
  readonly acceptsDischarge: boolean;
  /** How the user answers its schedule. */
  readonly answer: "accept" | "reschedule" | "reject";
  readonly offPeakOnly: boolean;
}

export interface Parties {
  readonly suppliers: SupplierParty[];
  readonly aggregators: AggregatorParty[];
  readonly arbiters: Participant[];
  readonly vehicles: VehicleParty[];
  /** The user whose home charger hosts another user's vehicle (EVSE owner authorisation). */
  readonly homeHost: { readonly owner: number; readonly guest: number; readonly evseId: string };
}

const participant = (random: SeededRandom, id: string, name: string): Participant => ({ id, name, account: random.wallet(), key: random.wallet() });

/** Arrival and departure slots (15 minutes) by kind: home in the evening (over the peak), work by day, public and visiting short. */
function window(random: SeededRandom, kind: AggregatorKind): [number, number] {
  switch (kind) {
    case "home":
      return [64 + random.int(4), 84 + random.int(4)]; // from 16:00–17:00 to 21:00–22:00
    case "work":
      return [32 + random.int(4), 68 + random.int(4)]; // 08:00–09:00 to 17:00–18:00
    case "public": {
      const a = 40 + random.int(24);
      return [a, a + 4 + random.int(4)];
    }
    case "visiting": {
      const a = 56 + random.int(20);
      return [a, a + 6 + random.int(6)];
    }
  }
}

export function createParties(o: DayOptions, random: SeededRandom): Parties {
  const r = random.fork("parties");
  const suppliers = Array.from({ length: o.suppliers }, (_, i): SupplierParty => ({ index: i, ...participant(r, `S${i + 1}`, `Supplier ${String.fromCharCode(65 + i)}`) }));
  const aggregators = Array.from({ length: o.aggregators }, (_, i): AggregatorParty => {
    const kind = AGGREGATOR_KINDS[i % AGGREGATOR_KINDS.length]!;
    const id = `A${i + 1}`;
    return {
      index: i,
      kind,
      host: i % o.suppliers,
      ...participant(r, id, `${kind[0]!.toUpperCase()}${kind.slice(1)} aggregator ${id}`),
      site: participant(r, `M${i + 1}`, `Metering site of ${id}`),
      lagId: `LAG-${id}-${kind}`,
    };
  });
  const arbiters = [participant(r, "R1", "Arbiter 1"), participant(r, "R2", "Arbiter 2")];

  // The first n·(n−1) vehicles roam over every ordered pair (home supplier ≠ host supplier).
  const pairs: [number, number][] = [];
  for (let home = 0; home < o.suppliers; home++) for (let host = 0; host < o.suppliers; host++) if (home !== host) pairs.push([home, host]);
  const v = random.fork("vehicles");
  let pairHome = 0;
  const vehicles = Array.from({ length: o.vehicles }, (_, i): VehicleParty => {
    let home: number;
    let aggregator: number;
    const pair = pairs[i];
    if (pair !== undefined) {
      home = pair[0];
      const at = aggregators.filter((a) => a.host === pair[1]);
      aggregator = v.pick(at).index;
    } else if (i === pairs.length) {
      // The owner of a home charger, and (next) a guest of another supplier at it. The home is on
      // the network of the home aggregator's host supplier, which is the owner's own supplier: it
      // bills the home from its smart meter. (The draw is still taken, so the vehicles after this
      // one stay what they were.)
      v.int(o.suppliers);
      home = aggregators[0]!.host;
      aggregator = 0;
    } else if (i === pairs.length + 1) {
      // Of another supplier than the owner's (the charger's host): a roaming session, claimed by the host from the guest's supplier.
      home = (pairHome + 1) % o.suppliers;
      aggregator = 0;
    } else {
      home = v.int(o.suppliers);
      aggregator = v.int(o.aggregators);
    }
    if (i === pairs.length) pairHome = home;
    const kind = aggregators[aggregator]!.kind;
    const [arrivalSlot, departureSlot] = window(v, kind);
    const capacityKwh = v.pick([40, 52, 60, 77, 82]);
    const answerDraw = v.int(20);
    return {
      index: i,
      id: `V${String(i + 1).padStart(3, "0")}`,
      user: v.wallet(),
      home,
      aggregator,
      capacityKwh,
      initialKwh: Math.round(capacityKwh * v.between(0.2, 0.5)),
      targetSocBp: v.pick([7000, 8000, 9000]),
      maxPowerW: kind === "public" ? v.pick([22_000, 50_000]) : v.pick([7_400, 11_000]),
      arrivalSlot,
      departureSlot,
      acceptsDischarge: kind !== "public" && v.chance(0.6),
      // The vehicles that carry a roaming pair never reject: every pair must have a CDR.
      answer: answerDraw === 0 && pair === undefined ? "reject" : answerDraw < 3 ? "reschedule" : "accept",
      offPeakOnly: kind === "home" && v.chance(0.5),
    };
  });
  // A roaming session at another user's home: the guest (a customer of another supplier) at the owner's charger.
  // One charger serves one vehicle at a time: the guest visits in the afternoon, from five hours to
  // one hour before the owner's vehicle comes home (it arrives from 16:00 on).
  const owner = vehicles[pairs.length]!;
  const found = vehicles[pairs.length + 1]!;
  const guest: VehicleParty = { ...found, answer: found.answer === "reject" ? "accept" : found.answer, arrivalSlot: owner.arrivalSlot - 20, departureSlot: owner.arrivalSlot - 4 };
  vehicles[guest.index] = guest;
  const evseId = encodeBytes32String(`HOME-${owner.id}`);
  return { suppliers, aggregators, arbiters, vehicles, homeHost: { owner: owner.index, guest: guest.index, evseId } };
}
