import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { bundleToJson, readBundle } from "../../src/evidence/bundle.js";
import type { CliDeps } from "../../src/cli/context.js";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { createNetwork } from "../helpers/network.js";
import { randomId } from "../evidence/offline.js";
import { sessionFixture } from "../evidence/session.js";
import { resign } from "../evidence/tamper.js";

const conn = await createNetwork();
async function baseSession() {
  return sessionFixture(conn);
}
const load = () => conn.networkHelpers.loadFixture(baseSession);
/** Any --rpc URL reaches the in-process chain. */
const deps: CliDeps = { connect: async () => ({ provider: conn.ethers.provider, close: () => undefined }), env: {} };
const RPC = "http://127.0.0.1:8545";
const BIN = resolve("bin/v2g.mjs");

async function cli(argv: string[], using: CliDeps = deps) {
  const io = bufferIo();
  const code = await runCli(argv, io, using);
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n"), io };
}

describe("CLI: dispute show and verify", function () {
  this.timeout(60_000);

  it("should show a session's timeline with a verdict per item and write a bundle that verify accepts (0)", async () => {
    const f = await load();
    const out = join(f.dir, "dispute-bundle.json");
    const shown = await cli(["dispute", "show", f.sessionId, "--store", f.storePath, "--out", out, "--force"]);
    expect(shown.code, shown.err).to.equal(ExitCode.Ok);
    const lines = shown.out.split("\n");
    expect(lines[0]).to.equal(`session ${f.sessionId} (from session), checked against the chain at block ${readBundle(out).chainState!.blockNumber}`);
    // 6 messages, 5 receipts, 1 refusal, 2 anchors: one line each, each with its verdict.
    expect(lines.filter((l) => /^ {2}\S+Z (valid {2}|INVALID) /.test(l))).to.have.length(14);
    expect(lines.filter((l) => l.includes(" valid   message ChargeDetailRecord"))).to.have.length(1);
    expect(lines.at(-1)).to.equal(`OK: 14 of 14 items valid, 0 invalid; bundle written to ${out}`);
    const offline = await cli(["verify", out]);
    expect(offline.code).to.equal(ExitCode.Ok);
    expect(offline.out).to.match(/OK: 14 of 14 items valid/);
    const online = await cli(["verify", out, "--rpc", RPC, "--json"]);
    expect(online.code).to.equal(ExitCode.Ok);
    expect(JSON.parse(online.out)).to.deep.include({ ok: true, sessionId: f.sessionId });
  });

  it("should resolve a message digest and a receipt digest to their session, and give the timeline as JSON", async () => {
    const f = await load();
    for (const query of [f.messages.cdr.digest, f.receipts[4]!.digest]) {
      const r = await cli(["dispute", "show", query, "--store", f.storePath, "--json"]);
      expect(r.code, r.out).to.equal(ExitCode.Ok);
      const data = JSON.parse(r.out) as { kind: string; sessionId: string; ok: boolean; timeline: { kind: string; valid: boolean; at: number }[] };
      expect(data).to.deep.include({ kind: "digest", sessionId: f.sessionId, ok: true });
      expect(data.timeline).to.have.length(14);
      expect(data.timeline.every((e) => e.valid)).to.equal(true);
      const times = data.timeline.map((e) => e.at);
      expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    }
  });

  it("should exit 5 for a query the store does not know, and write nothing", async () => {
    const f = await load();
    const out = join(f.dir, "unknown.json");
    const r = await cli(["dispute", "show", randomId(), "--store", f.storePath, "--out", out]);
    expect(r.code).to.equal(ExitCode.NotFound);
    expect(r.err.split("\n")).to.have.length(1);
    expect(r.err).to.match(/^error: the store knows no session or digest by this id/);
    expect(existsSync(out)).to.equal(false);
  });

  describe("single-field tamperings of the shown bundle are refused with their reason (exit 1)", () => {
    const cases: [string, (f: Awaited<ReturnType<typeof load>>, b: ReturnType<typeof readBundle>) => Promise<void> | void, RegExp][] = [
      ["a receipt removed", (_f, b) => void b.receipts.splice(0, 1), /INVALID message .*missing_receipt/],
      ["a CDR amount changed", (f, b) => {
        const m = b.messages.find((x) => x.digest === f.messages.cdr.digest)!;
        (m.body as { amount: bigint }).amount += 1n;
      }, /INVALID message .*bad_signature/],
      ["a message re-signed before its key was valid", async (f, b) => void (await resign(f, b, f.messages.csev2.digest, { header: { issuedAt: f.t0 - 1000n } })), /INVALID message .*key_not_valid_at_signing_time/],
      ["a message signed with another participant's key", async (f, b) => void (await resign(f, b, f.messages.csev2.digest, { key: "meter" })), /INVALID message .*wrong_party/],
      ["a refusal attributed to another party", (f, b) => void (b.refusals[0]!.origin = f.fx.participants.aggregator.address), /INVALID refusal .*wrong_party/],
    ];
    for (const [name, tamper, reason] of cases) {
      it(`should refuse ${name}`, async () => {
        const f = await load();
        const out = join(f.dir, `tamper-base-${randomId().slice(2, 10)}.json`);
        expect((await cli(["dispute", "show", f.sessionId, "--store", f.storePath, "--out", out])).code).to.equal(ExitCode.Ok);
        const b = readBundle(out);
        await tamper(f, b);
        const file = join(f.dir, `tampered-${randomId().slice(2, 10)}.json`);
        writeFileSync(file, JSON.stringify(bundleToJson(b)));
        const r = await cli(["verify", file]);
        expect(r.code, r.out).to.equal(ExitCode.Negative);
        expect(r.out).to.match(reason);
        expect(r.out).to.match(/NOT OK: \d+ of \d+ items valid, [1-9]\d* invalid/);
      });
    }
  });

  it("should take --ledger only EIP-55 checksummed, as the files do", async () => {
    const f = await load();
    const good = join(f.dir, "ledger-case.json");
    writeFileSync(good, f.bundleJson);
    const lower = await cli(["verify", good, "--rpc", RPC, "--ledger", f.fx.ledgerAddress.toLowerCase()]);
    expect(lower.code).to.equal(ExitCode.Usage);
    expect(lower.err).to.match(/^error: --ledger must be EIP-55 checksummed/);
    expect((await cli(["verify", good, "--rpc", RPC, "--ledger", f.fx.ledgerAddress])).code).to.equal(ExitCode.Ok);
  });

  it("should resolve relative paths from the user's folder, also under npm run (INIT_CWD)", async () => {
    const f = await load();
    writeFileSync(join(f.dir, "relative.json"), f.bundleJson);
    const before = process.env.INIT_CWD;
    process.env.INIT_CWD = f.dir;
    try {
      expect((await cli(["verify", "relative.json"])).code).to.equal(ExitCode.Ok);
      expect((await cli(["dispute", "show", f.sessionId, "--store", "evidence.db", "--out", "relative-out.json"])).code).to.equal(ExitCode.Ok);
      expect(existsSync(join(f.dir, "relative-out.json"))).to.equal(true);
    } finally {
      if (before === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = before;
    }
  });

  it("should print schema errors as JSON with --json, with the issue paths (a file that is no bundle: exit 1)", async () => {
    const f = await load();
    const bad = join(f.dir, "bad-schema.json");
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(f.bundleJson), schema: "other/1" }));
    const r = await cli(["verify", bad, "--json"]);
    expect(r.code).to.equal(ExitCode.Negative);
    expect(r.err).to.equal("");
    const err = JSON.parse(r.out) as { error: { code: string; message: string; details: { issues: { path: string[] }[] } } };
    expect(err.error.code).to.equal("BUNDLE_SCHEMA");
    expect(err.error.details.issues.map((i) => i.path.join("."))).to.include("schema");
    const text = await cli(["verify", bad]);
    expect(text.err.split("\n")).to.have.length(1);
    expect(text.err).to.match(/\[BUNDLE_SCHEMA\] \(at schema: /);
  });

  describe("a node that accepts connections and never answers", () => {
    let port = 0;
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket));
    before(async () => {
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      port = (server.address() as { port: number }).port;
    });
    after(async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((ok) => server.close(ok));
    });

    it("should end verify and dispute show with exit 3 (unavailable) after --rpc-timeout, writing nothing", async () => {
      const f = await load();
      const file = join(f.dir, "silent-node.json");
      writeFileSync(file, f.bundleJson);
      const real: CliDeps = { connect: (await import("../../src/cli/rpc.js")).connectRpc, env: {} };
      const v = await cli(["verify", file, "--rpc", `http://127.0.0.1:${port}`, "--rpc-timeout", "1"], real);
      expect(v.code).to.equal(ExitCode.Unavailable);
      expect(v.err).to.match(/^error: cannot reach a JSON-RPC node/);
      const out = join(f.dir, "silent-node-bundle.json");
      const d = await cli(["dispute", "show", f.sessionId, "--store", f.storePath, "--out", out, "--rpc", `http://127.0.0.1:${port}`, "--rpc-timeout", "1"], real);
      expect(d.code).to.equal(ExitCode.Unavailable);
      expect(existsSync(out)).to.equal(false);
    });

    it("should let the real bin exit promptly after printing the error", async () => {
      const f = await load();
      const file = join(f.dir, "silent-node-process.json");
      writeFileSync(file, f.bundleJson);
      const started = Date.now();
      const child = spawn(process.execPath, [BIN, "verify", file, "--rpc", `http://127.0.0.1:${port}`, "--rpc-timeout", "1"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((ok) => {
        const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.on("exit", (c) => {
          clearTimeout(kill);
          ok(c);
        });
      });
      expect(stderr).to.match(/^error: cannot reach a JSON-RPC node[^\n]*\n$/);
      expect(code).to.equal(ExitCode.Unavailable);
      // One second of timeout plus start-up: far from the minutes a silent socket used to hold it.
      expect(Date.now() - started).to.be.below(20_000);
    });
  });

  it("should leave the bundle file alone when dispute show is refused", async () => {
    const f = await load();
    const file = join(f.dir, "kept.json");
    writeFileSync(file, f.bundleJson);
    const r = await cli(["dispute", "show", f.sessionId, "--store", f.storePath, "--out", file]);
    expect(r.code).to.equal(ExitCode.Usage);
    expect(r.err).to.match(/--force/);
    expect(readFileSync(file, "utf8")).to.equal(f.bundleJson);
  });
});
