/**
 * Pseudonym-signed evidence in bundles (version 3): a vehicle's REQ_EV, its confirmation and its
 * receipt of the schedule are signed by a session pseudonym no registry knows; the bundle carries
 * the supplier's certificate of that pseudonym, and the verifier accepts those items exactly when
 * the certificate is signed by a registered key of a supplier valid when it was issued, the item's
 * time lies in its window and the signer is the certified pseudonym. Each attack is refused with
 * its own reason; old bundles keep their verdicts.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { signArtefact } from "../../src/charging/artefacts.js";
import { PseudonymIssuer } from "../../src/charging/pseudonyms.js";
import { buildBundle, bundleToJson, parseBundle, type EvidenceBundle } from "../../src/evidence/bundle.js";
import { RpcChainView, SnapshotChainView } from "../../src/evidence/chainView.js";
import { EvidenceError } from "../../src/evidence/errors.js";
import { customerGroup, type SignedPseudonymCert } from "../../src/evidence/pseudonymCerts.js";
import { verifyBundle, type Verdict } from "../../src/evidence/verify.js";
import { createNetwork } from "../helpers/network.js";
import type { Json } from "../helpers/json.js";
import { randomId } from "./offline.js";
import { pseudonymSession } from "./pseudonymSession.js";
import { sessionTools } from "./session.js";

const conn = await createNetwork();
const load = () => conn.networkHelpers.loadFixture(async function pseudonymTools() {
  return sessionTools(conn);
});

const offline = (b: EvidenceBundle) => verifyBundle(b, new SnapshotChainView(b.chainState!));
/** Reasons per invalid item, as `kind#index: reasons`. */
const invalid = (v: Verdict) => v.items.filter((i) => !i.valid).map((i) => `${i.kind}#${i.index}: ${i.reasons.join(",")}`);
/** The indices of the pseudonym's items: its two messages, and its receipt. */
function pseudonymItems(b: EvidenceBundle, pseudonym: string, reason: string): string[] {
  const same = (a: string) => a.toLowerCase() === pseudonym.toLowerCase();
  return [
    ...b.messages.flatMap((m, i) => (same(m.party) ? [`message#${i}: ${reason}`] : [])),
    ...b.receipts.flatMap((r, i) => (same(r.receiver) ? [`receipt#${i}: ${reason}`] : [])),
  ];
}
/** A copy of `b` through its JSON form, with `edit` applied to the JSON. */
function edited(b: EvidenceBundle, edit: (json: Json) => void): EvidenceBundle {
  const json = JSON.parse(JSON.stringify(bundleToJson(b))) as Json;
  edit(json);
  return parseBundle(json);
}
const certJson = (json: Json) => json.certificates[0] as Json;

