import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZeroAddress } from "ethers";
import {
  DEFAULT_SETTINGS, deployAll, readDeployments, resolveSettings, verifyDeployment, writeDeployments, type Deployment,
} from "../../src/chain/deployAll.js";
import { ChainError } from "../../src/chain/errors.js";
import { ExitCode, exitCodeOf } from "../../src/errors.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";

describe("deployAll and the deployments file", () => {
  let connection: TestConnection;
  let dir: string;

  before(async () => {
    connection = await createNetwork();
    dir = mkdtempSync(join(tmpdir(), "deployments-"));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("deploys every contract wired together with the settings given", async () => {
    const [deployer, registrar] = await connection.ethers.getSigners();
    const before = await connection.ethers.provider.getBlockNumber();
    const d = await deployAll(deployer!, {
      registrar: registrar!.address,
      settlement: { periodSeconds: 3600, challengeWindow: 7200, claimGrace: 600, withdrawalNotice: 20_000, disputeFee: "5000" },
      escrowThreshold: 3,
    }, { network: "hardhat" });
    expect(d.startBlock).to.equal(before + 1);
    expect(d.deployment.network).to.equal("hardhat");
    expect(d.deployment.chainId).to.equal(d.chainId.toString());
    expect(d.deployment.deployer).to.equal(deployer!.address);
    for (const { address, block } of Object.values(d.deployment.contracts)) {
      expect(await connection.ethers.provider.getCode(address)).to.not.equal("0x");
      expect(block).to.be.at.least(d.startBlock);
    }
    expect(await d.settlement.PERIOD_SECONDS()).to.equal(3600n);
    expect(await d.settlement.CHALLENGE_WINDOW()).to.equal(7200n);
    expect(await d.settlement.disputeFee()).to.equal(5000n);
    expect(await d.settlement.TOKEN()).to.equal(d.tokenAddress);
    expect(await d.escrowOpenings.THRESHOLD()).to.equal(3n);
    expect(await d.escrowOpenings.isDisputeRecorder(d.ledgerAddress)).to.equal(true);
    expect(await d.escrowOpenings.isDisputeRecorder(d.settlementAddress)).to.equal(true);
    expect(await d.registry.hasRole(await d.registry.REGISTRAR_ROLE(), registrar!.address)).to.equal(true);
    expect(await d.registry.hasRole(await d.registry.REGISTRAR_ROLE(), deployer!.address)).to.equal(false);
    expect(await d.token.decimals()).to.equal(6n);
    await verifyDeployment(d.deployment, deployer!);
  });

  it("refuses settings the settlement constructor would refuse, before sending anything", async () => {
    const [deployer] = await connection.ethers.getSigners();
    const nonce = await deployer!.getNonce();
    const attempt = deployAll(deployer!, { settlement: { withdrawalNotice: DEFAULT_SETTINGS.settlement.periodSeconds } });
    const error = await attempt.then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(ChainError).with.property("code", "CONFIG");
    expect((error as Error).message).to.match(/withdrawalNotice must exceed/);
    expect(exitCodeOf(error)).to.equal(ExitCode.Usage);
    expect(await deployer!.getNonce()).to.equal(nonce);
    expect(() => resolveSettings({ escrowThreshold: 0 })).to.throw(ChainError, /escrowThreshold/);
    expect(() => resolveSettings({ settlement: { disputeFee: "-1" } })).to.throw(ChainError, /disputeFee/);
    expect(() => resolveSettings({ token: "0x1234" })).to.throw(ChainError, /token/);
  });

  it("adopts an existing token instead of deploying the test token", async () => {
    const [deployer] = await connection.ethers.getSigners();
    const first = await deployAll(deployer!);
    const second = await deployAll(deployer!, { token: first.tokenAddress });
    expect(second.tokenAddress).to.equal(first.tokenAddress);
    expect(await second.settlement.TOKEN()).to.equal(first.tokenAddress);
  });

  it("writes and reads back the deployments file", async () => {
    const [deployer] = await connection.ethers.getSigners();
    const d = await deployAll(deployer!, {}, { network: "hardhat" });
    const path = join(dir, "deployments", "hardhat.json");
    writeDeployments(path, d.deployment);
    const read = readDeployments(path);
    expect(read).to.deep.equal(d.deployment);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")) as object)).to.deep.equal(
      ["network", "chainId", "deployer", "startBlock", "contracts", "settings"],
    );
    await verifyDeployment(read, deployer!);
  });

  describe("a tampered or broken deployments file", () => {
    let good: Deployment;
    let path: string;

    before(async () => {
      const [deployer] = await connection.ethers.getSigners();
      good = (await deployAll(deployer!, {}, { network: "hardhat" })).deployment;
      path = join(dir, "tampered.json");
    });

    const refused = (mutate: (d: Record<string, any>) => void, pattern: RegExp) => { // eslint-disable-line @typescript-eslint/no-explicit-any -- a file's JSON, mutated at will
      const copy = JSON.parse(JSON.stringify(good)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
      mutate(copy);
      writeFileSync(path, JSON.stringify(copy));
      let error: unknown;
      try {
        readDeployments(path);
      } catch (e) {
        error = e;
      }
      expect(error, pattern.source).to.be.instanceOf(ChainError).with.property("code", "CONFIG");
      expect((error as Error).message).to.match(pattern);
      expect(exitCodeOf(error)).to.equal(ExitCode.Usage);
    };

    it("refuses each single-field tampering with the field named", () => {
      refused((d) => { d.contracts.RoamingSettlement.address = d.contracts.RoamingSettlement.address.toLowerCase().replace(/^0x./, "0xA"); }, /contracts\.RoamingSettlement\.address/);
      refused((d) => { delete d.contracts.EscrowOpenings; }, /contracts\.EscrowOpenings/);
      refused((d) => { d.contracts.Extra = { address: ZeroAddress, block: 1 }; }, /contracts/);
      refused((d) => { d.chainId = Number(d.chainId); }, /chainId/);
      refused((d) => { d.chainId = "0x7a69"; }, /chainId/);
      refused((d) => { d.startBlock = -1; }, /startBlock/);
      refused((d) => { d.contracts.EvidenceLedger.block = d.startBlock - 1; }, /contracts\.EvidenceLedger\.block/);
      refused((d) => { d.settings.settlement.withdrawalNotice = 1; }, /withdrawalNotice/);
      refused((d) => { d.network = "../etc"; }, /network/);
      refused((d) => { d.deployer = "0xnothex"; }, /deployer/);
      refused((d) => { d.privateKey = "0x" + "11".repeat(32); }, /privateKey|Unrecognized/);
    });

    it("refuses a file that is missing or not JSON", () => {
      expect(() => readDeployments(join(dir, "none.json"))).to.throw(ChainError).with.property("code", "NOT_FOUND");
      writeFileSync(path, "{ not json");
      expect(() => readDeployments(path)).to.throw(ChainError, /not JSON/).with.property("code", "CONFIG");
    });

    it("refuses a valid file that describes another chain or other contracts", async () => {
      const [deployer] = await connection.ethers.getSigners();
      const other = { ...good, chainId: "1" };
      const wrongChain = await verifyDeployment(other, deployer!).then(() => null, (e: unknown) => e);
      expect(wrongChain).to.be.instanceOf(ChainError).with.property("code", "WRONG_CHAIN");
      const swapped = { ...good, contracts: { ...good.contracts, EvidenceLedger: good.contracts.ParticipantRegistry } };
      const wrongLedger = await verifyDeployment(swapped, deployer!).then(() => null, (e: unknown) => e);
      expect(wrongLedger).to.be.instanceOf(ChainError).with.property("code", "CONFIG");
      const empty = { ...good, contracts: { ...good.contracts, SettlementToken: { address: deployer!.address, block: good.startBlock } } };
      const noCode = await verifyDeployment(empty, deployer!).then(() => null, (e: unknown) => e);
      expect(noCode).to.be.instanceOf(ChainError).with.property("code", "NOT_FOUND");
    });
  });
});
