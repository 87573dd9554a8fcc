/**
 * Accountable anonymity on-chain: an arbiter records a dispute naming an authentication's
 * transcript digest; only then does the CA open the escrow, and it records the opening with a
 * salted commitment to the opened key. Write-once, role-checked, parity with TypeScript.
 */
import { expect } from "chai";
import { hexlify, randomBytes, ZeroHash } from "ethers";
import { bytesToHex } from "../../src/crypto/index.js";
import { authDigest, openEscrowForDispute, openingCommitment, type AuthTranscript } from "../../src/protocol/index.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { ensureEscrowOpenings } from "./helpers/escrowOpenings.js";
import { expectCodeAsync, fastBackend, World } from "./helpers/world.js";

const rand = () => hexlify(randomBytes(32));

describe("Protocol: escrow opening only for a dispute recorded on-chain", function () {
  let connection: TestConnection;
  let world: World;
  let transcripts: AuthTranscript[];

  before(async function () {
    connection = await createNetwork();
    world = new World(await fastBackend(), { members: 6, ringSize: 3 });
    const lag = world.lag();
    transcripts = [0, 4].map((i) => world.authenticate(i, lag).vehicle.transcript);
  });

  async function fixture() {
    const f = await evidenceFixture(connection);
    const escrow = await ensureEscrowOpenings(f);
    return { ...f, escrow, arbiter: escrow.connect(f.participants.arbiter), ca: escrow.connect(f.registrar) };
  }
  const load = () => connection.networkHelpers.loadFixture(fixture);

  it("should refuse to open without an on-chain dispute, and record nothing", async function () {
    const f = await load();
    const disputeId = rand();
    await expectCodeAsync(openEscrowForDispute(world.ca, f.ca, disputeId, transcripts[0]!), "NO_DISPUTE");
    expect(await f.escrow.isOpened(disputeId)).to.equal(false);
    await expect(f.escrow.disputeOf(disputeId)).to.be.revertedWithCustomError(f.escrow, "EscrowUnknownDispute").withArgs(disputeId);
    await expect(f.ca.recordOpening(disputeId, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowUnknownDispute").withArgs(disputeId);
  });

  it("should open to the right key once the arbiter recorded the dispute, and record the opening", async function () {
    const f = await load();
    const disputeId = rand();
    const reason = rand();
    const digest = authDigest(transcripts[1]!);
    await expect(f.arbiter.recordDispute(disputeId, digest, reason))
      .to.emit(f.escrow, "OpeningRequested")
      .withArgs(disputeId, digest, f.participants.arbiter.address, reason, (t: bigint) => t > 0n);
    const opening = await openEscrowForDispute(world.ca, f.ca, disputeId, transcripts[1]!);
    expect(bytesToHex(opening.publicKey)).to.equal(bytesToHex(world.members[4]!.publicKey));
    expect(await f.escrow.isOpened(disputeId)).to.equal(true);
    const recorded = await f.escrow.openingOf(disputeId);
    expect(recorded.commitment).to.equal(opening.commitment);
    expect(recorded.opener).to.equal(f.registrar.address);
    // The arbiter checks the disclosed key and salt against the chain.
    const key = `0x${bytesToHex(opening.publicKey)}`;
    expect(await f.escrow.verifyOpening(disputeId, opening.salt, key)).to.equal(true);
    expect(await f.escrow.verifyOpening(disputeId, opening.salt, `0x${bytesToHex(world.members[0]!.publicKey)}`)).to.equal(false);
    // Parity of the commitment on both sides; the event holds the commitment, never the key.
    expect(await f.escrow.openingCommitment(disputeId, opening.salt, key)).to.equal(openingCommitment(disputeId, opening.salt, opening.publicKey));
    const receipt = await connection.ethers.provider.getTransactionReceipt(opening.txHash);
    const log = receipt!.logs.map((l) => f.escrow.interface.parseLog(l)).find((l) => l?.name === "EscrowOpened");
    expect([...log!.args].slice(0, 4)).to.deep.equal([disputeId, f.participants.arbiter.address, f.registrar.address, opening.commitment]);
    expect(receipt!.logs.map((l) => l.data + l.topics.join("")).join("")).to.not.include(key.slice(2));
    // Write-once.
    await expectCodeAsync(openEscrowForDispute(world.ca, f.ca, disputeId, transcripts[1]!), "ALREADY_OPENED");
    await expect(f.ca.recordOpening(disputeId, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowAlreadyOpened").withArgs(disputeId);
    await expect(f.arbiter.recordDispute(disputeId, digest, reason)).to.be.revertedWithCustomError(f.escrow, "EscrowDisputeAlreadyRecorded").withArgs(disputeId);
  });

  it("should refuse to open an authentication the dispute does not name", async function () {
    const f = await load();
    const disputeId = rand();
    await f.arbiter.recordDispute(disputeId, authDigest(transcripts[0]!), rand());
    await expectCodeAsync(openEscrowForDispute(world.ca, f.ca, disputeId, transcripts[1]!), "DISPUTE_MISMATCH");
    expect(await f.escrow.isOpened(disputeId)).to.equal(false);
  });

  it("should validate inputs and roles with custom errors", async function () {
    const f = await load();
    const digest = rand();
    await expect(f.arbiter.recordDispute(ZeroHash, digest, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidDispute").withArgs(ZeroHash, digest);
    const disputeId = rand();
    await expect(f.arbiter.recordDispute(disputeId, ZeroHash, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidDispute").withArgs(disputeId, ZeroHash);
    await f.arbiter.recordDispute(disputeId, digest, rand());
    await expect(f.ca.recordOpening(disputeId, ZeroHash)).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidCommitment").withArgs(disputeId);
    await expect(f.escrow.openingOf(disputeId)).to.be.revertedWithCustomError(f.escrow, "EscrowNotOpened").withArgs(disputeId);
    // The arbiter cannot open, the CA cannot record a dispute.
    await expect(f.arbiter.recordOpening(disputeId, rand()))
      .to.be.revertedWithCustomError(f.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(f.participants.arbiter.address, f.roles.REGISTRAR);
    await expect(f.ca.recordDispute(rand(), rand(), rand()))
      .to.be.revertedWithCustomError(f.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(f.registrar.address, f.roles.ARBITER);
    expect(await f.escrow.REGISTRY()).to.equal(f.registryAddress);
  });
});
