/** Deployment and claim-building helpers shared by the settlement tests. */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  concat,
  hexlify,
  keccak256,
  randomBytes,
  toUtf8Bytes,
  TypedDataEncoder,
  type BaseContract,
  type ContractRunner,
  type Log,
  type Signer,
} from "ethers";
import { deployRoamingSettlement as deployRoamingSettlementPart } from "../../src/chain/deploy.js";
import { deployAll } from "../../src/chain/deployAll.js";
import { AnchorKind, evidenceDomain, messageTypes } from "../../src/evidence/types.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";

/** Challenge window of the test deployments, seconds. */
export const WINDOW = 3n * 24n * 3600n;
/** Length of a settlement period of the test deployments, seconds. */
export const PERIOD_SECONDS = 24n * 3600n;
/** How long after its end a period still takes claims, seconds. */
export const GRACE = 24n * 3600n;
/** Withdrawal notice: more than a period, its grace and the challenge window together. */
export const NOTICE = 6n * 24n * 3600n;
/** The durations as the constructor takes them. */
export const TIMING = { challengeWindow: WINDOW, periodSeconds: PERIOD_SECONDS, claimGrace: GRACE, withdrawalNotice: NOTICE };
/**
 * The period the fixture starts in: its chain stands at the first second of this period (2030-01-01
 * with one-day periods), so a test has the whole period and its grace ahead.
 */
export const FIXTURE_PERIOD = 21_915;
/** Default-admin transfer delay of the settlement contract, seconds. */
export const ADMIN_DELAY = 2n * 24n * 3600n;
/** What each supplier deposits in the fixture (1,000 tEUR with six decimals). */
export const INITIAL_DEPOSIT = 1_000_000_000n;
/** Leaf encoding of a CDR in a claim's tree: `(cdrDigest, amount)`. */
export const CDR_LEAF_ENCODING = ["bytes32", "uint256"];

export type TokenName = "SettlementTestToken" | "FalseReturningToken" | "HookedReentrantToken";

/** An ethers contract whose methods come from its ABI at run time. */
export type Contract = Omit<BaseContract, "connect"> & {
  connect(runner: ContractRunner | null): Contract;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [method: string]: any;
};

/** `contract` connected to `runner`. */
export function as(contract: Contract, runner: ContractRunner): Contract {
  return contract.connect(runner);
}

/** One charge detail record as it enters a claim: its EIP-712 digest and its amount. */
export interface Cdr {
  digest: string;
  amount: bigint;
}

export type CdrTree = StandardMerkleTree<[string, bigint]>;

/** Registry, ledger, token and settlement, with four funded suppliers, an arbiter and a pauser. */
export async function deploySettlement(connection: TestConnection, tokenName: TokenName = "SettlementTestToken") {
  const { ethers } = connection;
  const [admin, registrar, supplierA, supplierB, supplierC, supplierD, arbiter, pauser, outsider] =
    await ethers.getSigners();
  // The hostile tokens stand in for the settlement token: deployAll adopts them.
  const hostile = tokenName === "SettlementTestToken" ? null : await ethers.deployContract(tokenName);
  const d = await deployAll(admin!, {
    registrar: registrar!.address,
    registryAdminDelay: 0,
    settlement: { ...timingSeconds(TIMING), adminDelay: Number(ADMIN_DELAY) },
    token: hostile === null ? null : await hostile.getAddress(),
  });
  const { registry, ledger, settlement } = d;
  const token = (hostile ?? d.token) as unknown as Contract;
  const roles = {
    SUPPLIER: (await registry.SUPPLIER_ROLE()) as string,
    ARBITER: (await registry.ARBITER_ROLE()) as string,
    SUBMITTER: (await registry.SUBMITTER_ROLE()) as string,
    REGISTRAR: (await registry.REGISTRAR_ROLE()) as string,
    PAUSER: (await settlement.PAUSER_ROLE()) as string,
    DEFAULT_ADMIN: (await settlement.DEFAULT_ADMIN_ROLE()) as string,
  };
  const asRegistrar = as(registry, registrar!);
  const suppliers = [supplierA!, supplierB!, supplierC!, supplierD!];
  for (const s of suppliers) {
    await asRegistrar.grantRole(roles.SUPPLIER, s.address);
    await asRegistrar.grantRole(roles.SUBMITTER, s.address);
  }
  // The arbiter role is the registry's default admin's to grant.
  await as(registry, admin!).grantRole(roles.ARBITER, arbiter!.address);
  await settlement.grantRole(roles.PAUSER, pauser!.address);
  for (const s of suppliers) await fund(token, settlement, s, INITIAL_DEPOSIT);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = evidenceDomain(chainId, await ledger.getAddress());
  // Start at the first second of a period: FIXTURE_PERIOD, or the next one when the chain is past it
  // (a second fixture on the same network).
  const latest = BigInt(await connection.networkHelpers.time.latest());
  const period = latest < BigInt(FIXTURE_PERIOD) * PERIOD_SECONDS ? FIXTURE_PERIOD : Number(latest / PERIOD_SECONDS) + 1;
  await connection.networkHelpers.time.setNextBlockTimestamp(BigInt(period) * PERIOD_SECONDS);
  await connection.networkHelpers.mine();
  return {
    period,
    registry,
    ledger,
    token,
    settlement,
    roles,
    domain,
    admin: admin!,
    registrar: registrar!,
    suppliers,
    supplierA: supplierA!,
    supplierB: supplierB!,
    supplierC: supplierC!,
    supplierD: supplierD!,
    arbiter: arbiter!,
    pauser: pauser!,
    outsider: outsider!,
  };
}

