/**
 * Battery status FC → discharging: hidden accept/decline answers to CA requests, the latest of
 * which wins at the CA, with the LAG unable to tell an accept from a decline.
 */
import { expect } from "chai";
import { decodeLsagSignature, ENVELOPE_BYTES, encodeAnswer, encodeSignature, generateKeyPair, sealEnvelope } from "../../src/crypto/index.js";
import {
  CaDischargeDesk,
  CaStatusDesk,
  dischargeAad,
  LagDischargeDesk,
  LagStatusDesk,
  VehicleDischarge,
  VehicleStatusReport,
  decodeMessage,
  encodeMessage,
  openLagCaChannel,
  type LagSession,
  type SessionChannel,
  type VehicleAuthResult,
} from "../../src/protocol/index.js";
import { expectCode, fastBackend, World, type Lag } from "./helpers/world.js";

interface Setup {
  world: World;
  lag: Lag;
  caDesk: CaDischargeDesk;
  lagDesk: LagDischargeDesk;
  toCa: SessionChannel;
  sessions: { vehicle: VehicleAuthResult; lag: LagSession; discharge: VehicleDischarge }[];
  request: Uint8Array;
}

async function setup(seed?: string): Promise<Setup> {
  const world = new World(await fastBackend(), { members: 6, ringSize: 3, ...(seed === undefined ? {} : { seed }) });
  const lag = world.lag();
  const caDesk = new CaDischargeDesk(world.ca);
  const toCa = openLagCaChannel(world.b, lag.identity, world.ca.publicKeys);
  const lagDesk = new LagDischargeDesk(world.ctx(), world.ca.publicKeys, toCa);
  const sessions = [0, 1, 2].map((i) => {
    const r = world.authenticate(i, lag);
    return { vehicle: r.vehicle, lag: r.lag.session, discharge: new VehicleDischarge(world.ctx(), r.vehicle, world.ca.publicKeys, world.vehicles[i]!.credential) };
  });
  const now = world.clock.now;
  const request = caDesk.issue(lag.identity.lagId, now / world.config.epochSeconds, 50_000n, now, now + 900n);
  return { world, lag, caDesk, lagDesk, toCa, sessions, request };
}

/** Offers the request to session `i` and returns the vehicle's answer bytes. */
function answer(s: Setup, i: number, accept: boolean, offer = true): Uint8Array {
  const session = s.sessions[i]!;
  if (offer) session.discharge.onOffer(s.lagDesk.offer(session.lag, s.request));
  return session.discharge.answer(decodeMessage("DischargeRequest", s.request).requestId, accept);
}

/** Byte positions where two equal-length arrays differ. */
function differing(a: Uint8Array, b: Uint8Array): number[] {
  expect(a.length).to.equal(b.length);
  return [...a.keys()].filter((k) => a[k] !== b[k]);
}

