/**
 * Discharging modes. Centralized: an S3P-BV feeds the grid and reports what it delivered as a
 * masked pseudo-status (`pseudoStatus.ts`), so the LAG never ties an energy amount to a vehicle.
 * Distributed: S3P-BVs feed neighbouring load-BVs through the LAG. In a round the LAG collects
 * offers and demands on anonymous sessions, splits min(supply, demand) in proportion, and tells
 * each vehicle only its own share on its own session. No message names another vehicle, so a
 * load-BV learns nothing of the S3P-BVs that fed it and the converse; all the LAG holds per
 * session is an amount, a role and a group attribute.
 *
 *   LAG: openRound() → roundId (broadcast)
 *   S3P-BV ──EnergyOffer(roundId, Wh, op)──▶ LAG ◀──EnergyDemand(roundId, Wh, op)── load-BV
 *   LAG ──EnergyAllocation(roundId, own Wh, op)──▶ each of them
 */
import { bytesToHex, ctEqual } from "../crypto/index.js";
import { randomBytesOf, type PartyContext } from "./context.js";
import { guard, ProtocolError } from "./errors.js";
import { peekMessage } from "./messages.js";
import { messageDigest, type RunLog } from "./runLog.js";
import type { LagSession, VehicleSession } from "./sessions.js";

export type DischargeMode = "centralized" | "distributed";

/** The paper's rule: distributed when neighbouring load-BVs need energy, centralized otherwise. */
export function dischargeModeFor(localDemandWh: bigint): DischargeMode {
  return localDemandWh > 0n ? "distributed" : "centralized";
}

/** Splits `total` in proportion to `weights` (largest remainder; the parts sum to `total` exactly). */
export function proportionalSplit(total: bigint, weights: readonly bigint[]): bigint[] {
  const sum = weights.reduce((a, w) => a + w, 0n);
  if (sum === 0n) return weights.map(() => 0n);
  const parts = weights.map((w) => (total * w) / sum);
  let rest = total - parts.reduce((a, p) => a + p, 0n);
  const order = weights.map((w, i) => ({ i, r: (total * w) % sum })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of order) {
    if (rest === 0n) break;
    parts[i] = (parts[i] as bigint) + 1n;
    rest -= 1n;
  }
  return parts;
}

interface Bid {
  readonly session: LagSession;
  readonly kind: "offer" | "demand";
  readonly energyWh: bigint;
}

/** The LAG's desk for distributed discharging rounds. */
export class LagDistributedDesk {
  private readonly rounds = new Map<string, { state: "open" | "allocated"; bids: Bid[] }>();

  constructor(
    private readonly ctx: PartyContext,
    private readonly log?: RunLog,
  ) {}

  /** Opens a round; its id is broadcast to the vehicles. */
  openRound(): Uint8Array {
    const roundId = randomBytesOf(this.ctx, 16);
    this.rounds.set(bytesToHex(roundId), { state: "open", bids: [] });
    return roundId;
  }

  /** Accepts an offer (S3P-BV sessions) or a demand (load-BV sessions). */
  onBid(session: LagSession, bytes: Uint8Array): void {
    guard(() => {
      const name = peekMessage(bytes);
      if (name !== "EnergyOffer" && name !== "EnergyDemand") throw new ProtocolError("UNEXPECTED_MESSAGE", `expected a bid, got ${name}`);
      const offer = name === "EnergyOffer";
      const expected = offer ? "s3p" : "load";
      const message = session.channel.open(offer ? "EnergyOffer" : "EnergyDemand", bytes, this.ctx.clock());
      if (session.role !== expected) {
        throw new ProtocolError("UNEXPECTED_MESSAGE", `${offer ? "offers" : "demands"} come from ${expected}-BVs only`, { details: { role: session.role } });
      }
      const round = this.rounds.get(bytesToHex(message.roundId));
      if (round === undefined) throw new ProtocolError("UNKNOWN_REQUEST", "no such round");
      if (round.state !== "open") throw new ProtocolError("OUT_OF_ORDER", "the round is already allocated");
      if (round.bids.some((b) => b.session === session)) throw new ProtocolError("REPLAYED", "this session already bid in the round");
      round.bids.push({ session, kind: offer ? "offer" : "demand", energyWh: message.energyWh });
      this.log?.record("energy-bid", messageDigest(bytes));
    });
  }

  /** Allocates the round and seals one allocation per bidding session. */
  allocate(roundId: Uint8Array): { readonly totalWh: bigint; readonly allocations: readonly { session: LagSession; bytes: Uint8Array }[] } {
    const round = this.rounds.get(bytesToHex(roundId));
    if (round === undefined) throw new ProtocolError("UNKNOWN_REQUEST", "no such round");
    if (round.state !== "open") throw new ProtocolError("OUT_OF_ORDER", "the round is already allocated");
    return guard(() => {
      const offers = round.bids.filter((b) => b.kind === "offer");
      const demands = round.bids.filter((b) => b.kind === "demand");
      const supply = offers.reduce((a, b) => a + b.energyWh, 0n);
      const need = demands.reduce((a, b) => a + b.energyWh, 0n);
      const totalWh = supply < need ? supply : need;
      const delivered = proportionalSplit(totalWh, offers.map((b) => b.energyWh));
      const received = proportionalSplit(totalWh, demands.map((b) => b.energyWh));
      const now = this.ctx.clock();
      const seal = (bid: Bid, energyWh: bigint) => ({ session: bid.session, bytes: bid.session.channel.seal("EnergyAllocation", { roundId, energyWh }, now) });
      round.state = "allocated";
      return { totalWh, allocations: [...offers.map((b, i) => seal(b, delivered[i] as bigint)), ...demands.map((b, i) => seal(b, received[i] as bigint))] };
    });
  }
}

/** A vehicle's side of a distributed round. */
export class VehicleEnergy {
  private bid: { roundId: Uint8Array; kind: "offer" | "demand" } | undefined;

  constructor(
    private readonly ctx: PartyContext,
    private readonly session: VehicleSession,
  ) {}

  /** An S3P-BV offers `energyWh` to the round. */
  offer(roundId: Uint8Array, energyWh: bigint): Uint8Array {
    return this.send("offer", roundId, energyWh);
  }

  /** A load-BV asks for `energyWh` in the round. */
  demand(roundId: Uint8Array, energyWh: bigint): Uint8Array {
    return this.send("demand", roundId, energyWh);
  }

  private send(kind: "offer" | "demand", roundId: Uint8Array, energyWh: bigint): Uint8Array {
    if (this.bid !== undefined) throw new ProtocolError("OUT_OF_ORDER", "a bid is already outstanding");
    const bytes = guard(() => this.session.channel.seal(kind === "offer" ? "EnergyOffer" : "EnergyDemand", { roundId, energyWh }, this.ctx.clock()));
    this.bid = { roundId: roundId.slice(), kind };
    return bytes;
  }

  /** This vehicle's share: energy to deliver (offer) or to receive (demand). */
  onAllocation(bytes: Uint8Array): bigint {
    const bid = this.bid;
    if (bid === undefined) throw new ProtocolError("OUT_OF_ORDER", "no bid is outstanding");
    return guard(() => {
      const allocation = this.session.channel.open("EnergyAllocation", bytes, this.ctx.clock());
      if (!ctEqual(allocation.roundId, bid.roundId)) throw new ProtocolError("UNKNOWN_REQUEST", "allocation of another round");
      this.bid = undefined;
      return allocation.energyWh;
    });
  }
}
