/** The `ca serve` config: validated, paths resolved, secrets only from key files or the environment. */
import { expect } from "chai";
import { parseCaConfig } from "../../src/services/config.js";
import { expectCode } from "../protocol/helpers/world.js";

const base = {
  permitKey: { file: "ca-permit.key" },
  escrowKey: { env: "CA_ESCROW_KEY" },
  envelopeKey: { file: "ca-envelope.key" },
  groupFiles: ["group-1.json"],
  lagPermitFiles: ["lag.permit"],
  rounds: { sqlite: "ca-rounds.db" },
};

describe("Services: the CA service's config", function () {
  it("should resolve paths against the config's folder and apply the defaults", function () {
    const c = parseCaConfig(base, "/srv/ca");
    expect(c.permitKey).to.deep.equal({ file: "/srv/ca/ca-permit.key" });
    expect(c.escrowKey).to.deep.equal({ env: "CA_ESCROW_KEY" });
    expect(c.lagPermitFiles).to.deep.equal(["/srv/ca/lag.permit"]);
    expect(c.rounds).to.deep.equal({ sqlite: "/srv/ca/ca-rounds.db" });
    expect(c).to.deep.include({ host: "127.0.0.1", port: 8090, maxActive: 16, bodyLimit: 512 * 1024 });
  });

  it("should refuse a secret key written into the config, an unknown key and a missing store", function () {
    const secret = "ab".repeat(32);
    expect(expectCode(() => parseCaConfig({ ...base, envelopeKey: { file: secret } }, "/srv/ca"), "INVALID_CONFIG").message).to.include("secret key at envelopeKey.file");
    expect(expectCode(() => parseCaConfig({ ...base, envelopeSecret: "x" }, "/srv/ca"), "INVALID_CONFIG").message).to.include("invalid config");
    const { rounds: _rounds, ...withoutRounds } = base;
    expectCode(() => parseCaConfig(withoutRounds, "/srv/ca"), "INVALID_CONFIG");
    expectCode(() => parseCaConfig({ ...base, maxActive: 0 }, "/srv/ca"), "INVALID_CONFIG");
    expectCode(() => parseCaConfig({ ...base, lagPermitFiles: [] }, "/srv/ca"), "INVALID_CONFIG");
  });
});