describe("Protocol: FC → discharging with hidden answers", function () {
  it("should count the accepts and declines at the CA", async function () {
    const s = await setup();
    const forwards = [true, false, true].map((accept, i) => s.lagDesk.onAnswer(s.sessions[i]!.lag, answer(s, i, accept)));
    for (const f of forwards) expect(s.caDesk.onForward(f).applied).to.equal(true);
    expect(s.caDesk.tally(decodeMessage("DischargeRequest", s.request).requestId)).to.deep.equal({ accepted: 2, declined: 1 });
    expect(s.sessions[0]!.discharge.state).to.equal("discharging");
    expect(s.sessions[1]!.discharge.state).to.equal("fc");
  });

  it("should give the LAG byte-identical views of an accept and a decline except inside the sealed envelope, the proof's scalars and the MACs", async function () {
    // Two runs with the same randomness: the only difference is the vehicle's answer.
    const runs = await Promise.all([setup("same-seed"), setup("same-seed")]);
    const [acceptRun, declineRun] = runs as [Setup, Setup];
    const wireA = answer(acceptRun, 0, true);
    const wireD = answer(declineRun, 0, false);
    expect(wireA.length).to.equal(wireD.length);
    // What the LAG reads of each (it is the channel's other end).
    const fa = acceptRun.sessions[0]!.lag.channel.read("DischargeAnswer", wireA, acceptRun.world.clock.now);
    const fd = declineRun.sessions[0]!.lag.channel.read("DischargeAnswer", wireD, declineRun.world.clock.now);
    const a = encodeMessage("DischargeAnswer", fa);
    const d = encodeMessage("DischargeAnswer", fd);
    // Every field the LAG can read is equal: session, counter, request, the vehicle's group, ring and key image…
    expect(fa.sessionId).to.deep.equal(fd.sessionId);
    expect(fa.counter).to.equal(fd.counter);
    expect(fa.requestId).to.deep.equal(fd.requestId);
    expect(fa.envelope[0]).to.equal(fd.envelope[0]); // version
    expect(fa.ring).to.deep.equal(fd.ring);
    expect(decodeLsagSignature(fa.signature).keyImage).to.deep.equal(decodeLsagSignature(fd.signature).keyImage);
    // …and the bytes that differ are the hedged ephemeral key (a hash of fresh randomness the LAG
    // never sees, over the sealed content), ciphertext (only the CA holds its key), the ring
    // signature's scalars (zero-knowledge: a hash of the signed envelope) or the operator MAC.
    const envelopeStart = 2 + 16 + 8 + 16;
    const ciphertext = (k: number) => k >= envelopeStart + 1 && k < envelopeStart + ENVELOPE_BYTES;
    const sigStart = a.length - 32 - fa.signature.length;
    const keyImage = (k: number) => k >= sigStart + 4 + 32 && k < sigStart + 4 + 64;
    const scalars = (k: number) => k >= sigStart + 4 && k < a.length - 32 && !keyImage(k);
    const operator = (k: number) => k >= a.length - 32;
    const diff = differing(a, d);
    expect(diff.length).to.be.greaterThan(0);
    expect(diff.filter((k) => !ciphertext(k) && !scalars(k) && !operator(k))).to.deep.equal([]);
    // The same holds for what the LAG forwards to the CA.
    const forwardA = acceptRun.lagDesk.onAnswer(acceptRun.sessions[0]!.lag, wireA);
    const forwardD = declineRun.lagDesk.onAnswer(declineRun.sessions[0]!.lag, wireD);
    const plainForward = (run: Setup, bytes: Uint8Array) => encodeMessage("DischargeForward", run.world.ca.channel(bytes).channel.read("DischargeForward", bytes, run.world.clock.now));
    expect(differing(plainForward(acceptRun, forwardA), plainForward(declineRun, forwardD)).filter((k) => !ciphertext(k) && !scalars(k) && !operator(k))).to.deep.equal([]);
    // The ciphertext is not a function of the answer: two accepts share no envelope bytes pattern.
    const again = await setup();
    const a1 = again.sessions[0]!.lag.channel.read("DischargeAnswer", answer(again, 0, true), again.world.clock.now).envelope;
    const a2 = again.sessions[1]!.lag.channel.read("DischargeAnswer", answer(again, 1, true), again.world.clock.now).envelope;
    expect(differing(a1, a2).length).to.be.greaterThan(ENVELOPE_BYTES - 8);
    // The CA, and only the CA, reads the answers.
    expect(acceptRun.caDesk.onForward(forwardA).applied).to.equal(true);
    expect(declineRun.caDesk.onForward(forwardD).applied).to.equal(true);
    const id = decodeMessage("DischargeRequest", acceptRun.request).requestId;
    expect(acceptRun.caDesk.tally(id)).to.deep.equal({ accepted: 1, declined: 0 });
    expect(declineRun.caDesk.tally(id)).to.deep.equal({ accepted: 0, declined: 1 });
  });

  it("should let the vehicle change its mind: the latest answer wins, whatever the arrival order", async function () {
    const s = await setup();
    const id = decodeMessage("DischargeRequest", s.request).requestId;
    const first = s.lagDesk.onAnswer(s.sessions[0]!.lag, answer(s, 0, true));
    const second = s.lagDesk.onAnswer(s.sessions[0]!.lag, answer(s, 0, false, false));
    const third = s.lagDesk.onAnswer(s.sessions[0]!.lag, answer(s, 0, true, false));
    expect(s.caDesk.onForward(first).applied).to.equal(true);
    expect(s.caDesk.tally(id)).to.deep.equal({ accepted: 1, declined: 0 });
    expect(s.caDesk.onForward(third).applied).to.equal(true);
    expect(s.caDesk.onForward(second).applied).to.equal(false); // older, arrived late
    expect(s.caDesk.tally(id)).to.deep.equal({ accepted: 1, declined: 0 });
    expect(s.sessions[0]!.discharge.state).to.equal("discharging");
  });

  it("should refuse replays: a repeated answer, a repeated forward and a re-sealed envelope", async function () {
    const s = await setup();
    const bytes = answer(s, 0, true);
    const forward = s.lagDesk.onAnswer(s.sessions[0]!.lag, bytes);
    expectCode(() => s.lagDesk.onAnswer(s.sessions[0]!.lag, bytes), "REPLAYED");
    s.caDesk.onForward(forward);
    expectCode(() => s.caDesk.onForward(forward), "REPLAYED");
    const { sessionId: _id, counter: _counter, operator: _op, ...f } = s.world.ca.channel(forward).channel.read("DischargeForward", forward, s.world.clock.now);
    const resealed = s.toCa.seal("DischargeForward", f, s.world.clock.now);
    expectCode(() => s.caDesk.onForward(resealed), "REPLAYED");
  });

  it("should refuse answers out of order, forged or expired requests and envelopes moved to another request", async function () {
    const s = await setup();
    const id = decodeMessage("DischargeRequest", s.request).requestId;
    expectCode(() => s.sessions[0]!.discharge.answer(id, true), "OUT_OF_ORDER");
    // The vehicle got an offer, but not through this desk: the desk refuses an answer it never asked for.
    const elsewhere = new LagDischargeDesk(s.world.ctx(), s.world.ca.publicKeys, s.toCa);
    s.sessions[2]!.discharge.onOffer(elsewhere.offer(s.sessions[2]!.lag, s.request));
    const unasked = s.sessions[2]!.discharge.answer(id, false);
    expectCode(() => s.lagDesk.onAnswer(s.sessions[2]!.lag, unasked), "OUT_OF_ORDER");
    // A request not signed by the CA.
    const forged = encodeMessage("DischargeRequest", { ...decodeMessage("DischargeRequest", s.request), energyWh: 1n });
    expectCode(() => s.lagDesk.offer(s.sessions[0]!.lag, forged), "BAD_SIGNATURE");
    // An envelope answered for request A, forwarded under request B.
    const other = s.caDesk.issue(s.lag.identity.lagId, 0n, 1n, s.world.clock.now, s.world.clock.now + 900n);
    const otherId = decodeMessage("DischargeRequest", other).requestId;
    const { sessionId: _id, counter: _counter, operator: _op, ...signed } = s.sessions[0]!.lag.channel.read("DischargeAnswer", answer(s, 0, true), s.world.clock.now);
    const moved = s.toCa.seal("DischargeForward", { ...signed, requestId: otherId }, s.world.clock.now);
    expectCode(() => s.caDesk.onForward(moved), "BAD_SIGNATURE");
    // Expired.
    const pending = answer(s, 1, true);
    s.world.clock.advance(3600);
    expectCode(() => s.lagDesk.onAnswer(s.sessions[1]!.lag, pending), "EXPIRED");
    expectCode(() => s.sessions[2]!.discharge.onOffer(s.lagDesk.offer(s.sessions[2]!.lag, s.request)), "EXPIRED");
  });
  describe("a dishonest LAG", function () {
    /** The fields of a vehicle's answer as the LAG reads them (everything but the channel framing). */
    function fieldsOf(s: Setup, i: number, bytes: Uint8Array) {
      const { sessionId: _id, counter: _counter, operator: _op, ...fields } = s.sessions[i]!.lag.channel.read("DischargeAnswer", bytes, s.world.clock.now);
      return fields;
    }

    it("should not turn a decline into an accept with the highest sequence number", async function () {
      const s = await setup();
      const id = decodeMessage("DischargeRequest", s.request).requestId;
      const decline = answer(s, 0, false);
      expect(s.caDesk.onForward(s.lagDesk.onAnswer(s.sessions[0]!.lag, decline)).applied).to.equal(true);
      // The LAG seals its own accept (sequence 2^64 − 1) and attaches the vehicle's proof.
      const plaintext = encodeAnswer({ sequence: 2n ** 64n - 1n, kind: "accept", body: new Uint8Array(0) });
      const envelope = sealEnvelope(s.world.b, s.world.ca.publicKeys.envelopeKey, plaintext, dischargeAad(id));
      const override = s.toCa.seal("DischargeForward", { ...fieldsOf(s, 0, decline), envelope }, s.world.clock.now);
      expectCode(() => s.caDesk.onForward(override), "BAD_SIGNATURE");
      expect(s.caDesk.tally(id)).to.deep.equal({ accepted: 0, declined: 1 });
    });

    it("should not fabricate accepts: no member key, no proof the CA accepts", async function () {
      const s = await setup();
      const id = decodeMessage("DischargeRequest", s.request).requestId;
      const honest = fieldsOf(s, 1, answer(s, 1, false));
      const accept = () => sealEnvelope(s.world.b, s.world.ca.publicKeys.envelopeKey, encodeAnswer({ sequence: 1n, kind: "accept", body: new Uint8Array(0) }), dischargeAad(id));
      // A signature of its own making over a real ring of members.
      const forgedSignature = decodeLsagSignature(honest.signature);
      const forged = { ...forgedSignature, c1: forgedSignature.s[0]!, s: [forgedSignature.c1, ...forgedSignature.s.slice(1)] };
      const attempts: [string, Record<string, unknown>, string][] = [
        ["a forged signature", { ...honest, envelope: accept(), signature: encodeSignature(forged) }, "BAD_SIGNATURE"],
        ["its own key in the ring", { ...honest, envelope: accept(), ring: [...honest.ring.slice(1), generateKeyPair(s.world.b).publicKey] }, "NOT_IN_GROUP"],
        ["an uncommitted group", { ...honest, envelope: accept(), groupId: new Uint8Array(32).fill(7) }, "UNKNOWN_GROUP"],
        ["a replayed answer", honest, "REPLAYED"],
      ];
      expect(s.caDesk.onForward(s.toCa.seal("DischargeForward", honest, s.world.clock.now)).applied).to.equal(true);
      for (const [what, fields, code] of attempts) {
        const bytes = s.toCa.seal("DischargeForward", fields as never, s.world.clock.now);
        expect(expectCode(() => s.caDesk.onForward(bytes), code as never).code, what).to.equal(code);
      }
      expect(s.caDesk.tally(id)).to.deep.equal({ accepted: 0, declined: 1 });
    });

    it("should not choose the slot: one vehicle is one slot, whoever forwards its answers", async function () {
      const s = await setup();
      const id = decodeMessage("DischargeRequest", s.request).requestId;
      // Two answers of one vehicle arrive through two LAG desks (a LAG that splits a vehicle in two).
      const first = s.lagDesk.onAnswer(s.sessions[0]!.lag, answer(s, 0, true));
      const elsewhere = new LagDischargeDesk(s.world.ctx(), s.world.ca.publicKeys, s.toCa);
      elsewhere.offer(s.sessions[0]!.lag, s.request);
      const second = elsewhere.onAnswer(s.sessions[0]!.lag, answer(s, 0, true, false));
      expect(s.caDesk.onForward(first).applied).to.equal(true);
      expect(s.caDesk.onForward(second).applied).to.equal(true);
      expect(s.caDesk.tally(id)).to.deep.equal({ accepted: 1, declined: 0 });
    });

    it("should refuse the answer of a member removed in a newer group version once its grace is over", async function () {
      const s = await setup();
      const bytes = answer(s, 0, true);
      s.world.ca.enrolGroup(s.world.groupId, 2n, s.world.members.slice(1).map((k) => k.publicKey), s.world.attribute);
      s.world.clock.advance(s.world.config.groupGraceSeconds);
      expectCode(() => s.caDesk.onForward(s.lagDesk.onAnswer(s.sessions[0]!.lag, bytes)), "SUPERSEDED_GROUP");
    });
  });
  describe("what follows an answer (the LAG sees the traffic after it)", function () {
    it("should show the LAG who accepted when only accepters report, and nothing when decliners report 0 as cover", async function () {
      const s = await setup();
      const id = decodeMessage("DischargeRequest", s.request).requestId;
      const answers = [true, false, true];
      answers.forEach((accept, i) => s.caDesk.onForward(s.lagDesk.onAnswer(s.sessions[i]!.lag, answer(s, i, accept))));
      const statusDesk = () => new LagStatusDesk(s.world.ctx(), s.lag.identity.lagId, s.world.ca.publicKeys, s.toCa);
      const reporter = (i: number) => new VehicleStatusReport(s.world.ctx(), s.sessions[i]!.vehicle, s.world.ca.publicKeys, s.world.vehicles[i]!.credential);
      // Without cover: the sessions that report afterwards are exactly the accepters — the limit.
      const plain = statusDesk();
      const reported: number[] = [];
      answers.forEach((accept, i) => {
        if (!accept) return;
        plain.onReport(s.sessions[i]!.lag, reporter(i).report(BigInt(1000 * (i + 1)), plain.announce(s.sessions[i]!.lag)));
        reported.push(i);
      });
      expect(reported).to.deep.equal(answers.flatMap((a, i) => (a ? [i] : [])));
      // With cover: every vehicle offered the request reports in the round, a decliner its true 0 Wh.
      const covered = statusDesk();
      const reports = answers.map((accept, i) => reporter(i).report(accept ? BigInt(1000 * (i + 1)) : 0n, covered.announce(s.sessions[i]!.lag)));
      // One report per session, all the same length, each masked value uniform: no field differs in kind.
      expect(new Set(reports.map((r) => r.length)).size).to.equal(1);
      reports.forEach((r, i) => covered.onReport(s.sessions[i]!.lag, r));
      const result = covered.onResult(new CaStatusDesk(s.world.ca).onBatch(covered.closeBatch()));
      // The aggregate the LAG learns is unchanged by the cover (Σ over accepters) and the CA's tally agrees.
      expect(result.aggregate).to.equal(1000n + 3000n);
      expect(s.caDesk.tally(id)).to.deep.equal({ accepted: 2, declined: 1 });
    });
  });

  it("should hold an offer until its request's last valid second and drop it after, so offers do not pile up", async function () {
    const s = await setup();
    const { notAfter } = decodeMessage("DischargeRequest", s.request);
    const lastValid = notAfter + s.world.config.clockSkewSeconds - 1n;
    // Three sessions are offered the request and answer while it is valid; the LAG reads the answers later.
    const answers = [0, 1, 2].map((i) => answer(s, i, i !== 1));
    expect(s.lagDesk.offerCount).to.equal(3);
    s.world.clock.now = lastValid;
    expect(s.caDesk.onForward(s.lagDesk.onAnswer(s.sessions[0]!.lag, answers[0]!)).applied).to.equal(true);
    // The first second past the window: the request has expired, its offers are still held.
    s.world.clock.now = lastValid + 1n;
    expectCode(() => s.lagDesk.onAnswer(s.sessions[1]!.lag, answers[1]!), "EXPIRED");
    expect(s.lagDesk.offerCount).to.equal(3);
    // A second later they are dropped; an answer to the request is still refused as expired.
    s.world.clock.now = lastValid + 2n;
    expectCode(() => s.lagDesk.onAnswer(s.sessions[2]!.lag, answers[2]!), "EXPIRED");
    expect(s.lagDesk.offerCount).to.equal(0);
    // A later request's offers are all the desk holds.
    const now = s.world.clock.now;
    const next = s.caDesk.issue(s.lag.identity.lagId, now / s.world.config.epochSeconds, 10_000n, now, now + 900n);
    s.sessions[0]!.discharge.onOffer(s.lagDesk.offer(s.sessions[0]!.lag, next));
    expect(s.lagDesk.offerCount).to.equal(1);
  });
});
