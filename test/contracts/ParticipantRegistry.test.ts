import { expect } from "chai";
import { hexlify, randomBytes, Wallet } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";

const OPEN_ENDED = (1n << 40n) - 1n;

describe("ParticipantRegistry", () => {
  let connection: TestConnection;
  before(async () => {
    connection = await createNetwork();
  });
  async function fixtureFn() {
    return evidenceFixture(connection);
  }
  const fixture = () => connection.networkHelpers.loadFixture(fixtureFn);
  const now = async () => BigInt(await connection.networkHelpers.time.latest());

  describe("signing keys", () => {
    it("should answer 'was key K valid for P at time T' over the whole interval and nowhere else", async () => {
      const f = await fixture();
      const key = Wallet.createRandom().address;
      const p = f.participants.supplierA.address;
      const from = (await now()) + 100n;
      const until = from + 1000n;
      await expect(f.registry.connect(f.participants.supplierA).addSigningKey(p, key, from, until))
        .to.emit(f.registry, "SigningKeyAdded")
        .withArgs(p, key, from, until);
      expect(await f.registry.isKeyValid(p, key, from - 1n)).to.equal(false);
      expect(await f.registry.isKeyValid(p, key, from)).to.equal(true);
      expect(await f.registry.isKeyValid(p, key, until - 1n)).to.equal(true);
      expect(await f.registry.isKeyValid(p, key, until)).to.equal(false);
      expect(await f.registry.isKeyValid(f.participants.supplierB.address, key, from)).to.equal(false);
      const k = await f.registry.signingKey(key);
      expect([k.participant, k.validFrom, k.validUntil]).to.deep.equal([p, from, until]);
    });

    it("should keep a key bound to one participant forever", async () => {
      const f = await fixture();
      const key = f.keys.supplierA!.address;
      await expect(f.registry.addSigningKey(f.participants.supplierB.address, key, (await now()) + 10n, OPEN_ENDED))
        .to.be.revertedWithCustomError(f.registry, "RegistryKeyAlreadyRegistered")
        .withArgs(key);
    });

    it("should refuse intervals that start in the past or are empty", async () => {
      const f = await fixture();
      const p = f.participants.supplierA.address;
      const t = await now();
      await expect(f.registry.addSigningKey(p, Wallet.createRandom().address, t - 5n, t + 100n)).to.be.revertedWithCustomError(
        f.registry,
        "RegistryInvalidInterval",
      );
      await expect(f.registry.addSigningKey(p, Wallet.createRandom().address, t + 100n, t + 100n)).to.be.revertedWithCustomError(
        f.registry,
        "RegistryInvalidInterval",
      );
    });

    it("should refuse keys for accounts without a participant role", async () => {
      const f = await fixture();
      await expect(f.registry.addSigningKey(f.outsider.address, Wallet.createRandom().address, (await now()) + 10n, OPEN_ENDED))
        .to.be.revertedWithCustomError(f.registry, "RegistryNotAParticipant")
        .withArgs(f.outsider.address);
    });

    it("should rotate and revoke without ever invalidating the past", async () => {
      const f = await fixture();
      const p = f.participants.meter.address;
      const oldKey = f.keys.meter!.address;
      const signedAt = await now();
      const newKey = Wallet.createRandom().address;
      await f.registry.connect(f.participants.meter).addSigningKey(p, newKey, signedAt + 10n, OPEN_ENDED);
      // A revocation dated in the past takes effect now: it cannot reach back.
      await expect(f.registry.connect(f.participants.meter).revokeSigningKey(oldKey, signedAt - 1000n)).to.emit(
        f.registry,
        "SigningKeyRevoked",
      );
      const revokedAt = await now();
      expect((await f.registry.signingKey(oldKey)).validUntil).to.equal(revokedAt);
      expect(await f.registry.isKeyValid(p, oldKey, signedAt)).to.equal(true);
      expect(await f.registry.isKeyValid(p, oldKey, revokedAt)).to.equal(false);
      // Revocation only shortens: a second one cannot reopen the interval.
      await expect(f.registry.revokeSigningKey(oldKey, revokedAt + 1000n)).to.be.revertedWithCustomError(
        f.registry,
        "RegistryInvalidInterval",
      );
      const unknown = Wallet.createRandom().address;
      await expect(f.registry.revokeSigningKey(unknown, 0)).to.be.revertedWithCustomError(f.registry, "RegistryUnknownKey").withArgs(unknown);
      await expect(f.registry.signingKey(unknown)).to.be.revertedWithCustomError(f.registry, "RegistryUnknownKey");
    });

    it("should not let a participant manage another participant's keys", async () => {
      const f = await fixture();
      await expect(f.registry.connect(f.participants.supplierB).revokeSigningKey(f.keys.supplierA!.address, 0))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(f.participants.supplierB.address, f.roles.REGISTRAR);
    });
  });

  describe("group commitments", () => {
    it("should publish versioned roots and prove membership against the chosen version", async () => {
      const f = await fixture();
      const groupId = hexlify(randomBytes(32));
      const members = Array.from({ length: 6 }, () => [hexlify(randomBytes(32))] as [string]);
      const v1 = StandardMerkleTree.of(members.slice(0, 4), ["bytes32"]);
      const v2 = StandardMerkleTree.of(members, ["bytes32"]);
      expect(await f.registry.latestGroupVersion(groupId)).to.equal(0n);
      await expect(f.registry.publishGroupRoot(groupId, v1.root, 4)).to.emit(f.registry, "GroupRootPublished").withArgs(groupId, 1, v1.root, 4);
      await f.registry.publishGroupRoot(groupId, v2.root, 6);
      expect(await f.registry.latestGroupVersion(groupId)).to.equal(2n);
      const g1 = await f.registry.groupVersion(groupId, 1);
      expect([g1.root, g1.memberCount]).to.deep.equal([v1.root, 4n]);
      for (const [i, [m]] of v2.entries()) {
        expect(await f.registry.isGroupMember(groupId, 2, m, v2.getProof(i))).to.equal(true);
      }
      // A member added in version 2 is not in version 1.
      const late = members[5]![0];
      const lateIndex = [...v2.entries()].find(([, [m]]) => m === late)![0];
      expect(await f.registry.isGroupMember(groupId, 1, late, v2.getProof(lateIndex))).to.equal(false);
      await expect(f.registry.groupVersion(groupId, 3)).to.be.revertedWithCustomError(f.registry, "RegistryUnknownGroupVersion").withArgs(groupId, 3);
    });

    it("should refuse an empty group", async () => {
      const f = await fixture();
      const groupId = hexlify(randomBytes(32));
      await expect(f.registry.publishGroupRoot(groupId, hexlify(new Uint8Array(32)), 3)).to.be.revertedWithCustomError(f.registry, "RegistryInvalidGroupRoot");
      await expect(f.registry.publishGroupRoot(groupId, hexlify(randomBytes(32)), 0)).to.be.revertedWithCustomError(f.registry, "RegistryInvalidGroupRoot");
    });
  });

  describe("admin", () => {
    it("should transfer the default admin only in two steps after the delay", async () => {
      const f = await fixture();
      const next = f.outsider;
      await f.registry.connect(f.admin).beginDefaultAdminTransfer(next.address);
      await expect(f.registry.connect(next).acceptDefaultAdminTransfer()).to.be.revertedWithCustomError(
        f.registry,
        "AccessControlEnforcedDefaultAdminDelay",
      );
      await connection.networkHelpers.time.increase(3 * 86400 + 1);
      await f.registry.connect(next).acceptDefaultAdminTransfer();
      expect(await f.registry.defaultAdmin()).to.equal(next.address);
    });
  });
});
