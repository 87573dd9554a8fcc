/**
 * The floor under `sessions_per_s`: the CPU time of the work a day's complete sessions cannot
 * avoid, counted from the day itself and priced with unit costs measured in the same process
 * right after it (so under the same machine load):
 *
 *   - each authentication: the vehicle's escrowed ring signature (the signer's own check
 *     included) and everything the LAG checks (`checkAnonymousAuth`), ring of the day's size;
 *   - each discharge answer: its plain ring signature and one verification;
 *   - each signed message and each receipt in the parties' stores (distinct digests): one
 *     secp256k1 signature, one verification against the signer's known key, and two EIP-712
 *     digests (the signer's and the receiver's);
 *   - each OCMF record: one secp256r1 signature and one verification;
 *   - each fleet: one LP solve of its final problem (HiGHS, on this thread).
 *
 * Left out, so the floor is a lower bound: HTTP, SQLite and fsync, the stores' own checks,
 * the pseudonym certificates and tariffs, recovering a key seen for the first time, infeasible
 * first solves, anchoring. `perfectly parallel` divides by the cores and assumes nothing else.
 */
import { hexlify, keccak256, Wallet } from "ethers";
import { checkAnonymousAuth, createSodiumBackend, escrowSign, lsagSign, lsagVerify, type EscrowStatement, type GroupBackend } from "../src/crypto/index.js";
import { loadHighs } from "../src/charging/highs.js";
import { OcmfMeter } from "../src/charging/ocmf/meter.js";
import { verifyOcmf } from "../src/charging/ocmf/verify.js";
import { scheduleFleet } from "../src/charging/scheduler.js";
import { messageDigest } from "../src/evidence/sign.js";
import { isSignedBy, recoverSigner } from "../src/evidence/signerKeys.js";
import { evidenceDomain, MESSAGE_TYPE_NAMES } from "../src/evidence/types.js";
import type { ChargingDay } from "../src/scenario/day/chargingDay.js";
import { authFixture, benchKeys, medianMs, ringStatement } from "./auth.js";

export interface SessionFloor {
  readonly counts: { authentications: number; answers: number; messages: number; receipts: number; ocmfRecords: number; fleets: number };
  /** Unit costs, milliseconds (medians). */
  readonly unitMs: Record<string, number>;
  /** CPU seconds of the unavoidable work, per part and in all. */
  readonly seconds: Record<string, number>;
  readonly totalSeconds: number;
}

/** Distinct message digests across the day's stores, and how many of them have a receipt. */
function evidenceCounts(day: ChargingDay): { messages: number; receipts: number } {
  const holder = new Map<string, ChargingDay["day"]["stores"]["entries"][number]["store"]>();
  for (const { store } of day.day.stores.entries) {
    for (const type of MESSAGE_TYPE_NAMES) {
      for (let cursor = 0; ; ) {
        const page = store.messagesOfType(type, cursor, 5_000);
        for (const m of page.messages) if (!holder.has(m.digest)) holder.set(m.digest, store);
        if (page.messages.length === 0) break;
        cursor = page.cursor;
      }
    }
  }
  let receipts = 0;
  for (const [digest, store] of holder) if (store.receipt(digest) !== null) receipts++;
  return { messages: holder.size, receipts };
}