describe("Evidence bundles: pseudonym-signed items and their certificates", function () {
  this.timeout(120_000);

  it("should carry the certificate and find every item of a pseudonymous session valid, offline and against the chain", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    expect(s.bundle.schema).to.equal("v2g-evidence-bundle/3");
    expect(s.bundle.certificates.map((c) => c.digest)).to.deep.equal([s.cert.digest.toLowerCase()]);
    expect(s.bundle.chainState!.suppliers).to.deep.equal([t.fx.participants.supplierA.address]);
    const live = await verifyBundle(s.bundle, await RpcChainView.connect(conn.ethers.provider, t.fx.ledgerAddress));
    const snap = await offline(s.bundle);
    expect(invalid(snap)).to.deep.equal([]);
    expect(snap.ok).to.equal(true);
    expect(live.items).to.deep.equal(snap.items);
    // Through a file: the certificate survives the round trip byte for byte.
    expect(parseBundle(JSON.parse(JSON.stringify(bundleToJson(s.bundle))))).to.deep.equal(s.bundle);
  });

  it("should refuse a certificate by a registered key of a participant that is no supplier", async () => {
    const t = await load();
    // The aggregator certifies a pseudonym as its own "customer", with its own valid key.
    const s = await pseudonymSession(t, { certifier: { party: t.fx.participants.aggregator.address, key: t.fx.keys.aggregator! } });
    expect(s.bundle.chainState!.suppliers).to.deep.equal([]);
    expect(invalid(await offline(s.bundle))).to.deep.equal(pseudonymItems(s.bundle, s.key.address, "certificate_invalid"));
    const live = await verifyBundle(s.bundle, await RpcChainView.connect(conn.ethers.provider, t.fx.ledgerAddress));
    expect(invalid(live)).to.deep.equal(pseudonymItems(s.bundle, s.key.address, "certificate_invalid"));
  });

  it("should refuse a certificate in a supplier's name by a key not registered to it", async () => {
    const t = await load();
    const s = await pseudonymSession(t, { certifier: { party: t.fx.participants.supplierA.address, key: t.fx.keys.supplierB! } });
    expect(invalid(await offline(s.bundle))).to.deep.equal(pseudonymItems(s.bundle, s.key.address, "certificate_invalid"));
  });

  it("should refuse a certificate issued with a revoked supplier key, and keep one issued before the revocation", async () => {
    const t = await load();
    const before = await pseudonymSession(t);
    await (await t.fx.registry.revokeSigningKey(t.fx.keys.supplierA!.address, 0)).wait();
    await conn.networkHelpers.time.increase(120);
    const after = await pseudonymSession(t);
    // Judged at the certificate's issue time: the earlier certificate stays good after the revocation.
    const earlier = await buildBundle(t.store, before.bundle.sessionId, { provider: conn.ethers.provider });
    expect(invalid(await offline(earlier))).to.deep.equal([]);
    expect(invalid(await offline(after.bundle))).to.deep.equal(pseudonymItems(after.bundle, after.key.address, "certificate_invalid"));
  });

  it("should refuse an item signed outside its certificate's window, and only that item", async () => {
    const t = await load();
    const at = BigInt(await conn.networkHelpers.time.latest());
    const s = await pseudonymSession(t, { window: [at - 30n, at + 100n], confirmedAt: at + 200n });
    const index = s.bundle.messages.findIndex((m) => m.digest === s.confirmation.digest);
    expect(invalid(await offline(s.bundle))).to.deep.equal([`message#${index}: outside_certificate_window`]);
  });

  it("should refuse the items of a pseudonym when the bundle carries a certificate of another pseudonym", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    const other = await new PseudonymIssuer(t.fx.participants.supplierA.address, t.fx.keys.supplierA!, s.charging).certify(
      Wallet.createRandom().address,
      Wallet.createRandom().address,
      s.cert.value.validFrom,
      s.cert.value.validUntil,
    );
    const b = { ...s.bundle, certificates: [other as SignedPseudonymCert] };
    expect(invalid(await offline(b))).to.deep.equal(pseudonymItems(b, s.key.address, "certificate_missing"));
  });

  it("should refuse the items of a pseudonym whose certificate is missing from the bundle", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    const b = edited(s.bundle, (json) => (json.certificates = []));
    expect(invalid(await offline(b))).to.deep.equal(pseudonymItems(b, s.key.address, "certificate_missing"));
  });

  it("should refuse a request that names another certificate than the one its pseudonym has", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    // A second, genuine certificate of the same pseudonym replaces the one the request names.
    const again = await signArtefact(t.fx.keys.supplierA!, t.fx.participants.supplierA.address, s.charging, "PseudonymCert", { ...s.cert.value, nonce: randomId() });
    const b = { ...s.bundle, certificates: [again as SignedPseudonymCert] };
    const index = b.messages.findIndex((m) => m.digest === s.request.digest);
    expect(invalid(await offline(b))).to.deep.equal([`message#${index}: certificate_missing`]);
  });

  it("should refuse a certificate with any signed field changed", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    const changes: Record<string, (c: Json) => void> = {
      validFrom: (c) => ((c.value as Json).validFrom = "1"),
      validUntil: (c) => ((c.value as Json).validUntil = (s.cert.value.validUntil + 86_400n).toString()),
      group: (c) => ((c.value as Json).group = customerGroup(t.fx.participants.supplierB.address)),
      nonce: (c) => ((c.value as Json).nonce = randomId()),
      supplier: (c) => ((c.value as Json).supplier = t.fx.participants.supplierB.address),
      party: (c) => (c.party = t.fx.participants.supplierB.address),
      signer: (c) => (c.signer = t.fx.keys.supplierB!.address),
    };
    for (const [field, change] of Object.entries(changes)) {
      const b = edited(s.bundle, (json) => change(certJson(json)));
      expect(invalid(await offline(b)), field).to.deep.equal(pseudonymItems(b, s.key.address, "certificate_invalid"));
    }
    // A changed pseudonym certifies another key: the session's pseudonym has no certificate left.
    const moved = edited(s.bundle, (json) => ((certJson(json).value as Json).pseudonym = Wallet.createRandom().address));
    expect(invalid(await offline(moved))).to.deep.equal(pseudonymItems(moved, s.key.address, "certificate_missing"));
  });

  it("should refuse a genuine certificate that claims the digest its pseudonym's request names", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    // Another certificate of the same pseudonym, really signed, relabelled with the named digest.
    const other = await signArtefact(t.fx.keys.supplierA!, t.fx.participants.supplierA.address, s.charging, "PseudonymCert", { ...s.cert.value, validUntil: s.cert.value.validUntil + 86_400n, nonce: randomId() });
    const b = { ...s.bundle, certificates: [{ ...(other as SignedPseudonymCert), digest: s.cert.digest }] };
    expect(invalid(await offline(b))).to.deep.equal(pseudonymItems(b, s.key.address, "certificate_invalid"));
  });

  it("should refuse a supplier's certificate of a pseudonym as another supplier's customer", async () => {
    const t = await load();
    const { supplierB } = t.fx.participants;
    // Signed by A with A's key: first with B's customer group, then naming B as the supplier outright.
    for (const value of [{ group: customerGroup(supplierB.address) }, { supplier: supplierB.address, group: customerGroup(supplierB.address) }]) {
      const s = await pseudonymSession(t, { certValue: value });
      expect(invalid(await offline(s.bundle)), Object.keys(value).join("+")).to.deep.equal(pseudonymItems(s.bundle, s.key.address, "certificate_invalid"));
    }
  });

  it("should keep the verdicts of a version 2 bundle: pseudonym-signed items have no registered key", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    const v2 = edited(s.bundle, (json) => {
      json.schema = "v2g-evidence-bundle/2";
      delete json.certificates;
      delete (json.chainState as Json).suppliers;
    });
    expect(v2.certificates).to.deep.equal([]);
    expect(invalid(await offline(v2))).to.deep.equal(pseudonymItems(v2, s.key.address, "key_not_valid_at_signing_time"));
  });

  it("should refuse a file whose certificates do not match its version", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    const json = () => JSON.parse(JSON.stringify(bundleToJson(s.bundle))) as Json;
    const refused = (j: Json, path: string) => {
      let error: unknown;
      try {
        parseBundle(j);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(EvidenceError);
      expect((error as EvidenceError).code).to.equal("BUNDLE_SCHEMA");
      const issues = (error as EvidenceError).details.issues as { path: (string | number)[] }[];
      expect(issues.map((i) => i.path.join("."))).to.include(path);
    };
    const v2 = json();
    v2.schema = "v2g-evidence-bundle/2";
    refused(v2, "certificates");
    const bare = json();
    delete bare.certificates;
    refused(bare, "certificates");
    const noSuppliers = json();
    delete (noSuppliers.chainState as Json).suppliers;
    refused(noSuppliers, "chainState.suppliers");
    const twice = json();
    twice.certificates = [certJson(twice), certJson(twice)];
    refused(twice, "certificates.1");
  });

  it("should keep a certificate once in a store, refuse other contents under its digest and a signature not by its signer", async () => {
    const t = await load();
    const s = await pseudonymSession(t);
    expect(t.store.certificates.put(s.cert)).to.equal("duplicate");
    expect(t.store.certificates.of(s.key.address)).to.deep.equal([s.bundle.certificates[0]]);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as EvidenceError).code;
      }
      return "none";
    };
    expect(code(() => t.store.certificates.put({ ...s.cert, value: { ...s.cert.value, validUntil: s.cert.value.validUntil + 1n } }))).to.equal("STORE");
    expect(code(() => t.store.certificates.put({ ...s.cert, signer: t.fx.keys.supplierB!.address }))).to.equal("BAD_SIGNATURE");
    expect(code(() => t.store.certificates.put({ ...s.cert, party: "0x0" }))).to.equal("BAD_INPUT");
  });
});