export type SettlementFixture = Awaited<ReturnType<typeof deploySettlement>>;

/**
 * The set-up of a settlement test file: its own in-process network, created before the file's
 * tests (`connection`), `load()` the `deploySettlement` deployment (or `load(fn)` another fixture of
 * the file) from its snapshot, and `time()`, the network's clock.
 */
export function settlementSuite() {
  let connection: TestConnection | undefined;
  before(async () => {
    connection = await createNetwork();
  });
  const standard = () => deploySettlement(suite.connection);
  const suite = {
    get connection(): TestConnection {
      if (connection === undefined) throw new Error("the settlement suite's network is created before its tests");
      return connection;
    },
    load<T = SettlementFixture>(fn: () => Promise<T> = standard as () => Promise<T>): Promise<T> {
      return suite.connection.networkHelpers.loadFixture(fn);
    },
    time: () => suite.connection.networkHelpers.time,
  };
  return suite;
}

/** Every supplier's balance in the settlement contract, in the order of `f.suppliers`. */
export async function balances(f: SettlementFixture): Promise<bigint[]> {
  return Promise.all(f.suppliers.map(async (s) => (await f.settlement.balanceOf(s.address)) as bigint));
}

/**
 * The one deployment of RoamingSettlement in the tests: `TIMING` unless `timing` says otherwise, an
 * admin transfer delay of `ADMIN_DELAY`.
 */
export async function deployRoamingSettlement(
  connection: TestConnection,
  addresses: [string, string, string],
  admin: string,
  timing: Partial<Record<keyof typeof TIMING, bigint | number>> = {},
): Promise<Contract> {
  const [deployer] = await connection.ethers.getSigners();
  const { contract } = await deployRoamingSettlementPart(deployer!, addresses, { timing: { ...TIMING, ...timing }, adminDelay: ADMIN_DELAY, admin });
  return contract as Contract;
}

/** `timing` in whole seconds, as the deploy settings take it. */
function timingSeconds(timing: Record<keyof typeof TIMING, bigint>): Record<keyof typeof TIMING, number> {
  return {
    challengeWindow: Number(timing.challengeWindow),
    periodSeconds: Number(timing.periodSeconds),
    claimGrace: Number(timing.claimGrace),
    withdrawalNotice: Number(timing.withdrawalNotice),
  };
}

/** Moves the chain past the close of `period` and past every challenge window opened so far. */
export async function closePeriod(connection: TestConnection, period: number | bigint): Promise<void> {
  const closesAt = (BigInt(period) + 1n) * PERIOD_SECONDS + GRACE + 1n;
  const latest = BigInt(await connection.networkHelpers.time.latest());
  const target = latest + WINDOW + 1n > closesAt ? latest + WINDOW + 1n : closesAt;
  await connection.networkHelpers.time.increaseTo(target);
}

/** The period the chain's latest block is in. */
export async function currentPeriod(connection: TestConnection): Promise<number> {
  return Number(BigInt(await connection.networkHelpers.time.latest()) / PERIOD_SECONDS);
}

/** Asks for a withdrawal of `amount` by `supplier` and waits out the notice. */
export async function requestAndWait(connection: TestConnection, settlement: Contract, supplier: Signer, amount: bigint): Promise<void> {
  await as(settlement, supplier).requestWithdrawal(amount);
  await connection.networkHelpers.time.increase(NOTICE);
}

/** Mints `amount` to `supplier` and deposits it. */
export async function fund(token: Contract, settlement: Contract, supplier: Signer, amount: bigint): Promise<void> {
  await token.mint(await supplier.getAddress(), amount);
  await as(token, supplier).approve(await settlement.getAddress(), amount);
  await as(settlement, supplier).deposit(amount);
}

/**
 * `count` CDRs of sessions at `host`'s chargers by vehicles of `home`'s customers, each the EIP-712
 * digest of a ChargeDetailRecord message under the ledger's domain, for `amountOf(i)` each.
 */
