/**
 * Accountable anonymity on-chain: an arbiter records an escrow dispute naming an authentication's
 * transcript digest and a real dispute recorded on-chain (over anchored evidence, or a settlement
 * dispute); a second arbiter approves; only then does the CA open the escrow, and it records the
 * opening with a salted commitment to the opened key. Write-once, role-checked, parity with TypeScript.
 */
import { expect } from "chai";
import { ContractFactory, hexlify, randomBytes, Wallet, ZeroHash } from "ethers";
import { loadArtifact } from "../../src/chain/artifacts.js";
import { deployEscrowOpenings } from "../../src/chain/deploy.js";
import { bytesToHex } from "../../src/crypto/index.js";
import { authDigest, openEscrowForDispute, openingCommitment, type AuthTranscript } from "../../src/protocol/index.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { escrowFixture, mockDisputeRecordsAt } from "./helpers/escrowOpenings.js";
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

  const fixture = () => escrowFixture(connection);
  const load = () => connection.networkHelpers.loadFixture(fixture);
  type F = Awaited<ReturnType<typeof fixture>>;

  /** Records an escrow dispute on the fixture's evidence dispute, approved by both arbiters. */
  async function approved(f: F, disputeId: string, digest: string, reason = rand()) {
    await (await f.arbiter.recordDispute(disputeId, f.ledgerAddress, f.grounds, digest, reason)).wait();
    await (await f.second.approveOpening(disputeId)).wait();
  }

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
    await expect(f.arbiter.recordDispute(disputeId, f.ledgerAddress, f.grounds, digest, reason))
      .to.emit(f.escrow, "OpeningRequested")
      .withArgs(disputeId, digest, f.participants.arbiter.address, reason, (t: bigint) => t > 0n)
      .and.to.emit(f.escrow, "OpeningGrounds")
      .withArgs(disputeId, f.ledgerAddress, f.grounds);
    // One approval of two: the CA refuses before decrypting anything, the contract refuses too.
    await expectCodeAsync(openEscrowForDispute(world.ca, f.ca, disputeId, transcripts[1]!), "NO_DISPUTE");
    await expect(f.ca.recordOpening(disputeId, rand()))
      .to.be.revertedWithCustomError(f.escrow, "EscrowNotEnoughApprovals")
      .withArgs(disputeId, 1, 2);
    await expect(f.second.approveOpening(disputeId)).to.emit(f.escrow, "OpeningApproved").withArgs(disputeId, f.secondArbiter.address, 2);
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
    await expect(f.arbiter.recordDispute(disputeId, f.ledgerAddress, f.grounds, digest, reason)).to.be.revertedWithCustomError(f.escrow, "EscrowDisputeAlreadyRecorded").withArgs(disputeId);
  });

  it("should refuse before decrypting once an approver lost its arbiter role", async function () {
    const f = await load();
    const disputeId = rand();
    await approved(f, disputeId, authDigest(transcripts[0]!));
    await (await f.registry.connect(f.admin).revokeRole(f.roles.ARBITER, f.secondArbiter.address)).wait();
    await expectCodeAsync(openEscrowForDispute(world.ca, f.ca, disputeId, transcripts[0]!), "NO_DISPUTE");
    expect(await f.escrow.isOpened(disputeId)).to.equal(false);
  });

  it("should refuse to open an authentication the dispute does not name", async function () {
    const f = await load();
    const disputeId = rand();
    await approved(f, disputeId, authDigest(transcripts[0]!));
    await expectCodeAsync(openEscrowForDispute(world.ca, f.ca, disputeId, transcripts[1]!), "DISPUTE_MISMATCH");
    expect(await f.escrow.isOpened(disputeId)).to.equal(false);
  });

  it("should validate inputs and roles with custom errors", async function () {
    const f = await load();
    const digest = rand();
    await expect(f.arbiter.recordDispute(ZeroHash, f.ledgerAddress, f.grounds, digest, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidDispute").withArgs(ZeroHash, digest);
    const disputeId = rand();
    await expect(f.arbiter.recordDispute(disputeId, f.ledgerAddress, f.grounds, ZeroHash, rand())).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidDispute").withArgs(disputeId, ZeroHash);
    await approved(f, disputeId, digest);
    await expect(f.ca.recordOpening(disputeId, ZeroHash)).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidCommitment").withArgs(disputeId);
    await expect(f.escrow.openingOf(disputeId)).to.be.revertedWithCustomError(f.escrow, "EscrowNotOpened").withArgs(disputeId);
    // The arbiter cannot open, the CA cannot record a dispute.
    await expect(f.arbiter.recordOpening(disputeId, rand()))
      .to.be.revertedWithCustomError(f.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(f.participants.arbiter.address, f.roles.REGISTRAR);
    await expect(f.ca.recordDispute(rand(), f.ledgerAddress, f.grounds, rand(), rand()))
      .to.be.revertedWithCustomError(f.escrow, "AccessControlUnauthorizedAccount")
      .withArgs(f.registrar.address, f.roles.ARBITER);
    expect(await f.escrow.REGISTRY()).to.equal(f.registryAddress);
  });

  it("should refuse an escrow dispute that points at no real dispute record", async function () {
    const f = await load();
    const disputeId = rand();
    const digest = authDigest(transcripts[0]!);
    // The ledger knows no dispute 2 (only 1 was recorded).
    const none = hexlify(new Uint8Array(31)) + "02";
    await expect(f.arbiter.recordDispute(disputeId, f.ledgerAddress, none, digest, rand()))
      .to.be.revertedWithCustomError(f.escrow, "EscrowNoDisputeRecord")
      .withArgs(f.ledgerAddress, none);
    // A "dispute" recorded in a contract of the arbiter's own, unknown to the deployment.
    const artifact = loadArtifact("MockDisputeRecords", "test/MockDisputeRecords.sol");
    const own = await new ContractFactory(artifact.abi as never[], artifact.bytecode, f.participants.arbiter).deploy();
    await own.waitForDeployment();
    await (await (own as unknown as { openDispute(id: string): Promise<{ wait(): Promise<unknown> }> }).openDispute(disputeId)).wait();
    await expect(f.arbiter.recordDispute(disputeId, await own.getAddress(), disputeId, digest, rand()))
      .to.be.revertedWithCustomError(f.escrow, "EscrowUnknownRecorder")
      .withArgs(await own.getAddress());
    // A settlement dispute (the stand-in recorder the deployment knows) is valid grounds.
    const settlementDispute = hexlify(new Uint8Array(31)) + "07";
    const mock = mockDisputeRecordsAt(f);
    await expect(f.arbiter.recordDispute(disputeId, await mock.getAddress(), settlementDispute, digest, rand()))
      .to.be.revertedWithCustomError(f.escrow, "EscrowNoDisputeRecord");
    await (await mock.connect(f.participants.supplierA).openDispute(settlementDispute)).wait();
    await expect(f.arbiter.recordDispute(disputeId, await mock.getAddress(), settlementDispute, digest, rand())).to.emit(f.escrow, "OpeningGrounds");
    expect((await f.escrow.disputeOf(disputeId)).recorder).to.equal(await mock.getAddress());
  });

  it("should never let the CA request or approve an opening, even holding the arbiter role", async function () {
    const f = await load();
    // The default admin (not the registrar) makes the CA an arbiter as well.
    await (await f.registry.connect(f.admin).grantRole(f.roles.ARBITER, f.registrar.address)).wait();
    const digest = authDigest(transcripts[0]!);
    const own = rand();
    await expect(f.ca.recordDispute(own, f.ledgerAddress, f.grounds, digest, rand()))
      .to.be.revertedWithCustomError(f.escrow, "EscrowApproverNotIndependent")
      .withArgs(own, f.registrar.address);
    const byArbiter = rand();
    await (await f.arbiter.recordDispute(byArbiter, f.ledgerAddress, f.grounds, digest, rand())).wait();
    await expect(f.ca.approveOpening(byArbiter))
      .to.be.revertedWithCustomError(f.escrow, "EscrowApproverNotIndependent")
      .withArgs(byArbiter, f.registrar.address);
    expect(await f.escrow.hasApproved(byArbiter, f.registrar.address)).to.equal(false);
  });

  it("should count each arbiter's approval once", async function () {
    const f = await load();
    const disputeId = rand();
    await (await f.arbiter.recordDispute(disputeId, f.ledgerAddress, f.grounds, authDigest(transcripts[0]!), rand())).wait();
    expect(await f.escrow.hasApproved(disputeId, f.participants.arbiter.address)).to.equal(true);
    await expect(f.arbiter.approveOpening(disputeId))
      .to.be.revertedWithCustomError(f.escrow, "EscrowAlreadyApproved")
      .withArgs(disputeId, f.participants.arbiter.address);
    const unknown = rand();
    await expect(f.second.approveOpening(unknown)).to.be.revertedWithCustomError(f.escrow, "EscrowUnknownDispute").withArgs(unknown);
    expect((await f.escrow.disputeOf(disputeId)).approvals).to.equal(1n);
    expect(await f.escrow.THRESHOLD()).to.equal(2n);
  });

  it("should take dispute recorders only from the default admin, each once, and a threshold of at least one", async function () {
    const f = await load();
    await expect(f.escrow.connect(f.admin).addDisputeRecorder(f.ledgerAddress))
      .to.be.revertedWithCustomError(f.escrow, "EscrowInvalidRecorder")
      .withArgs(f.ledgerAddress);
    const eoa = Wallet.createRandom().address;
    await expect(f.escrow.connect(f.admin).addDisputeRecorder(eoa)).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidRecorder").withArgs(eoa);
    await expect(f.escrow.connect(f.admin).addDisputeRecorder(f.registryAddress)).to.emit(f.escrow, "DisputeRecorderAdded").withArgs(f.registryAddress);
    expect(await f.escrow.isDisputeRecorder(f.registryAddress)).to.equal(true);
    await expect(deployEscrowOpenings(f.admin, f.registryAddress, { threshold: 0 })).to.be.revertedWithCustomError(f.escrow, "EscrowInvalidThreshold").withArgs(0);
  });
});
