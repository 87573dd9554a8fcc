/**
 * Role awareness: storage-BVs answer discharge requests anonymously with ring signatures (the
 * operators of the first paper's Figure 4), and load-BVs and S3P-BVs authenticate with their
 * role.
 */
import { expect } from "chai";
import { bytesToHex, decodeLsagSignature } from "../../src/crypto/index.js";
import {
  CaDischargeDesk,
  CaStorageDesk,
  LagStorageDesk,
  StorageVehicle,
  decodeMessage,
  encodeMessage,
  openLagCaChannel,
  type SessionChannel,
} from "../../src/protocol/index.js";
import { expectCode, fastBackend, World, type Lag } from "./helpers/world.js";

interface Setup {
  world: World;
  lag: Lag;
  toCa: SessionChannel;
  requests: CaDischargeDesk;
  caDesk: CaStorageDesk;
  lagDesk: LagStorageDesk;
  bvs: StorageVehicle[];
  request: Uint8Array;
  requestId: Uint8Array;
}

async function setup(): Promise<Setup> {
  const world = new World(await fastBackend(), { members: 8, ringSize: 4, role: "storage", groupLabel: "storage-capable vehicles" });
  const lag = world.lag();
  const toCa = openLagCaChannel(world.b, lag.identity, world.ca.publicKeys);
  const requests = new CaDischargeDesk(world.ca);
  const caDesk = new CaStorageDesk(world.ca, requests);
  const lagDesk = new LagStorageDesk(world.ctx(), lag.identity.lagId, world.ca.publicKeys, lag.groups, toCa);
  const bvs = world.vehicles.map((v) => new StorageVehicle(world.ctx(), v.credential, world.ca.publicKeys));
  const now = world.clock.now;
  const request = lagDesk.broadcast(requests.issue(lag.identity.lagId, 0n, 20_000n, now, now + 600n));
  return { world, lag, toCa, requests, caDesk, lagDesk, bvs, request, requestId: decodeMessage("DischargeRequest", request).requestId };
}

describe("Protocol: role awareness", function () {
  it("should run the storage-BV exchange: anonymous answers, LAG and CA operators, a verdict each vehicle checks", async function () {
    const s = await setup();
    const answers = [true, false, true];
    answers.forEach((agree, i) => {
      s.bvs[i]!.onRequest(s.request);
      expect(s.lagDesk.onAnswer(s.bvs[i]!.answer(s.requestId, agree))).to.deep.equal({ agree, replaced: false });
    });
    const verdict = s.caDesk.onForward(s.lagDesk.forward(s.requestId));
    expect(s.lagDesk.onVerdict(verdict)).to.deep.equal({ agreed: 2, declined: 1 });
    for (const i of [0, 1, 2]) expect(s.bvs[i]!.onVerdict(verdict)).to.deep.equal({ agreed: 2, declined: 1, confirmed: true });
    s.bvs[3]!.onRequest(s.request);
    expectCode(() => s.bvs[3]!.onVerdict(verdict), "OUT_OF_ORDER");
  });

  it("should keep the LAG from telling which storage-BV answered", async function () {
    const s = await setup();
    const [i, j] = s.world.ringMates(0) as [number, number];
    s.bvs[i]!.onRequest(s.request);
    s.bvs[j]!.onRequest(s.request);
    const a = s.bvs[i]!.answer(s.requestId, true);
    const b = s.bvs[j]!.answer(s.requestId, true);
    expect(a.length).to.equal(b.length);
    const fa = decodeMessage("StorageAnswer", a);
    const fb = decodeMessage("StorageAnswer", b);
    // Every field but the fresh ephemeral key and the signature is the same for both vehicles…
    for (const key of ["requestId", "sequence", "answer", "timestamp", "groupId", "groupVersion"] as const) expect(fa[key]).to.deep.equal(fb[key]);
    expect(fa.ring.map(bytesToHex)).to.deep.equal(fb.ring.map(bytesToHex));
    // …and both signatures verify against that same ring: the LAG learns "agree", not who.
    expect(s.lagDesk.onAnswer(a)).to.deep.equal({ agree: true, replaced: false });
    expect(s.lagDesk.onAnswer(b)).to.deep.equal({ agree: true, replaced: false });
    // The key image links answers within this request only: the next request shows a new one.
    const now = s.world.clock.now;
    const next = s.lagDesk.broadcast(s.requests.issue(s.lag.identity.lagId, 0n, 1n, now, now + 600n));
    s.bvs[0]!.onRequest(next);
    const again = s.bvs[0]!.answer(decodeMessage("DischargeRequest", next).requestId, true);
    const images = [a, b, again].map((x) => bytesToHex(decodeLsagSignature(decodeMessage("StorageAnswer", x).signature).keyImage));
    expect(new Set(images).size).to.equal(3);
    // Nor is any image one of the members' keys or an authentication image of the vehicle.
    const auth = decodeMessage("AuthResponse", s.world.authenticate(0, s.lag).bytes.response);
    for (const image of images) {
      expect(fa.ring.map(bytesToHex)).to.not.include(image);
      expect(Buffer.from(auth.signature).toString("hex")).to.not.include(image);
    }
  });

  it("should let a storage-BV change its mind (latest sequence wins) and refuse replays and forgeries", async function () {
    const s = await setup();
    s.bvs[0]!.onRequest(s.request);
    const first = s.bvs[0]!.answer(s.requestId, true);
    const second = s.bvs[0]!.answer(s.requestId, false);
    s.lagDesk.onAnswer(first);
    expect(s.lagDesk.onAnswer(second)).to.deep.equal({ agree: false, replaced: true });
    expectCode(() => s.lagDesk.onAnswer(first), "REPLAYED");
    expectCode(() => s.lagDesk.onAnswer(second), "REPLAYED");
    // The answer byte is signed: flipping it breaks the ring signature.
    s.bvs[1]!.onRequest(s.request);
    const honest = decodeMessage("StorageAnswer", s.bvs[1]!.answer(s.requestId, true));
    expectCode(() => s.lagDesk.onAnswer(encodeMessage("StorageAnswer", { ...honest, answer: 2 })), "BAD_SIGNATURE");
    // The LAG's operator to the CA covers the forward; the CA's signature covers the verdict.
    const forward = s.lagDesk.forward(s.requestId);
    const tampered = forward.slice();
    tampered[40]! ^= 1;
    expectCode(() => s.caDesk.onForward(tampered), "BAD_OPERATOR");
    const verdict = s.caDesk.onForward(forward);
    expect(s.lagDesk.onVerdict(verdict)).to.deep.equal({ agreed: 0, declined: 1 });
    const lie = encodeMessage("StorageVerdict", { ...decodeMessage("StorageVerdict", verdict), agreed: 5 });
    expectCode(() => s.bvs[0]!.onVerdict(lie), "BAD_SIGNATURE");
    expectCode(() => s.lagDesk.onVerdict(lie), "BAD_SIGNATURE");
    expect(s.bvs[0]!.onVerdict(verdict).confirmed).to.equal(true);
  });

  it("should authenticate load-BVs and S3P-BVs with their role, which is all the LAG learns besides the group", async function () {
    for (const role of ["load", "s3p"] as const) {
      const world = new World(await fastBackend(), { members: 4, ringSize: 4, role });
      const session = world.authenticate(2, world.lag()).lag.session;
      expect({ role: session.role, attribute: session.attribute, mode: session.mode }).to.deep.equal({ role, attribute: world.attribute, mode: "visiting" });
    }
  });
});
