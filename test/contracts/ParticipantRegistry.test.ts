import { expect } from "chai";
import fc from "fast-check";
import { hexlify, randomBytes, Wallet, type Signer } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { registerSigningKey, registryDomain, signKeyBinding, keyBindingDigest, type KeyBinding } from "../../src/evidence/keys.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";

const OPEN_ENDED = (1n << 40n) - 1n;
type Fixture = Awaited<ReturnType<typeof evidenceFixture>>;

/** The arguments of `addSigningKey`: the binding, the key's proof of possession, a consent. */
async function bindingArgs(f: Fixture, binding: KeyBinding, key: Signer, consent?: Signer, domain = registryDomain(f.chainId, f.registryAddress)) {
  const proof = await signKeyBinding(key, domain, binding);
  const agreed = consent ? await signKeyBinding(consent, domain, binding) : "0x";
  return [binding.participant, binding.key, binding.validFrom, binding.validUntil, proof, agreed] as const;
}

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
      const wallet = Wallet.createRandom();
      const key = wallet.address;
      const p = f.participants.supplierA.address;
      const from = (await now()) + 100n;
      const until = from + 1000n;
      const args = await bindingArgs(f, { participant: p, key, validFrom: from, validUntil: until }, wallet);
      await expect(f.registry.connect(f.participants.supplierA).addSigningKey(...args))
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
      const binding = { participant: f.participants.supplierB.address, key, validFrom: (await now()) + 10n, validUntil: OPEN_ENDED };
      await expect(f.registry.addSigningKey(...(await bindingArgs(f, binding, f.keys.supplierA!, f.participants.supplierB))))
        .to.be.revertedWithCustomError(f.registry, "RegistryKeyAlreadyRegistered")
        .withArgs(key);
    });

    it("should refuse intervals that start in the past or are empty", async () => {
      const f = await fixture();
      const p = f.participants.supplierA.address;
      const t = await now();
      const k = Wallet.createRandom();
      const supplier = f.registry.connect(f.participants.supplierA);
      await expect(supplier.addSigningKey(...(await bindingArgs(f, { participant: p, key: k.address, validFrom: t - 5n, validUntil: t + 100n }, k))))
        .to.be.revertedWithCustomError(f.registry, "RegistryInvalidInterval")
        .withArgs(t - 5n, t + 100n);
      await expect(supplier.addSigningKey(...(await bindingArgs(f, { participant: p, key: k.address, validFrom: t + 100n, validUntil: t + 100n }, k))))
        .to.be.revertedWithCustomError(f.registry, "RegistryInvalidInterval")
        .withArgs(t + 100n, t + 100n);
    });

    it("should refuse keys for accounts without a participant role", async () => {
      const f = await fixture();
      const k = Wallet.createRandom();
      const binding = { participant: f.outsider.address, key: k.address, validFrom: (await now()) + 10n, validUntil: OPEN_ENDED };
      await expect(f.registry.addSigningKey(...(await bindingArgs(f, binding, k, f.outsider))))
        .to.be.revertedWithCustomError(f.registry, "RegistryNotAParticipant")
        .withArgs(f.outsider.address);
    });

    it("should rotate and revoke without ever invalidating the past", async () => {
      const f = await fixture();
      const p = f.participants.meter.address;
      const oldKey = f.keys.meter!.address;
      const signedAt = await now();
      const newKey = Wallet.createRandom();
      await registerSigningKey(f.registry.connect(f.participants.meter), newKey, { participant: p, validFrom: signedAt + 10n, validUntil: OPEN_ENDED });
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

  describe("proof of possession and consent", () => {
    it("should refuse to register another's key address without that key's signature (squatting)", async () => {
      const f = await fixture();
      const victimKey = Wallet.createRandom();
      const squatter = f.registry.connect(f.participants.supplierB);
      const binding = { participant: f.participants.supplierB.address, key: victimKey.address, validFrom: (await now()) + 10n, validUntil: OPEN_ENDED };
      // No proof, or a "proof" signed by the squatter's own key.
      const none = await bindingArgs(f, binding, f.keys.supplierB!);
      await expect(squatter.addSigningKey(none[0], none[1], none[2], none[3], "0x", "0x"))
        .to.be.revertedWithCustomError(f.registry, "RegistryInvalidKeyProof")
        .withArgs(victimKey.address);
      await expect(squatter.addSigningKey(...none)).to.be.revertedWithCustomError(f.registry, "RegistryInvalidKeyProof").withArgs(victimKey.address);
      // The victim's proof for itself cannot be replayed for the squatter.
      const own = { ...binding, participant: f.participants.supplierA.address };
      const proofForVictim = (await bindingArgs(f, own, victimKey))[4];
      await expect(squatter.addSigningKey(binding.participant, binding.key, binding.validFrom, binding.validUntil, proofForVictim, "0x"))
        .to.be.revertedWithCustomError(f.registry, "RegistryInvalidKeyProof")
        .withArgs(victimKey.address);
      // Nor a proof made for another registry or chain.
      const elsewhere = await bindingArgs(f, binding, victimKey, undefined, registryDomain(f.chainId + 1n, f.registryAddress));
      await expect(squatter.addSigningKey(...elsewhere)).to.be.revertedWithCustomError(f.registry, "RegistryInvalidKeyProof");
      // The owner registers its key.
      await registerSigningKey(f.registry.connect(f.participants.supplierA), victimKey, own);
      expect((await f.registry.signingKey(victimKey.address)).participant).to.equal(f.participants.supplierA.address);
    });

    it("should refuse a key the registrar binds to a participant without its consent", async () => {
      const f = await fixture();
      const rogue = Wallet.createRandom();
      const binding = { participant: f.participants.dcc.address, key: rogue.address, validFrom: (await now()) + 10n, validUntil: OPEN_ENDED };
      // The registrar holds the key (proof of possession passes) but signs the consent itself.
      await expect(f.registry.addSigningKey(...(await bindingArgs(f, binding, rogue))))
        .to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent")
        .withArgs(f.participants.dcc.address);
      await expect(f.registry.addSigningKey(...(await bindingArgs(f, binding, rogue, f.registrar))))
        .to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent")
        .withArgs(f.participants.dcc.address);
      await expect(f.registry.addSigningKey(...(await bindingArgs(f, binding, rogue, f.keys.meter!))))
        .to.be.revertedWithCustomError(f.registry, "RegistryMissingConsent")
        .withArgs(f.participants.dcc.address);
      // With the participant's consent, by its account or by its current key, it goes through.
      await expect(f.registry.addSigningKey(...(await bindingArgs(f, binding, rogue, f.keys.dcc!)))).to.emit(f.registry, "SigningKeyAdded");
      const other = Wallet.createRandom();
      await registerSigningKey(f.registry, other, { ...binding }, { consent: f.participants.dcc });
      expect((await f.registry.signingKey(other.address)).participant).to.equal(f.participants.dcc.address);
    });

    it("should refuse a registrar's binding without consent in the helper, with a typed error", async () => {
      const f = await fixture();
      const error = await registerSigningKey(f.registry, Wallet.createRandom(), {
        participant: f.participants.dcc.address,
        validFrom: (await now()) + 10n,
        validUntil: OPEN_ENDED,
      }).catch((e: unknown) => e);
      expect(error).to.have.property("code", "BAD_INPUT");
    });

    it("should refuse any single-field change of a signed key binding (property)", async () => {
      const f = await fixture();
      const key = Wallet.createRandom();
      const t = await now();
      const binding = { participant: f.participants.supplierA.address, key: key.address, validFrom: t + 100n, validUntil: t + 100_000n };
      const [, , , , proof, consent] = await bindingArgs(f, binding, key, f.participants.supplierA);
      const supplier = f.registry.connect(f.participants.supplierA);
      expect(await f.registry.keyBindingDigest(binding.participant, binding.key, binding.validFrom, binding.validUntil)).to.equal(
        keyBindingDigest(registryDomain(f.chainId, f.registryAddress), binding),
      );
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom("key", "validFrom", "validUntil", "participant"), fc.integer({ min: 1, max: 50 }), async (field, delta) => {
          runs++;
          const changed = { ...binding };
          if (field === "key") changed.key = Wallet.createRandom().address;
          else if (field === "participant") changed.participant = f.participants.supplierB.address;
          else changed[field] += BigInt(delta);
          // The registrar submits it (a participant may only bind its own keys) with the original consent.
          await expect(
            f.registry.addSigningKey.staticCall(changed.participant, changed.key, changed.validFrom, changed.validUntil, proof, consent),
            field,
          ).to.be.revertedWithCustomError(f.registry, "RegistryInvalidKeyProof");
        }),
        { numRuns: 30 },
      );
      expect(runs).to.equal(30);
      await expect(supplier.addSigningKey(binding.participant, binding.key, binding.validFrom, binding.validUntil, proof, consent)).to.emit(
        f.registry,
        "SigningKeyAdded",
      );
    });
  });

  describe("arbiters", () => {
    it("should let only the default admin, not the registrar, grant the arbiter role", async () => {
      const f = await fixture();
      const registrar = f.registrar.address;
      await expect(f.registry.grantRole(f.roles.ARBITER, registrar))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(registrar, hexlify(new Uint8Array(32)));
      expect(await f.registry.getRoleAdmin(f.roles.ARBITER)).to.equal(hexlify(new Uint8Array(32)));
      await expect(f.registry.connect(f.admin).grantRole(f.roles.ARBITER, f.outsider.address)).to.emit(f.registry, "RoleGranted");
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
      expect((await f.registry.groupVersion(groupId, 1)).supersededAt).to.equal(await now());
      expect((await f.registry.groupVersion(groupId, 2)).supersededAt).to.equal(0n);
      // A member added in version 2 is not in version 1.
      const late = members[5]![0];
      const lateIndex = [...v2.entries()].find(([, [m]]) => m === late)![0];
      expect(await f.registry.isGroupMember(groupId, 1, late, v2.getProof(lateIndex))).to.equal(false);
      await expect(f.registry.groupVersion(groupId, 3)).to.be.revertedWithCustomError(f.registry, "RegistryUnknownGroupVersion").withArgs(groupId, 3);
    });

    it("should stop a member removed in a later version proving membership of the old one after the grace period", async () => {
      const f = await fixture();
      const groupId = hexlify(randomBytes(32));
      const members = Array.from({ length: 4 }, () => [hexlify(randomBytes(32))] as [string]);
      const v1 = StandardMerkleTree.of(members, ["bytes32"]);
      const v2 = StandardMerkleTree.of(members.slice(1), ["bytes32"]);
      await f.registry.publishGroupRoot(groupId, v1.root, 4);
      const removed = members[0]![0];
      const proof = v1.getProof(0);
      expect(await f.registry.isGroupMember(groupId, 1, removed, proof)).to.equal(true);
      await f.registry.publishGroupRoot(groupId, v2.root, 3);
      const superseded = await now();
      const grace = await f.registry.GROUP_GRACE_PERIOD();
      // Within the grace period the old version still proves membership; from its end on, never.
      await connection.networkHelpers.time.increaseTo(superseded + grace - 1n);
      expect(await f.registry.isGroupMember(groupId, 1, removed, proof)).to.equal(true);
      expect(await f.registry.isGroupVersionCurrent(groupId, 1, superseded + grace - 1n)).to.equal(true);
      expect(await f.registry.isGroupVersionCurrent(groupId, 1, superseded + grace)).to.equal(false);
      await connection.networkHelpers.time.increaseTo(superseded + grace);
      expect(await f.registry.isGroupMember(groupId, 1, removed, proof)).to.equal(false);
      expect(await f.registry.isGroupVersionCurrent(groupId, 2, superseded + grace)).to.equal(true);
      expect(await f.registry.isGroupVersionCurrent(groupId, 3, superseded)).to.equal(false);
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
