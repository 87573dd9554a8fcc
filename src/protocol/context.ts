/**
 * What every party of the protocols shares: the clock, the timing parameters, the randomness,
 * and the scope of linkability derived from the clock.
 */
import { systemRandom, type GroupBackend, type RandomSource } from "../crypto/index.js";
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
}

export const DEFAULT_CONFIG: ProtocolConfig = {
  epochSeconds: 6n * 3600n,
  challengeSeconds: 60n,
  sessionSeconds: 6n * 3600n,
  clockSkewSeconds: 30n,
  maxRingSize: 64,
  minStatusBatch: 2,
};

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
    config: overrides.config ?? DEFAULT_CONFIG,
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
