/**
 * EscrowOpenings beside the evidence fixture, at an address known before it is deployed: a fixed
 * test deployer's second contract (its first is a stand-in for the settlement's dispute records).
 * `escrowOpeningsAt(f)` is synchronous (for the access-control table's `contract`);
 * `ensureEscrowOpenings(f)` deploys both on the fixture's chain if missing, with a threshold of
 * two arbiters and the fixture's EvidenceLedger and the stand-in as known dispute recorders;
 * `escrowFixture(connection)` is the escrow tests' set-up on top of both.
 */
import { Contract, ContractFactory, getCreateAddress, hexlify, keccak256, parseEther, randomBytes, toUtf8Bytes, Wallet, type Signer } from "ethers";
import { loadArtifact } from "../../../src/chain/artifacts.js";
import { EscrowOpeningsAbi } from "../../../src/chain/abi/index.js";
import { contractAt, deployEscrowOpenings, type DynamicContract } from "../../../src/chain/deploy.js";
import { AnchorKind } from "../../../src/evidence/types.js";
import { evidenceFixture } from "../../helpers/fixtures.js";
import type { TestConnection } from "../../helpers/network.js";

const DEPLOYER = new Wallet(keccak256(toUtf8Bytes("v2g escrow openings test deployer")));
const MOCK_RECORDS = getCreateAddress({ from: DEPLOYER.address, nonce: 0 });
const ADDRESS = getCreateAddress({ from: DEPLOYER.address, nonce: 1 });

interface Base {
  readonly admin: Signer;
  readonly registryAddress: string;
  readonly ledgerAddress: string;
}

/** The stand-in for RoamingSettlement's dispute records (`openDispute(id)` by anyone). */
export function mockDisputeRecordsAt(f: Base): DynamicContract {
  return new Contract(MOCK_RECORDS, loadArtifact("MockDisputeRecords", "test/MockDisputeRecords.sol").abi as never[], f.admin) as unknown as DynamicContract;
}

/** The contract at its predicted address, connected to the fixture's admin. */
export function escrowOpeningsAt(f: Base): DynamicContract {
  return contractAt(EscrowOpeningsAbi, ADDRESS, f.admin);
}

/** Deploys EscrowOpenings for the fixture's registry unless it is already there; returns it. */
export async function ensureEscrowOpenings(f: Base): Promise<DynamicContract> {
  const provider = f.admin.provider;
  if (provider === null) throw new Error("the fixture's admin has no provider");
  if ((await provider.getCode(ADDRESS)) === "0x") {
    if ((await provider.getTransactionCount(DEPLOYER.address)) !== 0) throw new Error("test deployer already used on this chain");
    await (await f.admin.sendTransaction({ to: DEPLOYER.address, value: parseEther("1") })).wait();
    const mock = loadArtifact("MockDisputeRecords", "test/MockDisputeRecords.sol");
    const deployer = DEPLOYER.connect(provider);
    await (await new ContractFactory(mock.abi as never[], mock.bytecode, deployer).deploy()).waitForDeployment();
    const { contract: deployed } = await deployEscrowOpenings(deployer, f.registryAddress, {
      threshold: 2,
      recorders: [f.ledgerAddress, MOCK_RECORDS],
    });
    if ((await deployed.getAddress()) !== ADDRESS) throw new Error("EscrowOpenings deployed at an unexpected address");
  }
  return escrowOpeningsAt(f);
}

/**
 * The escrow tests' set-up: the evidence fixture with EscrowOpenings, a second arbiter (openings
 * need two approvals) granted by the default admin, and honest grounds: supplier B disputes the
 * aggregator's anchored batch of authentications (`root`) on the ledger, its dispute 1 (`grounds`).
 * `arbiter`, `second` and `ca` are the contract connected to the two arbiters and the CA (the registrar).
 */
export async function escrowFixture(connection: TestConnection) {
  const f = await evidenceFixture(connection);
  const escrow = await ensureEscrowOpenings(f);
  const second = Wallet.createRandom().connect(connection.ethers.provider);
  await (await f.admin.sendTransaction({ to: second.address, value: parseEther("1") })).wait();
  await (await f.registry.connect(f.admin).grantRole(f.roles.ARBITER, second.address)).wait();
  const root = hexlify(randomBytes(32));
  await (await f.ledger.connect(f.participants.aggregator).anchorBatch(root, 2, AnchorKind.Authentications)).wait();
  await (await f.ledger.connect(f.participants.supplierB).recordDispute(f.participants.aggregator.address, root, hexlify(randomBytes(32)))).wait();
  return {
    ...f,
    root,
    grounds: hexlify(new Uint8Array(31)) + "01",
    escrow,
    secondArbiter: second,
    arbiter: escrow.connect(f.participants.arbiter),
    second: escrow.connect(second),
    ca: escrow.connect(f.registrar),
  };
}
