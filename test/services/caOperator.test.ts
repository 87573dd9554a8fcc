/**
 * The CA operator's routes: issuing a discharge request and reading its tally take the operator's
 * bearer token; callers without it (on loopback too) are refused `UNAUTHORIZED` before the body
 * is read, bad input is `MALFORMED` / `WRONG_SCOPE` / `UNKNOWN_REQUEST` and issues nothing; the
 * `v2g ca discharge-request` and `discharge-tally` commands speak to them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { z } from "zod";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { defaultDeps } from "../../src/cli/context.js";
import { decodeMessage, verifyDischargeRequest } from "../../src/protocol/index.js";
import { CaOperatorClient } from "../../src/services/caClient.js";
import type { CaService } from "../../src/services/caServer.js";
import type { LagService } from "../../src/services/lagServer.js";
import { OperatorToken } from "../../src/services/operatorToken.js";
import { expectCodeAsync } from "../protocol/helpers/world.js";
import { localDeployment, startLocalCa, startLocalLag, type Local } from "./helpers/service.js";

const TOKEN = "the-operator-token-of-these-tests-0123456789";

describe("Services: the CA operator's routes", function () {
  this.timeout(60_000);
  let local: Local;
  let ca: CaService;
  let operator: CaOperatorClient;

  /** The requests the CA has issued (its metrics). */
  const issuedCount = async () => {
    const m = await (await fetch(`${ca.url}/metrics`)).text();
    return Number(/^v2g_ca_requests_total\{kind="discharge-issue",outcome="accepted"\} (\d+)$/m.exec(m)?.[1] ?? 0);
  };

  before(async function () {
    local = await localDeployment(8, 4);
    ca = await startLocalCa(local, "operator-rounds.db", { operatorToken: OperatorToken.of(TOKEN) });
    operator = new CaOperatorClient(ca.url, TOKEN);
  });
  after(async function () {
    operator.close();
    await ca.stop();
    local.remove();
  });

  it("should issue a CA-signed request for a served LAG and report its tally to the operator", async function () {
    const issued = await operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 42_000, validSeconds: 600 });
    const request = verifyDischargeRequest(local.ctx, local.deployment.ca.publicKeys, issued.request);
    expect(request.energyWh).to.equal(42_000n);
    expect(new TextDecoder().decode(request.lagId)).to.equal("LAG-Test-1");
    expect(request.notAfter - request.notBefore).to.be.at.least(600n);
    expect(await operator.dischargeTally(issued.requestId)).to.deep.equal({ requestId: issued.requestId, accepted: 0, declined: 0 });
  });

  it("should refuse callers without the operator's token, on loopback too, and issue nothing", async function () {
    const before = await issuedCount();
    const body = JSON.stringify({ lagId: "LAG-Test-1", energyWh: 1 });
    for (const authorization of [undefined, "Bearer wrong-token-of-the-right-length-0123456789", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, "Bearer "]) {
      const headers: Record<string, string> = { "content-type": "application/json", ...(authorization === undefined ? {} : { authorization }) };
      const res = await fetch(`${ca.url}/v1/operator/discharge-requests`, { method: "POST", headers, body });
      expect(res.status, String(authorization)).to.equal(401);
      expect(await res.json()).to.deep.include({ code: "UNAUTHORIZED" });
    }
    await expectCodeAsync(new CaOperatorClient(ca.url, "not-the-operator-token-at-all-0123456789").dischargeTally("00".repeat(16)), "UNAUTHORIZED");
    // The token is checked before the body is parsed: garbage JSON from a stranger is still 401.
    const garbage = await fetch(`${ca.url}/v1/operator/discharge-requests`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(garbage.status).to.equal(401);
    expect(await issuedCount()).to.equal(before);
  });

  it("should refuse a CA without a configured token to everyone, even a caller with a token", async function () {
    const closed = await startLocalCa(local, "operator-rounds-closed.db");
    const client = new CaOperatorClient(closed.url, TOKEN);
    try {
      await expectCodeAsync(client.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 1 }), "UNAUTHORIZED");
    } finally {
      client.close();
      await closed.stop();
    }
  });

  it("should refuse bad input with typed codes and issue nothing", async function () {
    const before = await issuedCount();
    await expectCodeAsync(operator.issueDischargeRequest({ lagId: "LAG-Other-9", energyWh: 1 }), "WRONG_SCOPE");
    await expectCodeAsync(operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 0 }), "MALFORMED");
    await expectCodeAsync(operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 1.5 }), "MALFORMED");
    await expectCodeAsync(operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 1, validSeconds: 5 }), "MALFORMED");
    await expectCodeAsync(operator.json("POST", "/v1/operator/discharge-requests", z.unknown(), { body: { lagId: "LAG-Test-1", energyWh: 1, extra: true }, headers: { authorization: `Bearer ${TOKEN}` } }), "MALFORMED");
    await expectCodeAsync(operator.dischargeTally("xyz"), "MALFORMED");
    await expectCodeAsync(operator.dischargeTally("ab".repeat(16)), "UNKNOWN_REQUEST");
    expect(await issuedCount()).to.equal(before);
  });

  describe("v2g ca discharge-request / discharge-tally", function () {
    let lag: LagService;
    before(async function () {
      lag = await startLocalLag(local, { caUrl: ca.url });
    });
    after(async function () {
      await lag.stop();
    });

    it("should issue a request with the token from a file, hand it to the LAG, and print its tally", async function () {
      const tokenFile = join(local.dir, "operator.token");
      writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
      const io = bufferIo();
      const argv = ["ca", "discharge-request", "--ca", ca.url, "--lag-id", "LAG-Test-1", "--energy-wh", "5000", "--lag", lag.url, "--token-file", tokenFile];
      expect(await runCli(argv, io), io.stderr.join("")).to.equal(ExitCode.Ok);
      const printed = JSON.parse(io.stdout.join("")) as { requestId: string; request: string; deliveredTo: string };
      expect(printed.deliveredTo).to.equal(lag.url);
      expect(decodeMessage("DischargeRequest", Buffer.from(printed.request, "hex")).energyWh).to.equal(5_000n);
      expect(lag.sessions.requestCount).to.equal(1);
      const tally = bufferIo();
      const env = { V2G_CA_OPERATOR_TOKEN: TOKEN };
      expect(await runCli(["ca", "discharge-tally", "--ca", ca.url, "--request-id", printed.requestId], tally, { ...defaultDeps, env })).to.equal(ExitCode.Ok);
      expect(JSON.parse(tally.stdout.join(""))).to.deep.equal({ requestId: printed.requestId, accepted: 0, declined: 0 });
    });

    it("should let a vehicle answer the offered request with `v2g vehicle answer-discharge`", async function () {
      const d = local.deployment;
      const issued = await operator.issueDischargeRequest({ lagId: "LAG-Test-1", energyWh: 7_000 });
      const { LagClient } = await import("../../src/services/vehicleClient.js");
      const relay = new LagClient(lag.url);
      await relay.deliverDischargeRequest(issued.request);
      relay.close();
      const io = bufferIo();
      const argv = ["vehicle", "answer-discharge", "--lag", lag.url, "--credential", join(local.dir, d.files.credential(6)), "--ca", join(local.dir, d.files.caPublic), "--decline", "--wait-seconds", "0"];
      expect(await runCli(argv, io), io.stderr.join("")).to.equal(ExitCode.Ok);
      // The latest live request is answered (this one; the earlier test's request is offered too).
      expect(JSON.parse(io.stdout.join(""))).to.deep.include({ requestId: issued.requestId, energyWh: "7000", accepted: false, applied: true });
      expect(await operator.dischargeTally(issued.requestId)).to.deep.include({ accepted: 0, declined: 1 });
      const both = bufferIo();
      expect(await runCli([...argv.slice(0, -3), "--accept", "--decline"], both)).to.equal(ExitCode.Usage);
    });

    it("should exit 4 with UNAUTHORIZED for a wrong token and 2 for a missing one", async function () {
      const wrong = bufferIo();
      const env = { V2G_CA_OPERATOR_TOKEN: "a-token-that-is-long-enough-but-wrong-000000" };
      expect(await runCli(["ca", "discharge-request", "--ca", ca.url, "--lag-id", "LAG-Test-1", "--energy-wh", "1", "--json"], wrong, { ...defaultDeps, env })).to.equal(ExitCode.Refused);
      expect((JSON.parse(wrong.stdout.join("")) as { error: { code: string } }).error.code).to.equal("UNAUTHORIZED");
      const missing = bufferIo();
      expect(await runCli(["ca", "discharge-tally", "--ca", ca.url, "--request-id", "00".repeat(16)], missing, { ...defaultDeps, env: {} })).to.equal(ExitCode.Usage);
      expect(missing.stderr.join("")).to.match(/operator token/);
    });
  });
});
