import { expect } from "chai";
import { Wallet } from "ethers";
import { chargingDomain } from "../../src/charging/artefactTypes.js";
import { ChargingError } from "../../src/charging/errors.js";
import { RegistryKeyDirectory } from "../../src/charging/keyDirectory.js";
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
});
