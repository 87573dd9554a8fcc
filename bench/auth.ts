/**
 * Cost of anonymous authentication at the crypto layer, on both backends.
 * Writes bench/results/auth.json (medians, milliseconds) and prints a table:
 *
 *   ring_sign_ms_16       bLSAG sign, ring of 16 (includes the signer's own verification)
 *   ring_verify_ms_{16,64,128}   bLSAG verify alone (no escrow), warm caches
 *   auth_verify_ms_16     everything a LAG checks for one authentication at this layer:
 *                         permit, session key (2 DH) + operator MAC, bLSAG + escrow, ring of 16
 *   lag_auth_per_s_16     complete charging→FC authentications per second of LAG time
 *                         (protocol layer, fast backend, one core)
 *
 * each with suffix _noble (reference backend) and _fast (libsodium WebAssembly).
 * `authFixture` and `medianMs` are exported for protocol-level benchmarks.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  authOperator,
  checkAnonymousAuth,
  committedMembers,
  concatBytes,
  createNobleBackend,
  createSodiumBackend,
  encodeAuthMessage,
  escrowSign,
  issuePermit,
  keyPairFromSeed,
  lagSessionKey,
  lsagSign,
  lsagVerify,
  transcriptHash,
  u32be,
  type AnonymousAuthCheck,
  type GroupBackend,
  type KeyPair,
  type RingStatement,
} from "../src/crypto/index.js";
import { measureLagAuthPerSecond } from "./lagAuth.js";
import { median, writeMetrics, type Metrics } from "./metrics.js";

type AnyBackend = GroupBackend<unknown>;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Deterministic key pairs for benchmarks. */
export function benchKeys(b: AnyBackend, n: number, label: string): KeyPair[] {
  return Array.from({ length: n }, (_, i) => keyPairFromSeed(b, sha256(concatBytes(text(label), u32be(i)))));
}

/** Median and fastest wall time of `fn` in milliseconds, after `warmup` untimed calls. */
export function timeMs(fn: () => unknown, runs: number, warmup = 2): { median: number; min: number } {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  }
  return { median: median(times), min: Math.min(...times) };
}

/** Median wall time of `fn` in milliseconds, after `warmup` untimed calls. */
export function medianMs(fn: () => unknown, runs: number, warmup = 2): number {
  return timeMs(fn, runs, warmup).median;
}

/** A plain ring statement over `n` benchmark members. */
export function ringStatement(b: AnyBackend, n: number): { statement: RingStatement; keys: KeyPair[] } {
  const keys = benchKeys(b, n, `ring-${n}`);
  const statement: RingStatement = {
    group: { groupId: text("bench-group"), root: sha256(text("bench-root")), version: 1n },
    ring: keys.map((k) => k.publicKey),
    scope: { lagId: text("bench-lag"), epoch: 1n },
    message: text("bench message"),
  };
  return { statement, keys };
}

/** One complete, valid anonymous authentication as a LAG receives it (escrow on). */
export function authFixture(b: AnyBackend, n: number): AnonymousAuthCheck {
  const [ca, caPermit, lagEph, lagStatic, vehicleEph] = benchKeys(b, 5, "auth-roles") as KeyPair[];
  const keys = benchKeys(b, n, `auth-ring-${n}`);
  const message = encodeAuthMessage({
    protocolVersion: 1,
    messageType: 1,
    lagId: text("bench-lag"),
    groupId: text("bench-group"),
    groupVersion: 1n,
    challengeNonce: sha256(text("nonce")),
    ephemeralKey: vehicleEph!.publicKey,
    timestamp: 1_700_000_000n,
  });
  const statement = {
    group: { groupId: text("bench-group"), root: sha256(text("bench-root")), version: 1n },
    ring: keys.map((k) => k.publicKey),
    scope: { lagId: text("bench-lag"), epoch: 1n },
    message,
    caKey: ca!.publicKey,
  };
  const signature = escrowSign(b, statement, keys[n >> 1]!.secretKey);
  const permit = issuePermit(b, caPermit!.secretKey, {
    aggregatorId: text("bench-lag"),
    aggregatorKey: lagStatic!.publicKey,
    notBefore: 0n,
    notAfter: 2n ** 40n,
  });
  const keyAgreement = {
    ephemeral: lagEph!,
    static: lagStatic!,
    vehicleEphemeralKey: vehicleEph!.publicKey,
    transcriptHash: transcriptHash([message, lagEph!.publicKey]),
  };
  const transcript = [message, signature.keyImage];
  const operatorTag = authOperator(lagSessionKey(b, keyAgreement), "vehicle-auth", transcript);
  return {
    permit,
    members: committedMembers(statement.ring),
    caPermitKey: caPermit!.publicKey,
    now: 1_700_000_000n,
    keyAgreement,
    operatorLabel: "vehicle-auth",
    transcript,
    operatorTag,
    ring: { kind: "lsag-escrow", statement, signature },
  };
}

