/** The `ca serve` config: validated, paths resolved, secrets only from key files or the environment. */
import { expect } from "chai";
import { parseCaConfig, parseLagConfig } from "../../src/services/config.js";
import { DEFAULT_WS_RATE } from "../../src/services/lagServer.js";
import { OperatorToken } from "../../src/services/operatorToken.js";
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

  it("should take the operator's token only from a key file or the environment, and refuse a short one", function () {
    const c = parseCaConfig({ ...base, operatorToken: { file: "ca-operator.token" } }, "/srv/ca");
    expect(c.operatorToken).to.deep.equal({ file: "/srv/ca/ca-operator.token" });
    expectCode(() => parseCaConfig({ ...base, operatorToken: "an-inline-token-is-not-a-key-source-000000" }, "/srv/ca"), "INVALID_CONFIG");
    const token = "t".repeat(32);
    expect(() => OperatorToken.read({ env: "OP" }, { OP: token }).check(`Bearer ${token}`)).not.to.throw();
    expectCode(() => OperatorToken.read({ env: "OP" }, { OP: "short" }), "INVALID_CONFIG");
    expectCode(() => OperatorToken.read({ env: "OP" }, {}), "INVALID_CONFIG");
    expectCode(() => OperatorToken.of(token).check(`Bearer ${token.slice(1)}x`), "UNAUTHORIZED");
    expectCode(() => OperatorToken.of(token).check([`Bearer ${token}`, "x"]), "UNAUTHORIZED");
  });
});

describe("Services: the LAG service's config (session routes)", function () {
  const lag = { lagId: "LAG-1", staticKey: { file: "lag.key" }, permitFile: "lag.permit", caPublicFile: "ca.public.json", groupFiles: ["group-1.json"], keyImages: { sqlite: "images.db" } };

  it("should default the batch size, live requests and WebSocket rates, and take a CA URL", function () {
    const c = parseLagConfig({ ...lag, caUrl: "http://127.0.0.1:8090" }, "/srv/lag");
    expect(c).to.deep.include({ caUrl: "http://127.0.0.1:8090", statusBatchSize: 16, maxDischargeRequests: 16 });
    expect(c.wsRate).to.deep.equal(DEFAULT_WS_RATE);
  });

  it("should refuse a CA URL that is not http://, a batch below two and a rate of zero", function () {
    expectCode(() => parseLagConfig({ ...lag, caUrl: "ftp://ca" }, "/srv/lag"), "INVALID_CONFIG");
    expectCode(() => parseLagConfig({ ...lag, statusBatchSize: 1 }, "/srv/lag"), "INVALID_CONFIG");
    expectCode(() => parseLagConfig({ ...lag, wsRate: { connection: { perSecond: 0, burst: 1 }, address: { perSecond: 1, burst: 1 } } }, "/srv/lag"), "INVALID_CONFIG");
  });
});
