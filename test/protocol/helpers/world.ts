/**
 * A small V2G world for the protocol tests, on the fast (libsodium) backend: a controllable
 * clock, a CA, one enrolled group of vehicles with their credentials, and LAGs with permits.
 */
import { expect } from "chai";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import {
  concatBytes,
  createSodiumBackend,
  generateKeyPair,
  keyPairFromSeed,
  systemRandom,
  u32be,
  type KeyPair,
  type RandomSource,
} from "../../../src/crypto/index.js";
import {
  CentralAuthority,
  DEFAULT_CONFIG,
  GroupDirectory,
  LagAuthenticator,
  VehicleAuth,
  VehicleMemory,
  partyContext,
  ProtocolError,
  type ProtocolErrorCode,
  type Backend,
  type LagIdentity,
  type PartyContext,
  type ProtocolConfig,
  type Role,
  type VehicleAuthResult,
  type VehicleCredential,
  type LagAuthResult,
  type KeyImageStore,
} from "../../../src/protocol/index.js";

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

let backend: Backend | undefined;

/** The fast backend, loaded once. */
export async function fastBackend(): Promise<Backend> {
  backend ??= await createSodiumBackend();
  return backend;
}

/** A deterministic byte stream: SHA-512(label ‖ counter) blocks (two worlds with one seed behave alike). */
export function seededRandom(label: string): RandomSource {
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (length: number) => {
    while (pool.length < length) pool = concatBytes(pool, sha512(concatBytes(text(label), u32be(counter++))));
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}

/** A clock the tests move by hand (Unix seconds). */
export class TestClock {
  constructor(public now: bigint = 1_750_000_000n) {}
  readonly read = (): bigint => this.now;
  advance(seconds: bigint | number): void {
    this.now += BigInt(seconds);
  }
}

/** One vehicle: its credential and what it remembers across runs. */
export interface Vehicle {
  readonly credential: VehicleCredential;
  readonly memory: VehicleMemory;
}

/** A LAG with its authenticator and group directory. */
export interface Lag {
  readonly identity: LagIdentity;
  readonly auth: LagAuthenticator;
  readonly groups: GroupDirectory;
}

/** How `World.lag` builds a LAG. */
export interface LagOptions {
  /** `false` withholds the member list (rings must then be whole group versions). */
  readonly withMembers?: boolean;
  readonly permitWindow?: [bigint, bigint];
  /** Reuse an identity (a restarted or second process of one LAG id). */
  readonly identity?: LagIdentity;
  readonly keyImages?: KeyImageStore;
  /** Another backend for the LAG (e.g. one that records what it computes). */
  readonly backend?: Backend;
}

export interface WorldOptions {
  readonly members?: number;
  readonly ringSize?: number;
  readonly role?: Role;
  readonly config?: Partial<ProtocolConfig>;
  readonly groupLabel?: string;
  /** Makes every random choice of the world deterministic. */
  readonly seed?: string;
}

/** The world. */
export class World {
  readonly clock = new TestClock();
  readonly config: ProtocolConfig;
  readonly ca: CentralAuthority;
  readonly groupId: Uint8Array;
  readonly members: KeyPair[];
  readonly vehicles: Vehicle[];
  readonly attribute: string;
  readonly rng: RandomSource;

  constructor(
    readonly b: Backend,
    options: WorldOptions = {},
  ) {
    this.config = { ...DEFAULT_CONFIG, ...options.config };
    this.rng = options.seed === undefined ? systemRandom : seededRandom(options.seed);
    this.ca = new CentralAuthority(this.ctx());
    const label = options.groupLabel ?? "subscribers of supplier S_B";
    this.attribute = label;
    this.groupId = sha256(text(`group:${label}`));
    const n = options.members ?? 8;
    this.members = Array.from({ length: n }, (_, i) => keyPairFromSeed(b, sha256(text(`${label}/vehicle/${i}`))));
    this.ca.enrolGroup(this.groupId, 1n, this.members.map((k) => k.publicKey), label);
    const ringSize = options.ringSize ?? 4;
    this.vehicles = this.members.map((keys) => ({
      credential: this.ca.credential(keys, this.groupId, 1n, ringSize, options.role ?? "load"),
      memory: new VehicleMemory(),
    }));
  }

  /** Indices of the vehicles whose ring (anonymity set) is vehicle `i`'s ring, `i` first. */
  ringMates(i: number): number[] {
    const ring = this.vehicles[i]!.credential.ring.map(hex).join();
    const mates = this.vehicles.flatMap((v, j) => (j !== i && v.credential.ring.map(hex).join() === ring ? [j] : []));
    return [i, ...mates];
  }

  /** A party context on the world's clock. */
  ctx(): PartyContext {
    return partyContext(this.b, { clock: this.clock.read, config: this.config, rng: this.rng });
  }

  /** A LAG with a permit valid for a day; `withMembers: false` withholds the member list (rings must then be whole group versions). */
  lag(name = "LAG-Berlin-7", options: LagOptions = {}): Lag {
    const identity = options.identity ?? this.lagIdentity(name, options.permitWindow);
    const groups = new GroupDirectory();
    groups.commit(this.ca.groups.get(this.groupId, 1n));
    if (options.withMembers !== false) groups.addMembers(this.groupId, 1n, this.members.map((k) => k.publicKey));
    const ctx = options.backend === undefined ? this.ctx() : { ...this.ctx(), backend: options.backend };
    const keyImages = options.keyImages === undefined ? {} : { keyImages: options.keyImages };
    return { identity, auth: new LagAuthenticator(ctx, identity, this.ca.publicKeys, groups, keyImages), groups };
  }

  /** A LAG identity with a CA permit (valid for a day unless `permitWindow` says otherwise). */
  lagIdentity(name = "LAG-Berlin-7", permitWindow?: [bigint, bigint]): LagIdentity {
    const staticKeys = generateKeyPair(this.b, this.rng);
    const lagId = text(name);
    const [from, until] = permitWindow ?? [this.clock.now - 60n, this.clock.now + 86_400n];
    const permit = this.ca.issueLagPermit(lagId, staticKeys.publicKey, from, until);
    return { lagId, staticKeys, permit };
  }

  /** A new authentication run of vehicle `i`. */
  run(i: number): VehicleAuth {
    const v = this.vehicles[i]!;
    return new VehicleAuth(this.ctx(), v.credential, this.ca.publicKeys, v.memory);
  }

  /** A complete charging → FC authentication of vehicle `i` at `lag`. */
  authenticate(i: number, lag: Lag): { vehicle: VehicleAuthResult; lag: LagAuthResult; bytes: { challenge: Uint8Array; response: Uint8Array; confirm: Uint8Array } } {
    const run = this.run(i);
    const challenge = lag.auth.challenge();
    const response = run.onChallenge(challenge);
    const lagResult = lag.auth.onResponse(response);
    const vehicle = run.onConfirm(lagResult.confirm);
    return { vehicle, lag: lagResult, bytes: { challenge, response, confirm: lagResult.confirm } };
  }
}

/** Asserts that `fn` throws a `ProtocolError` with `code` (and returns it). */
export function expectCode(fn: () => unknown, code: ProtocolErrorCode): ProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(ProtocolError);
    expect((error as ProtocolError).code, (error as ProtocolError).message).to.equal(code);
    return error as ProtocolError;
  }
  expect.fail(`expected ProtocolError ${code}, nothing was thrown`);
}

/** Async variant of `expectCode`. */
export async function expectCodeAsync(promise: Promise<unknown>, code: ProtocolErrorCode): Promise<ProtocolError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(ProtocolError);
    expect((error as ProtocolError).code, (error as ProtocolError).message).to.equal(code);
    return error as ProtocolError;
  }
  expect.fail(`expected ProtocolError ${code}, nothing was thrown`);
}
