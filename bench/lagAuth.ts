/**
 * Throughput of the LAG in the charging → FC authentication, fast (libsodium) backend, one core.
 *
 * Both sides run in this process: the LAG issues a challenge, a vehicle answers with an escrowed
 * ring signature over a ring of `ringSize`, the LAG verifies it (permit, session key and
 * operator, committed-group check, ring signature and escrow proof, key-image store) and
 * confirms, and the vehicle checks the confirmation. Only the LAG's calls are timed (high-
 * resolution time around each call; on one core this is the LAG's CPU time); the result is
 * completed LAG verifications per second of LAG time.
 *
 *   import { measureLagAuthPerSecond } from "./lagAuth.js";
 *   const lag_auth_per_s_16 = await measureLagAuthPerSecond(16, 5);
 */
import { pathToFileURL } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { createSodiumBackend, concatBytes, generateKeyPair, keyPairFromSeed, u32be } from "../src/crypto/index.js";
import {
  CentralAuthority,
  DEFAULT_CONFIG,
  GroupDirectory,
  LagAuthenticator,
  VehicleAuth,
  VehicleMemory,
  partyContext,
  type VehicleCredential,
} from "../src/protocol/index.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Complete LAG verifications per second of LAG time, over about `seconds` of wall time. */
export async function measureLagAuthPerSecond(ringSize: number, seconds: number): Promise<number> {
  if (!Number.isInteger(ringSize) || ringSize < 2) throw new RangeError("ringSize must be an integer ≥ 2");
  if (!(seconds > 0)) throw new RangeError("seconds must be positive");
  const b = await createSodiumBackend();
  let now = 1_750_000_000n;
  const ctx = partyContext(b, { clock: () => now, config: { ...DEFAULT_CONFIG, maxRingSize: Math.max(ringSize, DEFAULT_CONFIG.maxRingSize) } });
  const ca = new CentralAuthority(ctx);
  const groupId = sha256(text("bench group"));
  const keys = Array.from({ length: ringSize }, (_, i) => keyPairFromSeed(b, sha256(concatBytes(text("bench vehicle"), u32be(i)))));
  ca.enrolGroup(groupId, 1n, keys.map((k) => k.publicKey), "bench subscribers");
  const credentials: VehicleCredential[] = keys.map((k) => ca.credential(k, groupId, 1n, ringSize, "load"));
  const memories = keys.map(() => new VehicleMemory());
  const lagId = text("LAG-Bench-1");
  const staticKeys = generateKeyPair(b);
  const permit = ca.issueLagPermit(lagId, staticKeys.publicKey, now - 60n, now + 10n ** 9n);
  const groups = new GroupDirectory();
  groups.commit(ca.groups.get(groupId, 1n));
  groups.addMembers(groupId, 1n, keys.map((k) => k.publicKey));
  const lag = new LagAuthenticator(ctx, { lagId, staticKeys, permit }, ca.publicKeys, groups);

  const one = (i: number): number => {
    const vehicle = new VehicleAuth(ctx, credentials[i]!, ca.publicKeys, memories[i]!);
    let started = performance.now();
    const challenge = lag.challenge();
    let lagMs = performance.now() - started;
    const response = vehicle.onChallenge(challenge);
    started = performance.now();
    const { confirm } = lag.onResponse(response);
    lagMs += performance.now() - started;
    vehicle.onConfirm(confirm);
    return lagMs;
  };

  // Warm up (libsodium, caches), then measure.
  for (let i = 0; i < Math.min(ringSize, 4); i++) one(i);
  now += DEFAULT_CONFIG.epochSeconds;
  const deadline = performance.now() + seconds * 1000;
  let lagMs = 0;
  let completed = 0;
  while (performance.now() < deadline) {
    // Each vehicle authenticates once per scope; move to the next epoch when all have.
    const i = completed % ringSize;
    if (i === 0 && completed > 0) now += DEFAULT_CONFIG.epochSeconds;
    lagMs += one(i);
    completed++;
    if (completed % 256 === 0) lag.takeAccepted();
  }
  return completed / (lagMs / 1000);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ringSize = Number(process.argv[2] ?? 16);
  const seconds = Number(process.argv[3] ?? 5);
  const rate = await measureLagAuthPerSecond(ringSize, seconds);
  console.log(`lag_auth_per_s_${ringSize}  ${rate.toFixed(1)} authentications/s (LAG time, one core, fast backend)`);
}
