/**
 * What every party of the protocols shares: the clock, the timing parameters, the randomness,
 * and the scope of linkability derived from the clock.
 */
import { MAX_RING_SIZE, MIN_RING_SIZE, systemRandom, type GroupBackend, type RandomSource } from "../crypto/index.js";
import { ProtocolError } from "./errors.js";

/** The current time in Unix seconds. Tests inject a controllable one. */
export type Clock = () => bigint;

/** The system clock in Unix seconds. */
export const systemClock: Clock = () => BigInt(Math.floor(Date.now() / 1000));

/** A group backend whatever its point type (the fast libsodium one in production). */
export type Backend = GroupBackend<unknown>;

/** Timing and size parameters; every party of a deployment uses the same. */
export interface ProtocolConfig {
  /** Length of a linkability epoch: a vehicle authenticates once per LAG and epoch. */
  readonly epochSeconds: bigint;
  /** How long a challenge stays answerable. */
  readonly challengeSeconds: bigint;
  /** How long an authenticated session lasts. */
  readonly sessionSeconds: bigint;
  /** Tolerated clock difference between parties. */
  readonly clockSkewSeconds: bigint;
  /** Largest ring a verifier accepts. */
  readonly maxRingSize: number;
  /** Smallest number of vehicles in a pseudo-status aggregate. */
  readonly minStatusBatch: number;
  /**
   * How long a superseded group version is still accepted after its successor is published
   * (vehicles fetch their new credential meanwhile); 0 accepts only the latest version.
   */
  readonly groupGraceSeconds: bigint;
  /** Most challenges a LAG holds unanswered at once (bounds its memory under a flood). */
  readonly maxPendingChallenges: number;
}

export const DEFAULT_CONFIG: ProtocolConfig = {
  epochSeconds: 6n * 3600n,
  challengeSeconds: 60n,
  sessionSeconds: 6n * 3600n,
  clockSkewSeconds: 30n,
  maxRingSize: 64,
  minStatusBatch: 2,
  groupGraceSeconds: 900n,
  maxPendingChallenges: 65_536,
};

/** Throws `INVALID_CONFIG` unless every value of `config` is in its range. */
export function checkConfig(config: ProtocolConfig): ProtocolConfig {
  const fail = (field: string, range: string): never => {
    throw new ProtocolError("INVALID_CONFIG", `${field} must be ${range}`, { details: { field, value: (config as unknown as Record<string, unknown>)[field] } });
  };
  const positive = ["epochSeconds", "challengeSeconds", "sessionSeconds"] as const;
  for (const field of positive) if (typeof config[field] !== "bigint" || config[field] <= 0n) fail(field, "a positive bigint");
  for (const field of ["clockSkewSeconds", "groupGraceSeconds"] as const) {
    if (typeof config[field] !== "bigint" || config[field] < 0n) fail(field, "a non-negative bigint");
  }
  if (!Number.isInteger(config.maxRingSize) || config.maxRingSize < MIN_RING_SIZE || config.maxRingSize > MAX_RING_SIZE) {
    fail("maxRingSize", `an integer in ${MIN_RING_SIZE}..${MAX_RING_SIZE}`);
  }
  if (!Number.isInteger(config.minStatusBatch) || config.minStatusBatch < 2) fail("minStatusBatch", "an integer of at least 2");
  if (!Number.isInteger(config.maxPendingChallenges) || config.maxPendingChallenges < 1) fail("maxPendingChallenges", "a positive integer");
  return config;
}

/** Everything a party needs from its environment. */
export interface PartyContext {
  readonly backend: Backend;
  readonly clock: Clock;
  readonly config: ProtocolConfig;
  readonly rng: RandomSource;
}

/** A context with defaults for the clock, configuration and randomness. */
export function partyContext(backend: Backend, overrides: Partial<Omit<PartyContext, "backend">> = {}): PartyContext {
  return {
    backend,
    clock: overrides.clock ?? systemClock,
    config: checkConfig(overrides.config ?? DEFAULT_CONFIG),
    rng: overrides.rng ?? systemRandom,
  };
}

/** The epoch of `now`: floor(now / epochSeconds). */
export function epochOf(now: bigint, config: ProtocolConfig): bigint {
  return now / config.epochSeconds;
}

/** Throws `EXPIRED` / `NOT_YET_VALID` unless notBefore − skew ≤ now < notAfter + skew. */
export function checkWindow(now: bigint, notBefore: bigint, notAfter: bigint, config: ProtocolConfig, what: string): void {
  if (now + config.clockSkewSeconds < notBefore) {
    throw new ProtocolError("NOT_YET_VALID", `${what} is not valid yet`, { details: { now, notBefore } });
  }
  if (now >= notAfter + config.clockSkewSeconds) {
    throw new ProtocolError("EXPIRED", `${what} has expired`, { details: { now, notAfter } });
  }
}

/** Draws `length` random bytes from the context. */
export function randomBytesOf(ctx: PartyContext, length: number): Uint8Array {
  const out = ctx.rng(length);
  if (!(out instanceof Uint8Array) || out.length !== length) throw new ProtocolError("INTERNAL", "random source failed");
  return out;
}
