/**
 * Fuzz targets: every message handler of every party, each with a generator of a fresh valid
 * message it accepts (which the fuzzer then mutates).
 */
import {
  CaDischargeDesk,
  CaStatusDesk,
  CaStorageDesk,
  LagDischargeDesk,
  LagDistributedDesk,
  LagHomeAuth,
  LagServices,
  LagStatusDesk,
  LagStorageDesk,
  ReplayGuard,
  SERVICE,
  StorageVehicle,
  VehicleAuth,
  VehicleDischarge,
  VehicleEnergy,
  VehicleHomeAuth,
  VehicleMemory,
  VehicleServices,
  VehicleStatusReport,
  decodeMessage,
  openLagCaChannel,
  type Backend,
  type LagSession,
  type VehicleAuthResult,
  type VehicleCredential,
} from "../../../src/protocol/index.js";
import { text, World, type Lag } from "./world.js";

export interface Target {
  readonly name: string;
  /** A fresh message the handler accepts in its current state. */
  readonly valid: () => Uint8Array;
  readonly handle: (bytes: Uint8Array) => unknown;
  readonly runs: number;
  readonly acceptsValid: boolean;
}

function authTargets(world: World): Target[] {
  let lag: Lag = world.lag("LAG-Fuzz-0");
  let count = 0;
  let pendingRun: VehicleAuth | undefined;
  const fresh = () => new VehicleAuth(world.ctx(), world.vehicles[count++ % world.vehicles.length]!.credential, world.ca.publicKeys, new VehicleMemory());
  return [
    {
      name: "LAG: AuthResponse",
      valid: () => {
        lag = world.lag(`LAG-Fuzz-${++count}`);
        return fresh().onChallenge(lag.auth.challenge());
      },
      handle: (bytes) => lag.auth.onResponse(bytes),
      runs: 50,
      acceptsValid: true,
    },
    { name: "BV: AuthChallenge", valid: () => lag.auth.challenge(), handle: (bytes) => fresh().onChallenge(bytes), runs: 60, acceptsValid: true },
    {
      name: "BV: AuthConfirm",
      valid: () => {
        lag = world.lag(`LAG-Fuzz-${++count}`);
        pendingRun = fresh();
        return lag.auth.onResponse(pendingRun.onChallenge(lag.auth.challenge())).confirm;
      },
      handle: (bytes) => (pendingRun ?? fresh()).onConfirm(bytes),
      runs: 30,
      acceptsValid: true,
    },
  ];
}

interface Pair {
  readonly vehicle: VehicleAuthResult;
  readonly session: LagSession;
  readonly credential: VehicleCredential;
}

function sessionTargets(world: World, lag: Lag, pair: Pair, other: Pair): Target[] {
  const { vehicle, session } = pair;
  const ctx = world.ctx();
  const ca = world.ca.publicKeys;
  const toCa = openLagCaChannel(world.b, lag.identity, ca);
  const caDischarge = new CaDischargeDesk(world.ca);
  const lagDischarge = new LagDischargeDesk(ctx, ca, toCa);
  const vehicleDischarge = new VehicleDischarge(ctx, vehicle, ca, pair.credential);
  const now = world.clock.now;
  const request = caDischarge.issue(lag.identity.lagId, 0n, 1000n, now, now + 86_400n);
  const requestId = decodeMessage("DischargeRequest", request).requestId;
  vehicleDischarge.onOffer(lagDischarge.offer(session, request));
  const caStatus = new CaStatusDesk(world.ca);
  const client = new VehicleServices(ctx, vehicle);
  const services = new LagServices(ctx, { [SERVICE.power]: (q) => q });
  const distributed = new LagDistributedDesk(ctx);
  let report: VehicleStatusReport | undefined;
  let statusDesk: LagStatusDesk | undefined;
  let energy: VehicleEnergy | undefined;
  const statusBatch = () => {
    const desk = new LagStatusDesk(ctx, lag.identity.lagId, ca, toCa);
    for (const p of [pair, other]) desk.onReport(p.session, new VehicleStatusReport(ctx, p.vehicle, ca, p.credential).report(3n, desk.announce(p.session)));
    return { desk, bytes: desk.closeBatch() };
  };
  return [
    { name: "session channel: ServiceRequest", valid: () => client.request(SERVICE.power), handle: (b) => session.channel.open("ServiceRequest", b, world.clock.now), runs: 300, acceptsValid: true },
    { name: "LAG: DischargeAnswer", valid: () => vehicleDischarge.answer(requestId, true), handle: (b) => lagDischarge.onAnswer(session, b), runs: 150, acceptsValid: true },
    { name: "BV: DischargeOffer", valid: () => lagDischarge.offer(session, request), handle: (b) => vehicleDischarge.onOffer(b), runs: 150, acceptsValid: true },
    { name: "CA: DischargeForward", valid: () => lagDischarge.onAnswer(session, vehicleDischarge.answer(requestId, false)), handle: (b) => caDischarge.onForward(b), runs: 150, acceptsValid: true },
    {
      name: "LAG: StatusReport",
      valid: () => {
        statusDesk = new LagStatusDesk(ctx, lag.identity.lagId, ca, toCa);
        return new VehicleStatusReport(ctx, vehicle, ca, pair.credential).report(5n, statusDesk.announce(session));
      },
      handle: (b) => (statusDesk ?? new LagStatusDesk(ctx, lag.identity.lagId, ca, toCa)).onReport(session, b),
      runs: 150,
      acceptsValid: true,
    },
    { name: "CA: StatusBatch", valid: () => statusBatch().bytes, handle: (b) => caStatus.onBatch(b), runs: 100, acceptsValid: true },
    {
      name: "BV: StatusDelivery",
      valid: () => {
        const desk = new LagStatusDesk(ctx, lag.identity.lagId, ca, toCa);
        report = new VehicleStatusReport(ctx, vehicle, ca, pair.credential);
        desk.onReport(session, report.report(9n, desk.announce(session)));
        desk.onReport(other.session, new VehicleStatusReport(ctx, other.vehicle, ca, other.credential).report(1n, desk.announce(other.session)));
        return desk.onResult(caStatus.onBatch(desk.closeBatch())).deliveries[0]!.bytes;
      },
      handle: (b) => (report ?? new VehicleStatusReport(ctx, vehicle, ca, pair.credential)).onDelivery(b),
      runs: 60,
      acceptsValid: true,
    },
    { name: "LAG: ServiceRequest", valid: () => client.request(SERVICE.power), handle: (b) => services.onRequest(session, b), runs: 200, acceptsValid: true },
    { name: "BV: ServiceReply", valid: () => services.onRequest(session, client.request(SERVICE.power)), handle: (b) => client.onReply(b), runs: 200, acceptsValid: true },
    {
      name: "LAG: EnergyDemand",
      valid: () => new VehicleEnergy(ctx, vehicle).demand(distributed.openRound(), 10n),
      handle: (b) => distributed.onBid(session, b),
      runs: 150,
      acceptsValid: true,
    },
    {
      name: "BV: EnergyAllocation",
      valid: () => {
        const round = distributed.openRound();
        energy = new VehicleEnergy(ctx, vehicle);
        distributed.onBid(session, energy.demand(round, 10n));
        return distributed.allocate(round).allocations[0]!.bytes;
      },
      handle: (b) => (energy ?? new VehicleEnergy(ctx, vehicle)).onAllocation(b),
      runs: 100,
      acceptsValid: true,
    },
  ];
}

