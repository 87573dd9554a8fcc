import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBytes32String, getAddress, parseEther, Wallet, type EventLog, type HDNodeWallet } from "ethers";
import { deployAll, writeDeployments } from "../../src/chain/deployAll.js";
import type { FlowParty } from "../../src/charging/flowEvidence.js";
import { readBundle } from "../../src/evidence/bundle.js";
import { SnapshotChainView } from "../../src/evidence/chainView.js";
import { registerSigningKey } from "../../src/evidence/keys.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { evidenceDomain } from "../../src/evidence/types.js";
import { verifyBundle } from "../../src/evidence/verify.js";
import { reportSchema } from "../../src/report/schema.js";
import { runSettlementDay, type SettlementDayOutcome } from "../../src/scenario/day/settlement.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { RpcProxy } from "../helpers/rpcProxy.js";
import { roamingSession } from "./settlementSessions.js";

const PERIOD = 3600;
const TIMING = { challengeWindow: 4 * 3600, periodSeconds: PERIOD, claimGrace: 2 * 3600, withdrawalNotice: 8 * 3600 };
const COLLATERAL = 1_000_000_000n;

interface Supplier {
  id: string;
  name: string;
  wallet: HDNodeWallet;
  party: FlowParty;
  evse: FlowParty;
  storePath: string;
  store: EvidenceStore;
}

