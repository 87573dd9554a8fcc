/**
 * A claim whose CDR the home supplier's bot disputes: `dispute show <claim>` finds the disputed
 * CDR's session in the host's evidence store, writes its bundle, and `arbiter rule` rules on the
 * dispute from it. Attacks first: a party to the claim cannot rule (exit 4), nobody rules twice (5).
 * The escrow opening of that recorded dispute: `arbiter approve-opening` by the second arbiter
 * (threshold 2); an approval by a non-arbiter or a second one by the same arbiter is refused (4).
 */
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { HDNodeWallet, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { writeDeployments } from "../../src/chain/deployAll.js";
import type { CliDeps } from "../../src/cli/context.js";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { periodOfEnd } from "../../src/settlement/cdrTree.js";
import { submitHandmadeClaim } from "../settlement/botHelpers/handmadeClaim.js";
import { createWorld, PERIOD_SECONDS, settle, type World } from "../settlement/botHelpers/world.js";

const account = (i: number) => HDNodeWallet.fromPhrase("test test test test test test test test test test test junk", undefined, `m/44'/60'/0'/0/${i}`);
/** The in-process network's second account (the world's arbiter), from Hardhat's default mnemonic. */
const ARBITER_KEY = account(1).privateKey;
/** Its third account: a second arbiter for escrow openings (threshold 2). */
const SECOND_ARBITER = account(2);

/**
 * A claim of the world's host against its home whose second leaf claims more than its CDR was
 * signed for; the home's bot disputes it on-chain. With a deployments file of the world, key files
 * of the arbiter and the host, and `v2g` in-process against the world's chain.
 */
async function disputedClaim(w: World) {
  const cdrs = [
    await w.signCdr(w.host, w.home, { amount: 1_000_000n }),
    await w.signCdr(w.host, w.home, { amount: 2_000_000n }),
  ];
  w.host.store.putMessages(cdrs);
  const period = periodOfEnd(cdrs[0]!.body.end, PERIOD_SECONDS);
  // The second leaf claims more than its CDR was signed for: the home bot disputes it.
  const claim = await submitHandmadeClaim(w, w.host, w.home, {
    period, messages: cdrs, leaves: cdrs.map((m, i) => ({ digest: m.digest, amount: i === 1 ? 2_500_000n : m.body.amount })),
  });
  const home = await w.openBot(w.home);
  await settle(w, [home], async () => (await w.events("CdrDisputed")).length === 1);

  const deployments = join(w.dir, "deployments.json");
  const at = (address: string) => ({ address, block: w.startBlock });
  writeDeployments(deployments, {
    network: "test", chainId: w.core.chainId.toString(), deployer: w.admin.address, startBlock: w.startBlock,
    contracts: {
      ParticipantRegistry: at(w.core.registryAddress), EvidenceLedger: at(w.core.ledgerAddress), RoamingSettlement: at(w.settlementAddress),
      EscrowOpenings: at(w.core.escrowOpeningsAddress), SettlementToken: at(await w.token.getAddress()),
    },
    settings: {
      admin: null, registrar: null, registryAdminDelay: 0, escrowThreshold: 2, token: null,
      settlement: { challengeWindow: 14_400, periodSeconds: 3600, claimGrace: 7200, withdrawalNotice: 28_800, adminDelay: 0, disputeFee: "0" },
    },
  });
  const keys = { arbiter: join(w.dir, "arbiter.hex"), second: join(w.dir, "second-arbiter.hex"), host: join(w.dir, "host.hex") };
  writeFileSync(keys.arbiter, ARBITER_KEY);
  writeFileSync(keys.second, SECOND_ARBITER.privateKey);
  writeFileSync(keys.host, w.host.wallet.privateKey);
  const deps: CliDeps = { connect: async () => ({ provider: w.ethers.provider, close: () => undefined }), env: {} };
  const v2g = async (...argv: string[]) => {
    const io = bufferIo();
    const code = await runCli(argv, io, deps);
    return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
  };
  const disputed = (await w.events("CdrDisputed"))[0]!.args as unknown as { disputeId: bigint };
  return { cdrs, claim, deployments, keys, v2g, disputeId: disputed.disputeId };
}

describe("CLI: dispute show of a claim and the arbiter's ruling", function () {
  this.timeout(120_000);
  let w: World;
  afterEach(async () => w?.close());

  it("should resolve a disputed claim to its CDR's session, and let only an arbiter rule on it, once", async () => {
    w = await createWorld();
    const { cdrs, claim, deployments, keys, v2g, disputeId } = await disputedClaim(w);

    const bundle = join(w.dir, "disputed.json");
    const claimId = claim.claimId.toString();
    const shown = await v2g("dispute", "show", claimId, "--store", w.host.storePath, "--deployments", deployments, "--out", bundle, "--json");
    const data = JSON.parse(shown.out) as { kind: string; sessionId: string; disputes: unknown[] };
    expect(data.kind).to.equal("claim");
    expect(data.sessionId).to.equal(cdrs[1]!.header.sessionId.toLowerCase());
    expect(data.disputes).to.deep.equal([{ kind: "cdr", disputeId: disputeId.toString(), claimId, cdrDigest: cdrs[1]!.digest.toLowerCase(), amount: "2500000" }]);
    // The CDR was never receipted in this store: the bundle says so, item by item.
    expect(shown.code).to.equal(ExitCode.Negative);

    const rule = (key: string, ...extra: string[]) =>
      v2g("arbiter", "rule", claimId, cdrs[1]!.digest, "--outcome", "upheld", "--bundle", bundle, "--deployments", deployments, "--key-file", key, ...extra);
    const byParty = await rule(keys.host);
    expect(byParty.code, byParty.err).to.equal(ExitCode.Refused);
    expect(byParty.err).to.match(/^error: resolveDispute reverted with AccessControlUnauthorizedAccount \[REVERTED\] \(AccessControlUnauthorizedAccount\(/);
    const ruled = await rule(keys.arbiter, "--json");
    expect(ruled.code, ruled.out).to.equal(ExitCode.Ok);
    const r = JSON.parse(ruled.out) as { disputeId: string; upheld: boolean; bundleDigest: string };
    expect(r.bundleDigest).to.equal(keccak256(readFileSync(bundle)));
    const onChain = await w.settlement.disputeOf(r.disputeId);
    expect(onChain.bundleDigest).to.equal(r.bundleDigest);
    expect(onChain.resolvedAt).to.be.greaterThan(0n);
    const again = await rule(keys.arbiter);
    expect(again.code).to.equal(ExitCode.NotFound);
    expect(again.err).to.match(/has no open dispute of CDR .* \(it was ruled on\)/);
  });

  it("should approve the escrow opening of a recorded dispute by the second arbiter, and refuse a second approval or a non-arbiter's (exit 4)", async () => {
    w = await createWorld();
    const { deployments, keys, v2g, disputeId } = await disputedClaim(w);
    const registry = w.core.registry;
    await (await registry.grantRole(await registry.ARBITER_ROLE(), SECOND_ARBITER.address)).wait();
    // The first arbiter records an escrow dispute grounded in the settlement's dispute record.
    const escrow = w.core.escrowOpenings;
    const recordId = toBeHex(disputeId, 32);
    expect((await w.settlement.disputeRecordOf(recordId)).openedBy).to.equal(w.home.wallet.address);
    const escrowId = keccak256(toUtf8Bytes(`escrow-opening:${w.settlementAddress}:${recordId}`));
    await (await escrow.connect(w.arbiter).recordDispute(escrowId, w.settlementAddress, recordId, keccak256(toUtf8Bytes("the session's authentication")), keccak256(toUtf8Bytes("SESSION_ALREADY_BILLED")))).wait();
    expect(await escrow.currentApprovals(escrowId)).to.equal(1n);

    const approve = (key: string, ...extra: string[]) => v2g("arbiter", "approve-opening", escrowId, "--deployments", deployments, "--key-file", key, ...extra);
    // Attacks first: someone who is no arbiter, and the arbiter who recorded it, approving again.
    const byHost = await approve(keys.host);
    expect(byHost.code, byHost.err).to.equal(ExitCode.Refused);
    expect(byHost.err).to.match(/^error: approveOpening reverted with AccessControlUnauthorizedAccount \[REVERTED\] \(AccessControlUnauthorizedAccount\(/);
    expect(byHost.err.split("\n")).to.have.length(1);
    const byRecorder = await approve(keys.arbiter);
    expect(byRecorder.code, byRecorder.err).to.equal(ExitCode.Refused);
    expect(byRecorder.err).to.match(/^error: approveOpening reverted with EscrowAlreadyApproved \[REVERTED\] \(EscrowAlreadyApproved\(/);
    expect(await escrow.currentApprovals(escrowId)).to.equal(1n);

    const approved = await approve(keys.second, "--json");
    expect(approved.code, approved.err).to.equal(ExitCode.Ok);
    expect(JSON.parse(approved.out)).to.deep.include({ disputeId: escrowId, approvals: 2 });
    expect(await escrow.hasApproved(escrowId, SECOND_ARBITER.address)).to.equal(true);
    expect(await escrow.currentApprovals(escrowId)).to.equal(await escrow.THRESHOLD());

    const twice = await approve(keys.second);
    expect(twice.code, twice.err).to.equal(ExitCode.Refused);
    expect(twice.err).to.match(/^error: approveOpening reverted with EscrowAlreadyApproved \[REVERTED\] \(EscrowAlreadyApproved\(/);
    expect(await escrow.currentApprovals(escrowId)).to.equal(2n);
    // A dispute nobody recorded, and an id that is not one.
    const unknown = await v2g("arbiter", "approve-opening", keccak256(toUtf8Bytes("nothing recorded")), "--deployments", deployments, "--key-file", keys.second);
    expect(unknown.code).to.equal(ExitCode.Refused);
    expect(unknown.err).to.match(/EscrowUnknownDispute/);
    const malformed = await v2g("arbiter", "approve-opening", "0x1234", "--deployments", deployments, "--key-file", keys.second);
    expect(malformed.code).to.equal(ExitCode.Usage);
    expect(malformed.err.split("\n")).to.have.length(1);
  });
});