function storageTargets(b: Backend): Target[] {
  const world = new World(b, { members: 6, ringSize: 3, role: "storage", groupLabel: "storage fuzz" });
  const lag = world.lag();
  const ctx = world.ctx();
  const toCa = openLagCaChannel(b, lag.identity, world.ca.publicKeys);
  const requests = new CaDischargeDesk(world.ca);
  const caDesk = new CaStorageDesk(world.ca, requests);
  const lagDesk = new LagStorageDesk(ctx, lag.identity.lagId, world.ca.publicKeys, lag.groups, toCa);
  const bv = new StorageVehicle(ctx, world.vehicles[0]!.credential, world.ca.publicKeys);
  const now = world.clock.now;
  const request = lagDesk.broadcast(requests.issue(lag.identity.lagId, 0n, 1n, now, now + 86_400n));
  const requestId = decodeMessage("DischargeRequest", request).requestId;
  bv.onRequest(request);
  lagDesk.onAnswer(bv.answer(requestId, true));
  return [
    { name: "LAG: StorageAnswer", valid: () => bv.answer(requestId, false), handle: (x) => lagDesk.onAnswer(x), runs: 60, acceptsValid: true },
    { name: "CA: StorageForward", valid: () => lagDesk.forward(requestId), handle: (x) => caDesk.onForward(x), runs: 60, acceptsValid: true },
    { name: "BV: StorageVerdict", valid: () => caDesk.onForward(lagDesk.forward(requestId)), handle: (x) => bv.onVerdict(x), runs: 60, acceptsValid: true },
    { name: "LAG: StorageVerdict", valid: () => caDesk.onForward(lagDesk.forward(requestId)), handle: (x) => lagDesk.onVerdict(x), runs: 60, acceptsValid: true },
    { name: "BV: storage DischargeRequest", valid: () => request, handle: (x) => bv.onRequest(x), runs: 100, acceptsValid: true },
  ];
}

function homeTargets(world: World): Target[] {
  const lagId = text("LAG-Home-Fuzz");
  const psk = new Uint8Array(32).fill(5);
  const lag = new LagHomeAuth(world.ctx(), lagId, [{ psk, label: "fuzz", role: "load" }]);
  const vehicle = () => new VehicleHomeAuth(world.ctx(), { lagId, psk }, new ReplayGuard());
  return [
    { name: "LAG: HomeResponse", valid: () => vehicle().onChallenge(lag.challenge()), handle: (b) => lag.onResponse(b), runs: 150, acceptsValid: true },
    { name: "BV: HomeChallenge", valid: () => lag.challenge(), handle: (b) => vehicle().onChallenge(b), runs: 150, acceptsValid: true },
  ];
}

/** All targets, on one world. */
export function buildTargets(b: Backend): Target[] {
  const world = new World(b, { members: 8, ringSize: 4 });
  const lag = world.lag();
  const pairs = [0, 1].map((i) => {
    const r = world.authenticate(i, lag);
    return { vehicle: r.vehicle, session: r.lag.session, credential: world.vehicles[i]!.credential };
  }) as [Pair, Pair];
  return [...authTargets(world), ...sessionTargets(world, lag, ...pairs), ...storageTargets(b), ...homeTargets(world)];
}