async function unitCosts(ringSize: number, fleetProblems: readonly ChargingDay["fleets"][number]["problem"][]): Promise<{ unitMs: Record<string, number>; lpSeconds: number }> {
  const b = (await createSodiumBackend()) as GroupBackend<unknown>;
  // The vehicle's escrowed ring signature and what the LAG checks of it.
  const auth = authFixture(b, ringSize);
  if (auth.ring.kind !== "lsag-escrow") throw new Error("the fixture is an escrowed ring signature");
  const statement: EscrowStatement = auth.ring.statement;
  const signer = benchKeys(b, ringSize, `auth-ring-${ringSize}`)[ringSize >> 1]!;
  const ringSign = medianMs(() => escrowSign(b, statement, signer.secretKey), 15);
  const authCheck = medianMs(() => {
    if (!checkAnonymousAuth(b, auth).ok) throw new Error("the fixture's authentication does not check");
  }, 15);
  // A discharge answer's plain ring signature.
  const plain = ringStatement(b, ringSize);
  const answer = lsagSign(b, plain.statement, plain.keys[0]!.secretKey);
  const answerSign = medianMs(() => lsagSign(b, plain.statement, plain.keys[0]!.secretKey), 15);
  const answerVerify = medianMs(() => lsagVerify(b, plain.statement, answer), 15);

  // secp256k1: a registered key's signature, and its check against the known key (after its tables).
  const key = Wallet.createRandom();
  const digests = Array.from({ length: 400 }, (_, i) => keccak256(hexlify(new TextEncoder().encode(`floor ${i}`))));
  const sigs = digests.map((d) => key.signingKey.sign(d).serialized);
  recoverSigner(digests[0]!, sigs[0]!);
  for (let i = 0; i < 100; i++) isSignedBy(digests[i]!, sigs[i]!, key.address); // the key's tables
  let next = 100;
  const ecdsaVerify = medianMs(() => {
    if (!isSignedBy(digests[next]!, sigs[next]!, key.address)) throw new Error("a good signature does not verify");
    next++;
  }, 200, 0);
  const ecdsaSign = medianMs(() => key.signingKey.sign(digests[0]!), 100);
  const domain = evidenceDomain(31337n, key.address);
  const header = { sessionId: digests[1]!, seq: 3n, nonce: digests[2]!, issuedAt: 1_700_000_000n, expiresAt: 1_700_000_300n, receiver: Wallet.createRandom().address, receiptDeadline: 1_700_086_400n };
  const csev = { type: "Csev", header, body: { scheduleDigest: digests[3]!, command: 1n, powerW: 7_400n, effectiveAt: 1_700_000_000n } } as never;
  const digest = medianMs(() => messageDigest(domain, csev), 200);

  // An OCMF record: signed (with the meter's own check) and read back.
  let n = 0;
  const meter = new OcmfMeter({ serial: "M-floor", gateway: "G-floor", gatewaySerial: "S-floor" }, Uint8Array.from({ length: 32 }, (_, i) => i + 1));
  meter.begin(digests[4]!, 1_700_000_000_000, 1_000);
  const meterKey = meter.publicKey();
  const ocmf = medianMs(() => {
    const record = meter.progress(1_700_000_000_000 + ++n * 1000, 1_000 + n);
    if (!verifyOcmf(record, meterKey).valid) throw new Error("an OCMF record does not verify");
  }, 60);

  const highs = await loadHighs();
  scheduleFleet(highs, fleetProblems[0]!); // the solver's start-up, not a session's cost
  const started = performance.now();
  for (const problem of fleetProblems) scheduleFleet(highs, problem);
  const lpSeconds = (performance.now() - started) / 1000;
  return { unitMs: { ringSign, authCheck, answerSign, answerVerify, ecdsaSign, ecdsaVerify, digest, ocmf }, lpSeconds };
}

/** Counts the day's unavoidable work and prices it (see above). */
export async function sessionFloor(day: ChargingDay): Promise<SessionFloor> {
  const { messages, receipts } = evidenceCounts(day);
  const counts = {
    authentications: day.auth.accepted,
    answers: day.discharge.requested,
    messages,
    receipts,
    ocmfRecords: day.execution.readings,
    fleets: day.fleets.length,
  };
  const { unitMs: u, lpSeconds } = await unitCosts(day.day.options.ringSize, day.fleets.map((f) => f.problem));
  const perEvidence = u.ecdsaSign! + u.ecdsaVerify! + 2 * u.digest!;
  const seconds = {
    authentication: (counts.authentications * (u.ringSign! + u.authCheck!)) / 1000,
    discharge: (counts.answers * (u.answerSign! + u.answerVerify!)) / 1000,
    evidence: ((counts.messages + counts.receipts) * perEvidence) / 1000,
    ocmf: (counts.ocmfRecords * u.ocmf!) / 1000,
    lp: lpSeconds,
  };
  const totalSeconds = Object.values(seconds).reduce((a, b) => a + b, 0);
  return { counts, unitMs: u, seconds, totalSeconds };
}
