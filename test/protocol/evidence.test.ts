/**
 * Evidence of the authentications: one EIP-712 acknowledgement by the LAG over a Merkle root of
 * every transcript digest of a batch, anchored as `AnchorKind.Authentications`; each vehicle
 * verifies its inclusion, an outsider's digest fails.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { AnchorKind } from "../../src/evidence/index.js";
import { bytesToHex } from "../../src/crypto/index.js";
import {
  CaDischargeDesk,
  GroupDirectory,
  LagAuthenticator,
  LagDischargeDesk,
  LagStatusDesk,
  RunLog,
  VehicleDischarge,
  VehicleStatusReport,
  acknowledgeAuthentications,
  anchorAcknowledgement,
  authDigest,
  decodeMessage,
  groupRoot,
  loadGroupVersion,
  membershipProof,
  messageDigest,
  openLagCaChannel,
  type GroupRegistryReader,
  verifyAcknowledgement,
  verifyAcknowledgementOnChain,
  type AckInclusion,
  type AuthLedger,
  type KeyRegistry,
} from "../../src/protocol/index.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { expectCode, expectCodeAsync, fastBackend, World } from "./helpers/world.js";

describe("Protocol: batch acknowledgement of authentications (NRO/NRR evidence)", function () {
  let connection: TestConnection;
  before(async function () {
    connection = await createNetwork();
  });
  const fixture = () => evidenceFixture(connection);

  async function batch() {
    const f = await connection.networkHelpers.loadFixture(fixture);
    const world = new World(await fastBackend(), { members: 8, ringSize: 4 });
    world.clock.now = BigInt(await connection.networkHelpers.time.latest());
    const lag = world.lag();
    const vehicles = [0, 2, 4, 5, 7].map((i) => world.authenticate(i, lag).vehicle);
    const digests = lag.auth.takeAccepted().map(authDigest);
    const lagAccount = f.participants.aggregator.address;
    const { ack, inclusions } = await acknowledgeAuthentications(world.ctx(), f.keys.aggregator!, lagAccount, f.domain, digests);
    const ledger = f.ledger.connect(f.participants.aggregator) as unknown as AuthLedger;
    return { f, world, lag, vehicles, digests, ack, inclusions, lagAccount, ledger };
  }

  it("should sign one acknowledgement over the batch, anchor it, and let every vehicle verify its inclusion", async function () {
    const b = await batch();
    expect(b.ack.count).to.equal(5);
    await (await anchorAcknowledgement(b.ledger, b.ack)).wait();
    const anchor = await b.f.ledger.anchorOf(b.lagAccount, b.ack.root);
    expect(Number(anchor.kind)).to.equal(AnchorKind.Authentications);
    expect(anchor.submitter).to.equal(b.lagAccount);
    for (const vehicle of b.vehicles) {
      const mine = b.inclusions.find((i) => i.digest === vehicle.digest) as AckInclusion;
      expect(mine, "the vehicle's own digest is in the batch").to.not.equal(undefined);
      verifyAcknowledgement(b.f.domain, b.lagAccount, mine);
      await verifyAcknowledgementOnChain(b.f.domain, b.lagAccount, mine, b.f.registry as unknown as KeyRegistry, b.ledger);
    }
  });

  it("should fail for an outsider, a borrowed proof, another LAG, a rogue key and an unanchored root", async function () {
    const b = await batch();
    const outsider = b.world.authenticate(1, b.lag).vehicle;
    const borrowed: AckInclusion = { ...b.inclusions[0]!, digest: outsider.digest };
    expectCode(() => verifyAcknowledgement(b.f.domain, b.lagAccount, borrowed), "NOT_ACKNOWLEDGED");
    const swapped: AckInclusion = { ...b.inclusions[0]!, proof: b.inclusions[1]!.proof };
    expectCode(() => verifyAcknowledgement(b.f.domain, b.lagAccount, swapped), "NOT_ACKNOWLEDGED");
    expectCode(() => verifyAcknowledgement(b.f.domain, b.f.participants.supplierA.address, b.inclusions[0]!), "NOT_ACKNOWLEDGED");
    // Signed by a key that is not registered for the LAG: fine offline, refused against the registry.
    const rogue = await acknowledgeAuthentications(b.world.ctx(), Wallet.createRandom(), b.lagAccount, b.f.domain, b.digests);
    verifyAcknowledgement(b.f.domain, b.lagAccount, rogue.inclusions[0]!);
    await (await anchorAcknowledgement(b.ledger, b.ack)).wait();
    await expectCodeAsync(
      verifyAcknowledgementOnChain(b.f.domain, b.lagAccount, rogue.inclusions[0]!, b.f.registry as unknown as KeyRegistry, b.ledger),
      "NOT_ACKNOWLEDGED",
    );
    // A genuine acknowledgement whose root was never anchored.
    const later = await acknowledgeAuthentications(b.world.ctx(), b.f.keys.aggregator!, b.lagAccount, b.f.domain, [outsider.digest, ...b.digests.slice(0, 1)]);
    await expectCodeAsync(
      verifyAcknowledgementOnChain(b.f.domain, b.lagAccount, later.inclusions[0]!, b.f.registry as unknown as KeyRegistry, b.ledger),
      "NOT_ACKNOWLEDGED",
    );
  });

  it("should acknowledge every kind of run in one batch: authentications, hidden answers, masked reports", async function () {
    const f = await connection.networkHelpers.loadFixture(fixture);
    const world = new World(await fastBackend(), { members: 6, ringSize: 3 });
    world.clock.now = BigInt(await connection.networkHelpers.time.latest());
    const base = world.lag();
    const log = new RunLog();
    const auth = new LagAuthenticator(world.ctx(), base.identity, world.ca.publicKeys, base.groups, { log });
    const toCa = openLagCaChannel(world.b, base.identity, world.ca.publicKeys);
    const requests = new CaDischargeDesk(world.ca);
    const discharge = new LagDischargeDesk(world.ctx(), world.ca.publicKeys, toCa, log);
    const status = new LagStatusDesk(world.ctx(), base.identity.lagId, world.ca.publicKeys, toCa, log);
    const request = requests.issue(base.identity.lagId, 0n, 100n, world.clock.now, world.clock.now + 600n);
    const kept: { digests: string[] }[] = [];
    for (const i of [0, 3]) {
      const run = world.run(i);
      const accepted = auth.onResponse(run.onChallenge(auth.challenge()));
      const vehicle = run.onConfirm(accepted.confirm);
      const vd = new VehicleDischarge(world.ctx(), vehicle, world.ca.publicKeys, world.vehicles[i]!.credential);
      vd.onOffer(discharge.offer(accepted.session, request));
      const answer = vd.answer(decodeMessage("DischargeRequest", request).requestId, i === 0);
      discharge.onAnswer(accepted.session, answer);
      const report = new VehicleStatusReport(world.ctx(), vehicle, world.ca.publicKeys, world.vehicles[i]!.credential).report(BigInt(100 * i), status.announce(accepted.session));
      status.onReport(accepted.session, report);
      kept.push({ digests: [vehicle.digest, messageDigest(answer), messageDigest(report)] });
    }
    const entries = log.take();
    expect(entries.map((e) => e.kind).sort()).to.deep.equal(["authentication", "authentication", "discharge-answer", "discharge-answer", "status-report", "status-report"]);
    const lagAccount = f.participants.aggregator.address;
    const { ack, inclusions } = await acknowledgeAuthentications(world.ctx(), f.keys.aggregator!, lagAccount, f.domain, entries.map((e) => e.digest));
    await (await anchorAcknowledgement(f.ledger.connect(f.participants.aggregator) as unknown as AuthLedger, ack)).wait();
    for (const vehicle of kept) {
      for (const digest of vehicle.digests) {
        const inclusion = inclusions.find((x) => x.digest === digest)!;
        await verifyAcknowledgementOnChain(f.domain, lagAccount, inclusion, f.registry as unknown as KeyRegistry, f.ledger as unknown as AuthLedger);
      }
    }
  });

  it("should read the committed group from the registry, with membership proofs that verify on-chain", async function () {
    const f = await connection.networkHelpers.loadFixture(fixture);
    const world = new World(await fastBackend(), { members: 7, ringSize: 3 });
    const members = world.members.map((k) => k.publicKey);
    const groupIdHex = `0x${bytesToHex(world.groupId)}`;
    await f.registry.publishGroupRoot(groupIdHex, `0x${bytesToHex(groupRoot(members))}`, members.length);
    const directory = new GroupDirectory();
    const record = await loadGroupVersion(f.registry as unknown as GroupRegistryReader, directory, world.groupId, world.attribute);
    expect(record.version).to.equal(1n);
    expect(bytesToHex(record.root)).to.equal(bytesToHex(world.ca.groups.get(world.groupId, 1n).root));
    for (const member of members) {
      expect(await f.registry.isGroupMember(groupIdHex, 1, `0x${bytesToHex(member)}`, membershipProof(members, member))).to.equal(true);
    }
    directory.addMembers(world.groupId, 1n, members);
    const lag = world.lag();
    const auth = new LagAuthenticator(world.ctx(), lag.identity, world.ca.publicKeys, directory);
    const run = world.run(6);
    expect(auth.onResponse(run.onChallenge(auth.challenge())).session.attribute).to.equal(world.attribute);
    expectCode(() => directory.addMembers(world.groupId, 1n, members.slice(1)), "NOT_IN_GROUP");
    await expectCodeAsync(loadGroupVersion(f.registry as unknown as GroupRegistryReader, directory, new Uint8Array(32), "none"), "UNKNOWN_GROUP");
  });

  it("should keep identities off the chain: the anchor holds a root, the receipt a random batch id", async function () {
    const b = await batch();
    const tx = await anchorAcknowledgement(b.ledger, b.ack);
    await tx.wait();
    const receipt = await connection.ethers.provider.getTransactionReceipt(tx.hash);
    const logData = receipt!.logs.map((l) => [...l.topics, l.data].join("")).join("").toLowerCase();
    for (const vehicle of b.vehicles) expect(logData).to.not.include(vehicle.digest.slice(2));
    for (const key of b.world.members) expect(logData).to.not.include(Buffer.from(key.publicKey).toString("hex"));
  });
});
