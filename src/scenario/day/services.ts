/**
 * The day's services on loopback: the CA enrols one group per supplier ("customers of S"),
 * commits each group root in the registry, and runs as the CA service; every aggregator runs its
 * LAG service on a free port of 127.0.0.1, with the groups read back from the registry and a CA
 * permit and the CA service's URL. Vehicles reach the LAGs only over HTTP (`LagClient`); the LAGs
 * forward to the CA over HTTP; the CA's operator issues discharge requests through the CA's
 * operator route with a token of the day (`CaOperatorClient`). `stop()` stops every service.
 */
import { join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { pino } from "pino";
import type { Signer } from "ethers";
import { bytesToHex, createSodiumBackend, generateKeyPair, type KeyPair } from "../../crypto/index.js";
import type { DynamicContract } from "../../chain/deploy.js";
import {
  CentralAuthority,
  GroupDirectory,
  groupRoot,
  loadGroupVersion,
  partyContext,
  type GroupRegistryReader,
  type LagIdentity,
  type PartyContext,
  type VehicleCredential,
} from "../../protocol/index.js";
import { CaOperatorClient } from "../../services/caClient.js";
import { startCaService, type CaService } from "../../services/caServer.js";
import { startLagService, type LagService } from "../../services/lagServer.js";
import { newOperatorToken, OperatorToken } from "../../services/operatorToken.js";
import { SqliteKeyImageStore } from "../../services/stores/sqliteKeyImages.js";
import { LagClient } from "../../services/vehicleClient.js";
import type { DayClock } from "./clock.js";
import type { GasBook } from "./gas.js";
import type { Parties } from "./parties.js";
import type { SeededRandom } from "./random.js";

export interface DayLag {
  readonly aggregator: number;
  readonly service: LagService;
  readonly client: LagClient;
  readonly identity: LagIdentity;
}

export interface DayServices {
  readonly ctx: PartyContext;
  readonly ca: CentralAuthority;
  readonly caService: CaService;
  /** The CA operator's client (discharge requests and their tallies). */
  readonly operator: CaOperatorClient;
  readonly lags: DayLag[];
  /** Each vehicle's anonymous credential (a ring of its supplier's group). */
  readonly credentials: VehicleCredential[];
  /**
   * Each vehicle's own context: its randomness is a stream of the seed and the vehicle, so what
   * it draws does not depend on what other vehicles and the LAGs do in between (they run
   * concurrently; docs/day.md).
   */
  readonly vehicleContexts: PartyContext[];
  /** The group attribute of each supplier. */
  readonly attributes: string[];
  stop(): Promise<void>;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const silent = pino({ level: "silent" });

export async function startDayServices(
  parties: Parties,
  registry: DynamicContract,
  registrar: Signer,
  clock: DayClock,
  random: SeededRandom,
  ringSize: number,
  dir: string,
  gas: GasBook,
): Promise<DayServices> {
  const r = random.fork("services");
  const backend = await createSodiumBackend();
  const contextOf = (stream: SeededRandom): PartyContext => partyContext(backend, { clock: () => clock.now, rng: (n) => stream.bytes(n) });
  const ctx = contextOf(r);
  const ca = new CentralAuthority(ctx);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    // One group per supplier, padded with subscribers who are not on the road today, so every ring is full.
    const credentials: VehicleCredential[] = new Array(parties.vehicles.length);
    const attributes: string[] = [];
    const groups: { groupId: Uint8Array; attribute: string; members: Uint8Array[] }[] = [];
    for (const s of parties.suppliers) {
      const attribute = `customers of ${s.name}`;
      const groupId = sha256(text(`group:${attribute}`));
      const mine = parties.vehicles.filter((v) => v.home === s.index);
      const keys: KeyPair[] = Array.from({ length: Math.max(mine.length, ringSize) * 2 }, () => generateKeyPair(ctx.backend, ctx.rng));
      ca.enrolGroup(groupId, 1n, keys.map((k) => k.publicKey), attribute);
      const publish = await registry.connect(registrar).publishGroupRoot(`0x${bytesToHex(groupId)}`, `0x${bytesToHex(groupRoot(keys.map((k) => k.publicKey)))}`, keys.length);
      gas.addReceipt("publishGroupRoot", await publish.wait());
      mine.forEach((v, i) => (credentials[v.index] = ca.credential(keys[i]!, groupId, 1n, ringSize, "load")));
      attributes.push(attribute);
      groups.push({ groupId, attribute, members: keys.map((k) => k.publicKey) });
    }

    // Every LAG holds a CA permit for the day and reads the committed group versions from the registry.
    const identities = parties.aggregators.map((a): LagIdentity => {
      const lagId = text(a.lagId);
      const staticKeys = generateKeyPair(ctx.backend, ctx.rng);
      return { lagId, staticKeys, permit: ca.issueLagPermit(lagId, staticKeys.publicKey, clock.dayStart - 60n, clock.dayStart + 2n * 86_400n) };
    });
    // The operator's token of the day: the CA keeps its digest, the operator's client presents it.
    const token = newOperatorToken();
    const caService = await startCaService({
      ca,
      lagPermits: identities.map((i) => i.permit),
      rounds: new SqliteKeyImageStore(join(dir, "ca-rounds.sqlite")),
      host: "127.0.0.1",
      port: 0,
      workers: 1,
      maxActive: 8,
      rateLimit: { max: 100_000, windowMs: 60_000 },
      bodyLimit: 256 * 1024,
      operatorToken: OperatorToken.of(token),
      logger: silent,
    });
    stops.push(() => caService.stop());
    const operator = new CaOperatorClient(caService.url, token);
    stops.push(async () => operator.close());

    const lags: DayLag[] = [];
    for (const a of parties.aggregators) {
      const directory = new GroupDirectory();
      for (const g of groups) {
        const record = await loadGroupVersion(registry as unknown as GroupRegistryReader, directory, g.groupId, g.attribute);
        directory.addMembers(g.groupId, record.version, g.members);
      }
      const identity = identities[a.index]!;
      const service = await startLagService({
        // The LAG's own stream: its challenges repeat with the seed whatever the other LAGs serve meanwhile.
        ctx: contextOf(r.fork(`lag/${a.id}`)),
        identity,
        ca: ca.publicKeys,
        groups: directory,
        keyImages: new SqliteKeyImageStore(join(dir, `lag-${a.id}-key-images.sqlite`)),
        host: "127.0.0.1",
        port: 0,
        workers: 1,
        maxQueued: 64,
        rateLimit: { max: 100_000, windowMs: 60_000 },
        bodyLimit: 16_384,
        caUrl: caService.url,
        logger: silent,
      });
      stops.push(() => service.stop());
      const client = new LagClient(service.url);
      stops.push(async () => client.close());
      lags.push({ aggregator: a.index, service, client, identity });
    }
    const vehicleContexts = parties.vehicles.map((v) => contextOf(r.fork(`vehicle/${v.id}`)));
    return { ctx, ca, caService, operator, lags, credentials, vehicleContexts, attributes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