describe("the day's settlement: three suppliers' bots, a CDR billed twice, the home's dispute, the arbiter's ruling", function () {
  this.timeout(600_000);
  let connection: TestConnection;
  let proxy: RpcProxy;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "settlement-day-"));
  });
  after(async () => {
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should settle every honest CDR, not the second bill, conserve the money and withdraw the gains", async () => {
    connection = await createNetwork();
    const { ethers, networkHelpers } = connection;
    const [admin] = await ethers.getSigners();
    const arbiter = Wallet.createRandom();
    await (await admin!.sendTransaction({ to: arbiter.address, value: parseEther("1") })).wait();
    const deployed = await deployAll(admin!, { settlement: TIMING });
    const deploymentsFile = join(dir, "deployments", "localhost.json");
    writeDeployments(deploymentsFile, deployed.deployment);
    const { token, settlement, settlementAddress, startBlock, registry } = deployed;
    const core = { chainId: deployed.chainId, ledgerAddress: deployed.ledgerAddress, registryAddress: deployed.registryAddress };
    const events = async (name: string) => (await settlement.queryFilter(settlement.filters[name]!())) as EventLog[];
    const role = async (name: string) => (await registry[`${name}_ROLE`]()) as string;
    await (await registry.grantRole(await role("ARBITER"), arbiter.address)).wait();
    proxy = await RpcProxy.start(connection.provider);
    const domain = evidenceDomain(core.chainId, core.ledgerAddress);
    const keyFrom = BigInt(await networkHelpers.time.latest()) + 60n;

    // The day's world: three suppliers, each with a charger (a meter party with its own key).
    const registered = async (wallet: HDNodeWallet, roles: string[]): Promise<FlowParty> => {
      const key = Wallet.createRandom();
      for (const r of roles) await (await registry.grantRole(await role(r), wallet.address)).wait();
      await registerSigningKey(registry, key, { participant: wallet.address, validFrom: keyFrom, validUntil: keyFrom + 365n * 86_400n }, { consent: wallet });
      return { address: wallet.address, key };
    };
    const suppliers: Supplier[] = [];
    for (const [id, name] of [["north", "North Energy"], ["south", "South Power"], ["west", "West Utility"]] as const) {
      const wallet = Wallet.createRandom().connect(ethers.provider);
      const evseWallet = Wallet.createRandom();
      await (await admin!.sendTransaction({ to: wallet.address, value: parseEther("10") })).wait();
      await (await token.mint(wallet.address, COLLATERAL)).wait();
      const storePath = join(dir, `${id}-evidence.sqlite`);
      suppliers.push({
        id, name, wallet, party: await registered(wallet, ["SUPPLIER", "SUBMITTER"]), evse: await registered(evseWallet, ["METER"]), storePath,
        store: EvidenceStore.open(storePath, { domain: { chainId: core.chainId, verifyingContract: core.ledgerAddress } }),
      });
    }
    const [north, south, west] = suppliers as [Supplier, Supplier, Supplier];

    // Sessions of the day's last period: roaming customers charge at another supplier's charger.
    const now = await networkHelpers.time.latest();
    const periodStart = (Math.floor(now / PERIOD) + 1) * PERIOD;
    const evseStore = EvidenceStore.open(":memory:", { domain: { chainId: core.chainId, verifyingContract: core.ledgerAddress } });
    const session = (host: Supplier, home: Supplier, at: number, stepsWh: number[]) =>
      roamingSession(domain, { host: host.party, hostStore: host.store, home: home.party, homeStore: home.store, evse: host.evse, evseStore }, {
        start: BigInt(periodStart + at), stepsWh, priceMicroPerKWh: 250_000n,
      });
    const cdrs = {
      northForSouth: [await session(north, south, 60, [1500, 2000]), await session(north, south, 600, [3000, 1000, 500])],
      northForWest: [await session(north, west, 900, [2200])],
      southForWest: [await session(south, west, 300, [4000, 4000, 3000])],
      westForNorth: [await session(west, north, 1200, [1800, 1800])],
    };
    evseStore.close();
    for (const s of suppliers) s.store.close();
    const amountOf = (xs: { body: { amount: bigint } }[]) => xs.reduce((a, c) => a + c.body.amount, 0n);
    await networkHelpers.time.increaseTo(periodStart + 3300); // the day's charging is over

    const lines: string[] = [];
    const outcome: SettlementDayOutcome = await runSettlementDay({
      rpcUrl: proxy.url, chainId: core.chainId,
      deployment: {
        registry: core.registryAddress, ledger: core.ledgerAddress, settlement: settlementAddress, escrowOpenings: deployed.escrowOpeningsAddress,
        token: deployed.tokenAddress, startBlock,
      },
      deploymentsFile,
      suppliers: suppliers.map((s) => ({ id: s.id, name: s.name, accountKey: s.wallet.privateKey, signer: s.party, storePath: s.storePath })),
      arbiters: [{ id: "arbiter", accountKey: arbiter.privateKey }],
      collateral: COLLATERAL, workDir: join(dir, "work"),
      // Relative moves only: the bots' transactions are mined meanwhile.
      advance: async (seconds) => {
        await connection.provider.request({ method: "evm_increaseTime", params: [seconds] });
        await connection.provider.request({ method: "evm_mine", params: [] });
      },
      log: (line) => void lines.push(line),
      stepTimeoutMs: 90_000,
    });

    // The home's bot, not the test, disputed the second bill of North's first session with South.
    const [sent] = cdrs.northForSouth;
    const disputes = await events("CdrDisputed");
    expect(disputes).to.have.length(1);
    const disputeTx = await ethers.provider.getTransaction(disputes[0]!.transactionHash);
    expect(getAddress(disputeTx!.from)).to.equal(south.wallet.address);
    const d = outcome.dispute;
    expect(d).to.include({ raisedBy: "South Power", reason: "SESSION_ALREADY_BILLED", outcome: "upheld", arbiter: "arbiter", amountPaid: "0" });
    expect(d.sessionId).to.equal(sent!.header.sessionId.toLowerCase());
    expect(d.cdrDigest).to.not.equal(sent!.digest.toLowerCase());
    const second = BigInt(d.amountClaimed);
    expect(second).to.equal(sent!.body.amount + sent!.body.amount / 2n);
    expect(d.command).to.equal(`npx v2g dispute show ${d.sessionId} --store ${north.storePath} --deployments ${deploymentsFile}`);
    // The second bill was delivered and receipted: the session's evidence is complete, every item verifies.
    expect(d.evidence.find((i) => i.digest === d.cdrDigest)).to.include({ type: "ChargeDetailRecord", from: "North Energy", to: "South Power", verdict: "valid" });
    expect(d.evidence.filter((i) => i.verdict !== "valid")).to.deep.equal([]);
    const ruled = readBundle(d.bundle);
    expect((await verifyBundle(ruled, new SnapshotChainView(ruled.chainState!))).ok).to.equal(true);
    const [ruling] = await events("DisputeResolved");
    expect([ruling!.args.upheld, ruling!.args.reduction, getAddress(ruling!.args.arbiter)]).to.deep.equal([true, second, arbiter.address]);

    // Every honest CDR paid, the second bill not: four claims, each paid its honest CDRs.
    const byPair = (host: string, home: string) => outcome.settlement.claims.find((c) => c.host === host && c.home === home)!;
    expect(outcome.settlement.claims).to.have.length(4);
    expect(byPair("North Energy", "South Power")).to.include({ cdrs: 3, amount: (amountOf(cdrs.northForSouth) + second).toString(), paid: amountOf(cdrs.northForSouth).toString(), status: "netted" });
    expect(byPair("North Energy", "West Utility")).to.include({ cdrs: 1, paid: amountOf(cdrs.northForWest).toString(), status: "netted" });
    expect(byPair("South Power", "West Utility")).to.include({ cdrs: 1, paid: amountOf(cdrs.southForWest).toString(), status: "netted" });
    expect(byPair("West Utility", "North Energy")).to.include({ cdrs: 1, paid: amountOf(cdrs.westForNorth).toString(), status: "netted" });

    // Netting: North gains from South and (net) from West; South gains from West.
    const northGain = amountOf(cdrs.northForSouth) + amountOf(cdrs.northForWest) - amountOf(cdrs.westForNorth);
    const southGain = amountOf(cdrs.southForWest) - amountOf(cdrs.northForSouth);
    const net = Object.fromEntries(outcome.settlement.net.map((n) => [n.supplier, n]));
    expect(BigInt(net["North Energy"]!.net)).to.equal(northGain);
    expect(BigInt(net["South Power"]!.net)).to.equal(southGain);
    expect(BigInt(net["West Utility"]!.net)).to.equal(-northGain - southGain);

    // Money conserved, checked from the chain again; the gains withdrawn in two steps after the notice.
    let held = 0n;
    for (const s of suppliers) {
      const balance = (await settlement.balanceOf(s.wallet.address)) as bigint;
      const tokens = (await token.balanceOf(s.wallet.address)) as bigint;
      held += balance + tokens;
      expect(outcome.money[s.id]).to.deep.equal({ deposited: COLLATERAL.toString(), balance: balance.toString(), withdrawn: tokens.toString() });
      const gain = BigInt(net[s.name]!.net);
      expect(tokens).to.equal(gain > 0n ? gain : 0n);
      expect(BigInt(net[s.name]!.withdrawn)).to.equal(tokens);
    }
    expect(held).to.equal(3n * COLLATERAL);
    expect(await token.balanceOf(settlementAddress)).to.equal(3n * COLLATERAL - BigInt(net["North Energy"]!.withdrawn) - BigInt(net["South Power"]!.withdrawn));
    const requested = await events("WithdrawalRequested");
    const withdrawn = await events("Withdrawn");
    expect([...new Set(requested.map((e) => getAddress(e.args.account)))].sort()).to.deep.equal([north.wallet.address, south.wallet.address].sort());
    for (const w of withdrawn) {
      const asked = requested.filter((r) => r.args.account === w.args.account && r.blockNumber < w.blockNumber).at(-1)!;
      expect((await ethers.provider.getBlock(w.blockNumber))!.timestamp).to.be.at.least(Number(asked.args.readyAt));
    }

    // Gas per operation from the receipts, and the report's parts match its schema.
    const ops = Object.fromEntries(outcome.gas.map((g) => [g.operation, g]));
    for (const op of ["approve", "deposit", "anchorBatch", "submitClaim", "acceptClaims", "disputeCdr", "resolveDispute", "netPair", "requestWithdrawal", "withdraw"]) {
      expect(ops[op], op).to.not.equal(undefined);
      expect(BigInt(ops[op]!.mean)).to.be.greaterThan(20_000n);
    }
    expect(ops.submitClaim!.count).to.equal(4);
    // Each (period, pair) with claims is netted exactly once (the dishonest host's second bill may
    // fall into the next period, when the bots are slow).
    const pairKey = (period: unknown, x: string, y: string) => `${period}:${[getAddress(x), getAddress(y)].sort().join()}`;
    const claimed = new Set((await events("ClaimSubmitted")).map((e) => pairKey(e.args.period, e.args.creditor, e.args.debtor)));
    const netted = (await events("PairNetted")).map((e) => pairKey(e.args.period, e.args.creditor, e.args.debtor));
    expect([...netted].sort()).to.deep.equal([...claimed].sort());
    expect(ops.netPair!.count).to.equal(claimed.size);
    // One netter per pair: nobody's transaction reverted.
    expect(outcome.gas.filter((g) => g.operation.endsWith("(reverted)"))).to.deep.equal([]);
    const shape = reportSchema.shape;
    shape.settlement.parse(outcome.settlement);
    shape.dispute.parse(outcome.dispute);
    shape.gas.parse(outcome.gas);
    shape.timeline.parse(outcome.timeline);
    expect(outcome.settlement.token).to.include({ address: await token.getAddress() });
    const { settledBy, ...escrow } = outcome.escrow;
    expect(escrow).to.deep.equal({
      sessionId: d.sessionId, recorder: settlementAddress, recordId: "0x" + BigInt(disputes[0]!.args.disputeId).toString(16).padStart(64, "0"),
      disputeId: BigInt(disputes[0]!.args.disputeId).toString(), openedBy: south.wallet.address,
    });
    // The settlement's end by its rules lies after its last transaction, whatever the bots' timing.
    const lastBlock = await ethers.provider.getBlock("latest");
    expect(settledBy).to.be.at.least(lastBlock!.timestamp);
    const [openedBy] = await settlement.disputeRecordOf(outcome.escrow.recordId);
    expect(getAddress(openedBy)).to.equal(south.wallet.address);
    expect(outcome.timeline.some((t) => t.text.includes("bills session"))).to.equal(true);
    expect(lines.some((l) => l.startsWith("south bot:") && l.includes("CDRs disputed"))).to.equal(true);
    expect(encodeBytes32String("SESSION_ALREADY_BILLED")).to.equal(disputes[0]!.args.reason);
  });
});
