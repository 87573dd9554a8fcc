import { expect } from "chai";
import { hexlify, randomBytes, type Signer } from "ethers";
import {
  ADMIN_DELAY,
  as,
  closePeriod,
  currentPeriod,
  deploySettlement,
  INITIAL_DEPOSIT,
  NOTICE,
  proofOf,
  requestAndWait,
  settlementSuite,
  submitClaim,
  type Contract,
  type SettlementFixture,
} from "./fixture.js";

const BUNDLE = hexlify(randomBytes(32));
const REASON = hexlify(randomBytes(32));

/** HostileSupplier modes. */
const Mode = { None: 0, ReenterCaught: 1, ReenterBubbling: 2, RevertOnReceive: 3 } as const;

describe("RoamingSettlement: access control, pausing and hostile tokens", () => {
  const suite = settlementSuite();
  async function hookedFixture() {
    const f = await deploySettlement(suite.connection, "HookedReentrantToken");
    const hostile = (await suite.connection.ethers.deployContract("HostileSupplier", [
      await f.settlement.getAddress(),
      await f.token.getAddress(),
    ])) as unknown as Contract;
    const hostileAddress = await hostile.getAddress();
    await as(f.registry, f.registrar).grantRole(f.roles.SUPPLIER, hostileAddress);
    await f.token.mint(hostileAddress, 1_000n);
    await hostile.deposit(1_000n);
    await hostile.requestWithdrawal(1n << 100n);
    for (const s of f.suppliers) await as(f.settlement, s).requestWithdrawal(1n << 100n);
    await suite.connection.networkHelpers.time.increase(NOTICE);
    return { ...f, hostile, hostileAddress };
  }
  async function falseTokenFixture() {
    const f = await deploySettlement(suite.connection, "FalseReturningToken");
    await requestAndWait(suite.connection, f.settlement, f.supplierA, INITIAL_DEPOSIT);
    return f;
  }

  describe("access control (every privileged function x every unauthorised role)", () => {
    type RoleName = keyof SettlementFixture["roles"];
    interface Row {
      fn: string;
      role: RoleName;
      call: (s: Contract, f: SettlementFixture) => Promise<unknown>;
    }
    const root = hexlify(randomBytes(32));
    const rows: Row[] = [
      { fn: "deposit", role: "SUPPLIER", call: (s) => s.deposit(1n) },
      { fn: "submitClaim", role: "SUPPLIER", call: (s, f) => s.submitClaim(f.period, f.supplierA.address, 1, root, 1, root, root) },
      { fn: "netPair", role: "SUPPLIER", call: (s, f) => s.netPair(1, f.supplierA.address, f.supplierB.address) },
      {
        fn: "recoverShortfall",
        role: "SUPPLIER",
        call: (s, f) => s.recoverShortfall(1, f.supplierA.address, f.supplierB.address),
      },
      { fn: "resolveDispute", role: "ARBITER", call: (s) => s.resolveDispute(1, true, BUNDLE) },
      { fn: "resolveClaimDispute", role: "ARBITER", call: (s) => s.resolveClaimDispute(1, false, BUNDLE) },
      { fn: "pause", role: "PAUSER", call: (s) => s.pause() },
      { fn: "unpause", role: "PAUSER", call: (s) => s.unpause() },
      { fn: "setDisputeFee", role: "DEFAULT_ADMIN", call: (s) => s.setDisputeFee(1) },
      { fn: "grantRole(PAUSER_ROLE)", role: "DEFAULT_ADMIN", call: (s, f) => s.grantRole(f.roles.PAUSER, f.outsider.address) },
      { fn: "revokeRole(PAUSER_ROLE)", role: "DEFAULT_ADMIN", call: (s, f) => s.revokeRole(f.roles.PAUSER, f.pauser.address) },
      { fn: "beginDefaultAdminTransfer", role: "DEFAULT_ADMIN", call: (s, f) => s.beginDefaultAdminTransfer(f.outsider.address) },
      { fn: "changeDefaultAdminDelay", role: "DEFAULT_ADMIN", call: (s) => s.changeDefaultAdminDelay(1) },
    ];
    /** Who holds which role in the fixture. */
    const holders = (f: SettlementFixture): Record<RoleName, Signer[]> => ({
      SUPPLIER: f.suppliers,
      ARBITER: [f.arbiter],
      PAUSER: [f.pauser],
      DEFAULT_ADMIN: [f.admin],
      SUBMITTER: f.suppliers,
      REGISTRAR: [f.registrar],
    });
    const callers = (f: SettlementFixture): Record<string, Signer> => ({
      outsider: f.outsider,
      supplier: f.supplierA,
      arbiter: f.arbiter,
      registrar: f.registrar,
      pauser: f.pauser,
      admin: f.admin,
    });

    for (const row of rows) {
      it(`should refuse ${row.fn} to every account without ${row.role}_ROLE`, async () => {
        const f = await suite.load();
        let refused = 0;
        for (const [, caller] of Object.entries(callers(f))) {
          if (holders(f)[row.role].includes(caller)) continue;
          const address = await caller.getAddress();
          await expect(row.call(as(f.settlement, caller), f))
            .to.be.revertedWithCustomError(f.settlement, "AccessControlUnauthorizedAccount")
            .withArgs(address, f.roles[row.role]);
          ++refused;
        }
        expect(refused).to.be.at.least(5);
      });
    }

    it("should keep working for a supplier whose role was revoked: it can still withdraw", async () => {
      const f = await suite.load();
      await as(f.registry, f.registrar).revokeRole(f.roles.SUPPLIER, f.supplierD.address);
      await expect(as(f.settlement, f.supplierD).deposit(1n))
        .to.be.revertedWithCustomError(f.settlement, "AccessControlUnauthorizedAccount")
        .withArgs(f.supplierD.address, f.roles.SUPPLIER);
      await requestAndWait(suite.connection, f.settlement, f.supplierD, INITIAL_DEPOSIT);
      await expect(as(f.settlement, f.supplierD).withdraw(INITIAL_DEPOSIT)).to.emit(f.settlement, "Withdrawn");
    });

    it("should transfer the default admin in two steps, after the delay", async () => {
      const f = await suite.load();
      await f.settlement.beginDefaultAdminTransfer(f.outsider.address);
      const next = as(f.settlement, f.outsider);
      await expect(next.acceptDefaultAdminTransfer()).to.be.revertedWithCustomError(
        f.settlement,
        "AccessControlEnforcedDefaultAdminDelay",
      );
      await suite.connection.networkHelpers.time.increase(ADMIN_DELAY + 1n);
      await next.acceptDefaultAdminTransfer();
      expect(await f.settlement.defaultAdmin()).to.equal(f.outsider.address);
      await expect(f.settlement.setDisputeFee(1))
        .to.be.revertedWithCustomError(f.settlement, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, f.roles.DEFAULT_ADMIN);
      await next.setDisputeFee(1);
    });
  });

  describe("pausing", () => {
    it("should block every write but withdraw and the withdrawal request, and keep reads working", async () => {
      const f = await suite.load();
      const PERIOD = f.period;
      const [A, B] = [f.supplierA.address, f.supplierB.address];
      await as(f.settlement, f.supplierB).requestWithdrawal(1n << 100n);
      // B holds settled money from a netted claim of the period before.
      const settled = await submitClaim(f, f.supplierB, f.supplierA, PERIOD);
      await as(f.settlement, f.supplierA).acceptClaim(settled.claimId);
      await closePeriod(suite.connection, PERIOD);
      await as(f.settlement, f.supplierB).netPair(PERIOD, A, B);
      await suite.connection.networkHelpers.time.increase(NOTICE); // B's withdrawal request is ripe
      const current = Math.floor(Number(await suite.connection.networkHelpers.time.latest()) / 86_400);
      const pending = await submitClaim(f, f.supplierC, f.supplierA, current);
      await as(f.settlement, f.supplierA).disputeCdr(
        pending.claimId,
        pending.cdrs[0]!.digest,
        pending.cdrs[0]!.amount,
        proofOf(pending, 0),
        REASON,
      );
      // A third claim is on hold: its debtor disputed it as a whole (dispute 2).
      const held = await submitClaim(f, f.supplierD, f.supplierA, current);
      await as(f.settlement, f.supplierA).disputeClaim(held.claimId, REASON);

      await expect(as(f.settlement, f.pauser).pause()).to.emit(f.settlement, "Paused").withArgs(f.pauser.address);
      const a = as(f.settlement, f.supplierA);
      const writes: [string, () => Promise<unknown>][] = [
        ["deposit", () => a.deposit(1n)],
        ["submitClaim", () => submitClaim(f, f.supplierB, f.supplierA, current)],
        ["acceptClaim", () => a.acceptClaim(pending.claimId)],
        ["acceptClaims", () => a.acceptClaims([pending.claimId])],
        [
          "disputeCdr",
          () => a.disputeCdr(pending.claimId, pending.cdrs[1]!.digest, pending.cdrs[1]!.amount, proofOf(pending, 1), REASON),
        ],
        ["disputeCdrs", () => a.disputeCdrs(pending.claimId, [], [], [], [])],
        ["disputeClaim", () => a.disputeClaim(pending.claimId, REASON)],
        ["proveClaimSum", () => a.proveClaimSum(pending.claimId, [])],
        ["resolveDispute", () => as(f.settlement, f.arbiter).resolveDispute(1, true, BUNDLE)],
        ["resolveClaimDispute", () => as(f.settlement, f.arbiter).resolveClaimDispute(2, true, BUNDLE)],
        ["netPair", () => a.netPair(current, A, f.supplierC.address)],
        ["recoverShortfall", () => a.recoverShortfall(PERIOD, A, B)],
      ];
      for (const [name, write] of writes) {
        await expect(write(), name).to.be.revertedWithCustomError(f.settlement, "EnforcedPause");
      }
      // Reads keep working.
      expect(await f.settlement.paused()).to.equal(true);
      expect((await f.settlement.claimOf(pending.claimId)).openDisputes).to.equal(1n);
      expect(await f.settlement.isFinal(settled.claimId)).to.equal(false);
      expect(await f.settlement.balanceOf(B)).to.equal(INITIAL_DEPOSIT + settled.amount);
      // Withdrawals of settled money keep working.
      await expect(as(f.settlement, f.supplierB).withdraw(settled.amount))
        .to.emit(f.settlement, "Withdrawn")
        .withArgs(B, settled.amount);
      expect(await f.token.balanceOf(B)).to.equal(settled.amount);

      await expect(as(f.settlement, f.pauser).unpause()).to.emit(f.settlement, "Unpaused");
      await expect(as(f.settlement, f.arbiter).resolveDispute(1, true, BUNDLE)).to.emit(f.settlement, "DisputeResolved");
      await expect(as(f.settlement, f.arbiter).resolveClaimDispute(2, true, BUNDLE)).to.emit(f.settlement, "ClaimDisputeResolved");
    });
  });

  describe("hostile tokens and receivers", () => {
    it("should not let a reentrant receiver withdraw twice (the re-entry is refused)", async () => {
      const f = await suite.load(hookedFixture);
      const vault = await f.settlement.getAddress();
      const before = (await f.token.balanceOf(vault)) as bigint;
      await f.hostile.setMode(Mode.ReenterCaught, 1_000n);
      await expect(f.hostile.withdraw(1_000n)).to.emit(f.settlement, "Withdrawn").withArgs(f.hostileAddress, 1_000n);
      expect(await f.hostile.callbacks()).to.equal(1n);
      const selector = f.settlement.interface.getError("ReentrancyGuardReentrantCall")!.selector;
      expect(await f.hostile.lastReentryError()).to.equal(selector);
      expect(await f.token.balanceOf(f.hostileAddress)).to.equal(1_000n);
      expect(await f.settlement.balanceOf(f.hostileAddress)).to.equal(0n);
      expect(await f.token.balanceOf(vault)).to.equal(before - 1_000n);
    });

    it("should revert the whole withdrawal when the re-entry's revert propagates", async () => {
      const f = await suite.load(hookedFixture);
      await f.hostile.setMode(Mode.ReenterBubbling, 1n);
      await expect(f.hostile.withdraw(500n)).to.be.revertedWithCustomError(f.settlement, "ReentrancyGuardReentrantCall");
      expect(await f.settlement.balanceOf(f.hostileAddress)).to.equal(1_000n);
      expect(await f.token.balanceOf(f.hostileAddress)).to.equal(0n);
    });

    it("should credit a deposit once when the depositor re-enters during it", async () => {
      const f = await suite.load(hookedFixture);
      await f.token.mint(f.hostileAddress, 500n);
      await f.hostile.setMode(Mode.ReenterCaught, 1_000n);
      await expect(f.hostile.deposit(500n)).to.emit(f.settlement, "Deposited").withArgs(f.hostileAddress, 500n);
      const selector = f.settlement.interface.getError("ReentrancyGuardReentrantCall")!.selector;
      expect(await f.hostile.lastReentryError()).to.equal(selector);
      expect(await f.settlement.balanceOf(f.hostileAddress)).to.equal(1_500n);
      expect(await f.token.balanceOf(await f.settlement.getAddress())).to.equal(4n * INITIAL_DEPOSIT + 1_500n);
    });

    it("should not let a reverting receiver block anyone else (pull payments)", async () => {
      const f = await suite.load(hookedFixture);
      await f.hostile.setMode(Mode.RevertOnReceive, 0n);
      await expect(f.hostile.withdraw(1_000n)).to.be.revertedWithCustomError(f.hostile, "HostileSupplierRefused");
      // Everyone else settles and withdraws as usual.
      const PERIOD = await currentPeriod(suite.connection);
      const claim = await submitClaim(f, f.supplierB, f.supplierA, PERIOD);
      await closePeriod(suite.connection, PERIOD);
      await as(f.settlement, f.supplierC).netPair(PERIOD, f.supplierA.address, f.supplierB.address);
      await as(f.settlement, f.supplierB).withdraw(INITIAL_DEPOSIT + claim.amount);
      await as(f.settlement, f.supplierA).withdraw(INITIAL_DEPOSIT - claim.amount);
      expect(await f.token.balanceOf(f.supplierB.address)).to.equal(INITIAL_DEPOSIT + claim.amount);
      // The refusing receiver keeps its balance and can withdraw once it accepts tokens again.
      expect(await f.settlement.balanceOf(f.hostileAddress)).to.equal(1_000n);
      await f.hostile.setMode(Mode.None, 0n);
      await f.hostile.withdraw(1_000n);
      expect(await f.token.balanceOf(f.hostileAddress)).to.equal(1_000n);
    });

    it("should revert when a token returns false instead of reverting (SafeERC20)", async () => {
      const f = await suite.load(falseTokenFixture);
      await f.token.setFailing(true);
      const token = await f.token.getAddress();
      await f.token.mint(f.supplierA.address, 10n);
      await as(f.token, f.supplierA).approve(await f.settlement.getAddress(), 10n);
      await expect(as(f.settlement, f.supplierA).deposit(10n))
        .to.be.revertedWithCustomError(f.settlement, "SafeERC20FailedOperation")
        .withArgs(token);
      await expect(as(f.settlement, f.supplierA).withdraw(10n))
        .to.be.revertedWithCustomError(f.settlement, "SafeERC20FailedOperation")
        .withArgs(token);
      expect(await f.settlement.balanceOf(f.supplierA.address)).to.equal(INITIAL_DEPOSIT);
      expect(await f.token.balanceOf(f.supplierA.address)).to.equal(10n);
      await f.token.setFailing(false);
      await as(f.settlement, f.supplierA).withdraw(10n);
      expect(await f.token.balanceOf(f.supplierA.address)).to.equal(20n);
    });
  });
});
