import { expect } from "chai";
import { Wallet } from "ethers";
import { chargingDomain } from "../../src/charging/artefactTypes.js";
import { ChargingError } from "../../src/charging/errors.js";
import { CachedKeyDirectory, RegistryKeyDirectory } from "../../src/charging/keyDirectory.js";
import { registerSigningKey } from "../../src/evidence/keys.js";
import { PseudonymIssuer, verifyPseudonymCert } from "../../src/charging/pseudonyms.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork } from "../helpers/network.js";

describe("charging: artefacts verified against the participant registry", function () {
  this.timeout(120_000);

  it("should verify a pseudonym certificate by a supplier key registered on chain, and refuse other keys", async () => {
    const connection = await createNetwork();
    const f = await evidenceFixture(connection);
    const now = BigInt(await connection.networkHelpers.time.latest());
    const key = Wallet.createRandom();
    await registerSigningKey(f.registry, key, { participant: f.participants.supplierB.address, validFrom: now + 10n, validUntil: now + 86_400n }, { consent: f.participants.supplierB });
    await connection.networkHelpers.time.increase(20);
    const at = BigInt(await connection.networkHelpers.time.latest());
    const directory = new RegistryKeyDirectory(f.registry);
    const domain = chargingDomain(f.chainId, f.registryAddress);
    const pseudonym = Wallet.createRandom().address;
    const cert = await new PseudonymIssuer(f.participants.supplierB.address, key, domain).certify("user-1", pseudonym, at - 5n, at + 3600n);
    const ok = await verifyPseudonymCert(directory, domain, cert, at);
    expect(ok.supplier).to.equal(f.participants.supplierB.address);
    // Before the key's validity starts, at the exact second it starts.
    await verifyPseudonymCert(directory, domain, cert, now + 9n).then(
      () => expect.fail("accepted before the key was valid"),
      (e: unknown) => expect((e as ChargingError).message).to.contain("not a registered key"),
    );
    // The aggregator's registered key is a key, but the aggregator is no supplier.
    const byAggregator = await new PseudonymIssuer(f.participants.aggregator.address, f.keys.aggregator!, domain).certify("u", pseudonym, at - 5n, at + 3600n);
    await verifyPseudonymCert(directory, domain, byAggregator, at).then(
      () => expect.fail("accepted an aggregator's certificate"),
      (e: unknown) => expect((e as ChargingError).message).to.contain("SUPPLIER role"),
    );
  });

  it("should see a revocation and a new key through the cached directory once the registry's event is mined, and read each key once", async () => {
    const connection = await createNetwork();
    const f = await evidenceFixture(connection);
    const provider = connection.ethers.provider;
    const supplier = f.participants.supplierB.address;
    const key = f.keys.supplierB!.address;
    const at = BigInt(await connection.networkHelpers.time.latest());
    let reads = 0;
    const counted = new Proxy(f.registry, {
      get: (target, name, receiver) => {
        if (name === "signingKey") reads++;
        return Reflect.get(target, name, receiver);
      },
    });
    const directory = new CachedKeyDirectory(counted, provider, { maxAgeMs: 60_000 });
    expect(await directory.isKeyValid(supplier, key, at)).to.equal(true);
    expect(await directory.isKeyValid(supplier, key, at + 1n)).to.equal(true);
    expect(await directory.hasRole("SUPPLIER", supplier)).to.equal(true);
    expect(reads).to.equal(1);
    // Another participant or a zero party never passes with a cached key.
    expect(await directory.isKeyValid(f.participants.supplierA.address, key, at)).to.equal(false);

    // The attack: the key is revoked on chain while its "valid" answer is cached.
    await (await f.registry.revokeSigningKey(key, 0)).wait();
    const revokedAt = BigInt(await connection.networkHelpers.time.latest());
    await directory.refresh();
    expect(await directory.isKeyValid(supplier, key, revokedAt + 1n)).to.equal(false);
    expect(await directory.isKeyValid(supplier, key, at)).to.equal(true); // signed before the revocation
    expect(reads).to.equal(2);

    // A key unknown when asked, registered afterwards, is read again.
    const fresh = Wallet.createRandom();
    expect(await directory.isKeyValid(supplier, fresh.address, revokedAt + 100n)).to.equal(false);
    await registerSigningKey(f.registry, fresh, { participant: supplier, validFrom: revokedAt + 10n, validUntil: revokedAt + 86_400n }, { consent: f.participants.supplierB });
    await directory.refresh();
    expect(await directory.isKeyValid(supplier, fresh.address, revokedAt + 100n)).to.equal(true);

    // Without an explicit refresh the directory checks for events on its own once its age is up.
    const eager = new CachedKeyDirectory(f.registry, provider, { maxAgeMs: 0 });
    expect(await eager.isKeyValid(supplier, fresh.address, revokedAt + 100n)).to.equal(true);
    await (await f.registry.revokeSigningKey(fresh.address, 0)).wait();
    expect(await eager.isKeyValid(supplier, fresh.address, revokedAt + 86_000n)).to.equal(false);
  });

  it("should refuse with UNAVAILABLE, and cache nothing, when the chain does not answer", async () => {
    const connection = await createNetwork();
    const f = await evidenceFixture(connection);
    const provider = connection.ethers.provider;
    let down = true;
    const flaky = new Proxy(provider, {
      get: (target, name, receiver) => {
        const v = Reflect.get(target, name, receiver) as unknown;
        if (name === "getBlockNumber" && down) return () => Promise.reject(new Error("connection refused"));
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const directory = new CachedKeyDirectory(f.registry, flaky, { maxAgeMs: 0 });
    const at = BigInt(await connection.networkHelpers.time.latest());
    const key = f.keys.supplierB!.address;
    await directory.isKeyValid(f.participants.supplierB.address, key, at).then(
      () => expect.fail("answered without the chain"),
      (e: unknown) => expect((e as ChargingError).code).to.equal("UNAVAILABLE"),
    );
    down = false;
    expect(await directory.isKeyValid(f.participants.supplierB.address, key, at)).to.equal(true);
  });
});