export function makeCdrs(
  f: Pick<SettlementFixture, "domain">,
  host: string,
  home: string,
  count: number,
  amountOf: (i: number) => bigint = (i) => 1_000_000n + BigInt(i) * 1_000n,
): Cdr[] {
  const types = messageTypes("ChargeDetailRecord");
  const start = 1_767_225_600n; // 2026-01-01T00:00:00Z
  return Array.from({ length: count }, (_, i) => {
    const amount = amountOf(i);
    const header = {
      sessionId: hexlify(randomBytes(32)),
      seq: 0n,
      nonce: hexlify(randomBytes(32)),
      issuedAt: start + BigInt(i) * 3600n,
      expiresAt: start + BigInt(i) * 3600n + 30n * 86400n,
      receiver: home,
      receiptDeadline: start + BigInt(i) * 3600n + 86400n,
    };
    const body = {
      cdrId: hexlify(randomBytes(32)),
      hostSupplier: host,
      homeSupplier: home,
      start: start + BigInt(i) * 3600n,
      end: start + BigInt(i) * 3600n + 1800n,
      energyWh: 11_000n,
      amount,
      readingsRoot: hexlify(randomBytes(32)),
    };
    return { digest: TypedDataEncoder.hash(f.domain, types, { header, body }), amount };
  });
}

/** The claim's tree over `(cdrDigest, amount)` leaves. */
export function cdrTree(cdrs: readonly Cdr[]): CdrTree {
  return StandardMerkleTree.of(
    cdrs.map((c) => [c.digest, c.amount] as [string, bigint]),
    CDR_LEAF_ENCODING,
  );
}

/** A stand-in for the hash of the claim package of the tree `cdrRoot` (the contract only stores it). */
export function packageHashOf(cdrRoot: string): string {
  return keccak256(concat([toUtf8Bytes("claim package of "), cdrRoot]));
}

/** A submitted claim with what its debtor needs to check or dispute it. */
export interface SubmittedClaim {
  claimId: bigint;
  cdrs: Cdr[];
  tree: CdrTree;
  evidenceRoot: string;
  packageHash: string;
  amount: bigint;
}

/**
 * `host` anchors the digests of `cdrs` in the ledger (its evidence) and claims their sum (or
 * `claimed`, an amount that is not their sum) from `debtor` for `period`.
 */
export async function submitClaim(
  f: SettlementFixture,
  host: Signer,
  debtor: Signer,
  period: number | bigint,
  cdrs?: Cdr[],
  claimed?: bigint,
): Promise<SubmittedClaim> {
  cdrs ??= makeCdrs(f, await host.getAddress(), await debtor.getAddress(), 3);
  const tree = cdrTree(cdrs);
  const evidence = StandardMerkleTree.of(
    cdrs.map((c) => [c.digest]),
    ["bytes32"],
  );
  await as(f.ledger, host).anchorBatch(evidence.root, cdrs.length, AnchorKind.ChargeDetailRecords);
  const amount = claimed ?? cdrs.reduce((sum, c) => sum + c.amount, 0n);
  const packageHash = packageHashOf(tree.root);
  const tx = await as(f.settlement, host).submitClaim(
    period,
    await debtor.getAddress(),
    amount,
    tree.root,
    cdrs.length,
    evidence.root,
    packageHash,
  );
  const receipt = await tx.wait();
  const claimId = claimIdFromLogs(f.settlement, receipt.logs);
  return { claimId, cdrs, tree, evidenceRoot: evidence.root, packageHash, amount };
}

/** Supplier `host` (an index of `f.suppliers`) claims from supplier `home` for `period`: one CDR per amount. */
export async function claimAmounts(f: SettlementFixture, host: number, home: number, amounts: bigint | bigint[], period: number | bigint): Promise<SubmittedClaim> {
  const [h, d] = [f.suppliers[host]!, f.suppliers[home]!];
  const list = typeof amounts === "bigint" ? [amounts] : amounts;
  return submitClaim(f, h, d, period, makeCdrs(f, h.address, d.address, list.length, (i) => list[i]!));
}

/** The id in the ClaimSubmitted event among `logs`. */
export function claimIdFromLogs(settlement: Contract, logs: readonly Log[]): bigint {
  for (const log of logs) {
    const event = settlement.interface.parseLog(log);
    if (event?.name === "ClaimSubmitted") return event.args.claimId as bigint;
  }
  throw new Error("no ClaimSubmitted event");
}

/** `(period << 32) | index`, the id of the `index`-th claim of `period`. */
export function claimIdOf(period: number | bigint, index: number | bigint): bigint {
  return (BigInt(period) << 32n) | BigInt(index);
}

/** The proof of the `index`-th CDR of a claim. */
export function proofOf(claim: SubmittedClaim, index: number): string[] {
  return claim.tree.getProof(index);
}
