/**
 * One table-driven suite: every privileged function × every unauthorised role reverts with
 * `AccessControlUnauthorizedAccount(caller, requiredRole)`.
 */
import { expect } from "chai";
import { hexlify, randomBytes, Wallet, ZeroHash, type Signer } from "ethers";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";
import { ensureEscrowOpenings, escrowOpeningsAt, mockDisputeRecordsAt } from "../protocol/helpers/escrowOpenings.js";

type Fixture = Awaited<ReturnType<typeof evidenceFixture>>;

interface Privileged {
  name: string;
  contract: (f: Fixture) => Fixture["registry"];
  role: (f: Fixture) => string;
  /** Who is allowed: excluded from the unauthorised callers. */
  allowed: (f: Fixture) => string[];
  call: (c: Fixture["registry"], f: Fixture) => Promise<unknown>;
}

const rand = () => hexlify(randomBytes(32));

const TABLE: Privileged[] = [
  {
    name: "ParticipantRegistry.grantRole(SUPPLIER)",
    contract: (f) => f.registry,
    role: (f) => f.roles.REGISTRAR,
    allowed: (f) => [f.registrar.address],
    call: (c, f) => c.grantRole(f.roles.SUPPLIER, Wallet.createRandom().address),
  },
  {
    name: "ParticipantRegistry.revokeRole(AGGREGATOR)",
    contract: (f) => f.registry,
    role: (f) => f.roles.REGISTRAR,
    allowed: (f) => [f.registrar.address],
    call: (c, f) => c.revokeRole(f.roles.AGGREGATOR, f.participants.aggregator.address),
  },
  {
    name: "ParticipantRegistry.grantRole(REGISTRAR)",
    contract: (f) => f.registry,
    role: () => ZeroHash,
    allowed: (f) => [f.admin.address],
    call: (c, f) => c.grantRole(f.roles.REGISTRAR, Wallet.createRandom().address),
  },
  {
    name: "ParticipantRegistry.publishGroupRoot",
    contract: (f) => f.registry,
    role: (f) => f.roles.REGISTRAR,
    allowed: (f) => [f.registrar.address],
    call: (c) => c.publishGroupRoot(rand(), rand(), 4),
  },
  {
    name: "ParticipantRegistry.addSigningKey (for another participant)",
    contract: (f) => f.registry,
    role: (f) => f.roles.REGISTRAR,
    allowed: (f) => [f.registrar.address, f.participants.dcc.address],
    call: async (c, f) => c.addSigningKey(f.participants.dcc.address, Wallet.createRandom().address, 2n ** 39n, 2n ** 39n + 10n, "0x", "0x"),
  },
  {
    name: "ParticipantRegistry.revokeSigningKey (another participant's key)",
    contract: (f) => f.registry,
    role: (f) => f.roles.REGISTRAR,
    allowed: (f) => [f.registrar.address, f.participants.dcc.address],
    call: (c, f) => c.revokeSigningKey(f.keys.dcc!.address, 0),
  },
  {
    name: "ParticipantRegistry.beginDefaultAdminTransfer",
    contract: (f) => f.registry,
    role: () => ZeroHash,
    allowed: (f) => [f.admin.address],
    call: (c, f) => c.beginDefaultAdminTransfer(f.outsider.address),
  },
  {
    name: "ParticipantRegistry.changeDefaultAdminDelay",
    contract: (f) => f.registry,
    role: () => ZeroHash,
    allowed: (f) => [f.admin.address],
    call: (c) => c.changeDefaultAdminDelay(10),
  },
  {
    name: "EvidenceLedger.anchorBatch",
    contract: (f) => f.ledger,
    role: (f) => f.roles.SUBMITTER,
    allowed: (f) => [f.participants.supplierA, f.participants.supplierB, f.participants.aggregator, f.participants.meter, f.participants.dcc].map((s) => s.address),
    call: (c) => c.anchorBatch(rand(), 10, 0),
  },
  {
    name: "EvidenceLedger.anchorDigest",
    contract: (f) => f.ledger,
    role: (f) => f.roles.SUBMITTER,
    allowed: (f) => [f.participants.supplierA, f.participants.supplierB, f.participants.aggregator, f.participants.meter, f.participants.dcc].map((s) => s.address),
    call: (c) => c.anchorDigest(rand(), 0),
  },
  {
    name: "EvidenceLedger.acknowledgeBatch",
    contract: (f) => f.ledger,
    role: (f) => f.roles.SUBMITTER,
    allowed: (f) => [f.participants.supplierA, f.participants.supplierB, f.participants.aggregator, f.participants.meter, f.participants.dcc].map((s) => s.address),
    call: (c) => c.acknowledgeBatch(Wallet.createRandom().address, rand()),
  },
  {
    name: "ParticipantRegistry.grantRole(ARBITER) (the default admin's, not the registrar's)",
    contract: (f) => f.registry,
    role: () => ZeroHash,
    allowed: (f) => [f.admin.address],
    call: (c, f) => c.grantRole(f.roles.ARBITER, Wallet.createRandom().address),
  },
  {
    name: "ParticipantRegistry.revokeRole(ARBITER)",
    contract: (f) => f.registry,
    role: () => ZeroHash,
    allowed: (f) => [f.admin.address],
    call: (c, f) => c.revokeRole(f.roles.ARBITER, f.participants.arbiter.address),
  },
  {
    name: "EscrowOpenings.approveOpening",
    contract: (f) => escrowOpeningsAt(f),
    role: (f) => f.roles.ARBITER,
    allowed: (f) => [f.participants.arbiter.address],
    call: async (c, f) => {
      await ensureEscrowOpenings(f);
      return c.approveOpening(rand());
    },
  },
  {
    name: "EscrowOpenings.addDisputeRecorder",
    contract: (f) => escrowOpeningsAt(f),
    role: () => ZeroHash,
    allowed: (f) => [f.admin.address],
    call: async (c, f) => {
      await ensureEscrowOpenings(f);
      return c.addDisputeRecorder(f.registryAddress);
    },
  },
  {
    name: "EscrowOpenings.recordDispute",
    contract: (f) => escrowOpeningsAt(f),
    role: (f) => f.roles.ARBITER,
    allowed: (f) => [f.participants.arbiter.address],
    call: async (c, f) => {
      await ensureEscrowOpenings(f);
      return c.recordDispute(rand(), mockDisputeRecordsAt(f), rand(), rand(), rand());
    },
  },
  {
    name: "EscrowOpenings.recordOpening",
    contract: (f) => escrowOpeningsAt(f),
    role: (f) => f.roles.REGISTRAR,
    allowed: (f) => [f.registrar.address],
    call: async (c, f) => {
      await ensureEscrowOpenings(f);
      return c.recordOpening(rand(), rand());
    },
  },
];

describe("Access control: every privileged function × every unauthorised role", () => {
  let connection: TestConnection;
  before(async () => {
    connection = await createNetwork();
  });
  async function fixtureFn() {
    return evidenceFixture(connection);
  }

  /** One holder of each role plus an outsider without any role. */
  function callers(f: Fixture): [string, Signer & { address: string }][] {
    return [
      ["admin", f.admin],
      ["registrar", f.registrar],
      ...Object.entries(f.participants),
      ["outsider", f.outsider],
    ];
  }

  for (const entry of TABLE) {
    it(`should reject ${entry.name} from every unauthorised role`, async () => {
      const f = await connection.networkHelpers.loadFixture(fixtureFn);
      const allowed = entry.allowed(f);
      let checked = 0;
      for (const [who, signer] of callers(f)) {
        if (allowed.includes(signer.address)) continue;
        const contract = entry.contract(f).connect(signer) as Fixture["registry"];
        await expect(entry.call(contract, f), `${entry.name} by ${who}`)
          .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
          .withArgs(signer.address, entry.role(f));
        checked++;
      }
      expect(checked).to.be.greaterThan(3);
    });
  }
});