interface Plan {
  readonly signRuns: number;
  readonly verifyRuns: Readonly<Record<16 | 64 | 128, number>>;
  readonly authRuns: number;
}

type Timing = { median: number; min: number };

function measure(b: AnyBackend, plan: Plan): Record<string, Timing> {
  const out: Record<string, Timing> = {};
  const { statement, keys } = ringStatement(b, 16);
  out.ring_sign_ms_16 = timeMs(() => lsagSign(b, statement, keys[5]!.secretKey), plan.signRuns);
  for (const n of [16, 64, 128] as const) {
    const { statement: st, keys: k } = ringStatement(b, n);
    const signature = lsagSign(b, st, k[n - 1]!.secretKey);
    out[`ring_verify_ms_${n}`] = timeMs(() => {
      if (!lsagVerify(b, st, signature)) throw new Error("benchmark signature failed to verify");
    }, plan.verifyRuns[n]);
  }
  const auth = authFixture(b, 16);
  out.auth_verify_ms_16 = timeMs(() => {
    if (!checkAnonymousAuth(b, auth).ok) throw new Error("benchmark authentication failed");
  }, plan.authRuns);
  return out;
}

async function main(): Promise<void> {
  const backends: [string, AnyBackend, Plan][] = [
    ["fast", (await createSodiumBackend()) as AnyBackend, { signRuns: 31, verifyRuns: { 16: 61, 64: 21, 128: 11 }, authRuns: 41 }],
    ["noble", createNobleBackend() as AnyBackend, { signRuns: 15, verifyRuns: { 16: 31, 64: 11, 128: 7 }, authRuns: 21 }],
  ];
  const results: Record<string, Record<string, Timing>> = {};
  for (const [suffix, b, plan] of backends) results[suffix] = measure(b, plan);

  const names = Object.keys(results.fast ?? {});
  const head = ["fast", "(min)", "noble", "(min)"].map((h) => h.padStart(9)).join("");
  console.log(`\n${"metric, ms".padEnd(22)}${head}`);
  for (const name of names) {
    const cells = ["fast", "noble"].flatMap((s) => {
      const t = results[s]?.[name];
      return [t?.median ?? NaN, t?.min ?? NaN].map((v) => v.toFixed(2).padStart(9));
    });
    console.log(`${name.padEnd(22)}${cells.join("")}`);
  }
  console.log("(medians are written; minima show the spread of this machine)\n");

  const path = fileURLToPath(new URL("./results/auth.json", import.meta.url));
  // Keep metrics other benchmarks wrote into the same file.
  const previous = existsSync(path) ? ((JSON.parse(readFileSync(path, "utf8")) as { metrics?: Metrics }).metrics ?? {}) : {};
  const metrics: Metrics = { ...previous };
  for (const [suffix, values] of Object.entries(results)) {
    for (const [name, value] of Object.entries(values)) {
      metrics[`${name}_${suffix}`] = { value: Number(value.median.toFixed(3)), unit: "ms" };
    }
  }
  // Complete charging→FC authentications per second of LAG time, fast backend, one core.
  metrics.lag_auth_per_s_16 = { value: Number((await measureLagAuthPerSecond(16, 8)).toFixed(1)), unit: "auth/s" };
  writeMetrics(path, metrics);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
