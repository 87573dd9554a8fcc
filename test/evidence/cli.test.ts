import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { runBundle } from "../../src/cli/commands/bundle.js";
import { runVerify } from "../../src/cli/commands/verify.js";
import type { CliDeps } from "../../src/cli/context.js";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { createNetwork } from "../helpers/network.js";
import { randomId } from "./offline.js";
import { sessionFixture } from "./session.js";

const conn = await createNetwork();
async function baseSession() {
  return sessionFixture(conn);
}
const load = () => conn.networkHelpers.loadFixture(baseSession);
/** Any --rpc URL reaches the in-process chain. */
const deps: CliDeps = { connect: async () => ({ provider: conn.ethers.provider, close: () => undefined }) };
const RPC = "http://127.0.0.1:8545";

describe("CLI: bundle and verify", function () {
  this.timeout(60_000);

  it("should write a session's bundle (0) that verifies offline and against the node (0)", async () => {
    const f = await load();
    const out = join(f.dir, "cli-bundle.json");
    const io = bufferIo();
    expect(
      await runBundle({ sessionId: f.sessionId, store: f.storePath, out, rpc: RPC, force: true }, io, deps),
    ).to.equal(ExitCode.Ok);
    expect(io.stdout.join("")).to.contain("6 messages, 5 receipts, 1 refusals, 2 anchored batches");
    const offline = bufferIo();
    expect(await runVerify({ file: out }, offline, deps)).to.equal(ExitCode.Ok);
    expect(offline.stdout.join("")).to.match(/OK: 14 of 14 items valid/);
    const json = bufferIo();
    expect(await runVerify({ file: out, rpc: RPC, json: true }, json, deps)).to.equal(ExitCode.Ok);
    expect(JSON.parse(json.stdout.join(""))).to.deep.include({ ok: true, sessionId: f.sessionId });
  });

  it("should exit 1 and name the item and reason for a tampered bundle", async () => {
    const f = await load();
    const file = join(f.dir, "tampered.json");
    const j = JSON.parse(f.bundleJson);
    j.receipts = j.receipts.slice(1);
    writeFileSync(file, JSON.stringify(j));
    const io = bufferIo();
    expect(await runVerify({ file }, io, deps)).to.equal(ExitCode.NotOk);
    const text = io.stdout.join("");
    expect(text).to.match(/INVALID message .*missing_receipt/);
    expect(text).to.contain("NOT OK: 12 of 13 items valid, 1 invalid");
  });

  it("should exit 3 for an unknown session and write nothing", async () => {
    const f = await load();
    const out = join(f.dir, "unknown.json");
    const io = bufferIo();
    expect(await runBundle({ sessionId: randomId(), store: f.storePath, out }, io, deps)).to.equal(ExitCode.NotFound);
    expect(io.stderr.join("")).to.contain("not found");
    expect(existsSync(out)).to.equal(false);
  });

  it("should exit 2 with a clear message for bad arguments and bad files", async () => {
    const f = await load();
    const good = join(f.dir, "good.json");
    writeFileSync(good, f.bundleJson);
    const schemaBad = join(f.dir, "schema-bad.json");
    writeFileSync(schemaBad, JSON.stringify({ ...JSON.parse(f.bundleJson), schema: "other/1" }));
    const noState = join(f.dir, "no-state.json");
    writeFileSync(noState, JSON.stringify({ ...JSON.parse(f.bundleJson), chainState: null }));
    let io = bufferIo();
    const cases: [() => Promise<number>, RegExp][] = [
      [
        () => runBundle({ sessionId: "0x1234", store: f.storePath, out: join(f.dir, "x.json") }, io, deps),
        /64 hex digits/,
      ],
      [
        () =>
          runBundle({ sessionId: f.sessionId, store: join(f.dir, "none.db"), out: join(f.dir, "x.json") }, io, deps),
        /--store does not exist/,
      ],
      [() => runBundle({ sessionId: f.sessionId, store: f.storePath, out: good }, io, deps), /--force/],
      [
        () => runBundle({ sessionId: f.sessionId, store: f.storePath, out: join(f.dir, "no", "x.json") }, io, deps),
        /folder of --out/,
      ],
      [
        () =>
          runBundle(
            { sessionId: f.sessionId, store: f.storePath, out: join(f.dir, "x.json"), rpc: "ftp://x" },
            io,
            deps,
          ),
        /http/,
      ],
      [() => runVerify({ file: join(f.dir, "none.json") }, io, deps), /does not exist/],
      [() => runVerify({ file: schemaBad }, io, deps), /BUNDLE_SCHEMA[\s\S]*at schema/],
      [() => runVerify({ file: noState }, io, deps), /--rpc/],
      [() => runVerify({ file: good, rpc: "not a url" }, io, deps), /--rpc must be a URL/],
      [() => runVerify({ file: good, rpc: RPC, ledger: "0x12" }, io, deps), /--ledger/],
      // No injected provider: the real connector meets a closed port.
      [() => runVerify({ file: good, rpc: "http://127.0.0.1:9" }, io), /cannot reach a JSON-RPC node/],
    ];
    for (const [run, message] of cases) {
      io = bufferIo();
      expect(await run(), String(message)).to.equal(ExitCode.BadInput);
      expect(io.stderr.join(""), String(message)).to.match(message);
    }
  });

  it("should run through the program with commander, mapping usage errors to 2", async () => {
    const f = await load();
    const file = join(f.dir, "program.json");
    writeFileSync(file, f.bundleJson);
    expect(await runCli(["verify", file, "--json"], bufferIo(), deps)).to.equal(ExitCode.Ok);
    expect(await runCli(["verify"], bufferIo(), deps)).to.equal(ExitCode.BadInput);
    expect(await runCli(["frobnicate"], bufferIo(), deps)).to.equal(ExitCode.BadInput);
    expect(await runCli(["bundle", f.sessionId, "--store", f.storePath], bufferIo(), deps)).to.equal(ExitCode.BadInput);
    const help = bufferIo();
    expect(await runCli(["--help"], help, deps)).to.equal(ExitCode.Ok);
    expect(help.stdout.join("")).to.contain("verify");
    expect(readFileSync(file, "utf8")).to.equal(f.bundleJson);
  });

  it("should take --ledger only EIP-55 checksummed, as the files do", async () => {
    const f = await load();
    const good = join(f.dir, "ledger-case.json");
    writeFileSync(good, f.bundleJson);
    const io = bufferIo();
    const lower = f.fx.ledgerAddress.toLowerCase();
    expect(await runVerify({ file: good, rpc: RPC, ledger: lower }, io, deps)).to.equal(ExitCode.BadInput);
    expect(io.stderr.join("")).to.match(/--ledger must be EIP-55 checksummed/);
    expect(await runVerify({ file: good, rpc: RPC, ledger: f.fx.ledgerAddress }, bufferIo(), deps)).to.equal(ExitCode.Ok);
  });

  it("should resolve relative paths from the user's folder, also under npm run (INIT_CWD)", async () => {
    const f = await load();
    writeFileSync(join(f.dir, "relative.json"), f.bundleJson);
    const before = process.env.INIT_CWD;
    process.env.INIT_CWD = f.dir;
    try {
      expect(await runVerify({ file: "relative.json" }, bufferIo(), deps)).to.equal(ExitCode.Ok);
      const io = bufferIo();
      expect(await runBundle({ sessionId: f.sessionId, store: f.storePath, out: "relative-out.json" }, io, deps)).to.equal(ExitCode.Ok);
      expect(existsSync(join(f.dir, "relative-out.json"))).to.equal(true);
    } finally {
      if (before === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = before;
    }
  });

  it("should print errors as JSON with --json", async () => {
    const f = await load();
    const io = bufferIo();
    expect(await runVerify({ file: join(f.dir, "absent.json"), json: true }, io, deps)).to.equal(ExitCode.BadInput);
    expect(io.stderr).to.deep.equal([]);
    const printed = JSON.parse(io.stdout.join("")) as { error: { message: string; code: string } };
    expect(printed.error.code).to.equal("USAGE");
    expect(printed.error.message).to.match(/does not exist/);
    const bad = join(f.dir, "bad-schema.json");
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(f.bundleJson), schema: "other/1" }));
    const schema = bufferIo();
    expect(await runVerify({ file: bad, json: true }, schema, deps)).to.equal(ExitCode.BadInput);
    const err = JSON.parse(schema.stdout.join("")) as { error: { code: string; details: { issues: { path: string[] }[] } } };
    expect(err.error.code).to.equal("BUNDLE_SCHEMA");
    expect(err.error.details.issues.map((i) => i.path.join("."))).to.include("schema");
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

    it("should end verify with exit 2 after --rpc-timeout, with the reason", async () => {
      const f = await load();
      const file = join(f.dir, "silent-node.json");
      writeFileSync(file, f.bundleJson);
      const io = bufferIo();
      expect(await runVerify({ file, rpc: `http://127.0.0.1:${port}`, rpcTimeout: "1" }, io)).to.equal(ExitCode.BadInput);
      expect(io.stderr.join("")).to.match(/cannot reach a JSON-RPC node/);
      const bad = bufferIo();
      expect(await runVerify({ file, rpc: RPC, rpcTimeout: "0" }, bad, deps)).to.equal(ExitCode.BadInput);
      expect(bad.stderr.join("")).to.match(/--rpc-timeout/);
    });

    it("should end bundle --rpc with exit 2 after --rpc-timeout, writing nothing", async () => {
      const f = await load();
      const out = join(f.dir, "silent-node-bundle.json");
      const io = bufferIo();
      const opts = { sessionId: f.sessionId, store: f.storePath, out, rpc: `http://127.0.0.1:${port}`, rpcTimeout: "1" };
      expect(await runBundle(opts, io)).to.equal(ExitCode.BadInput);
      expect(io.stderr.join("")).to.match(/cannot reach a JSON-RPC node/);
      expect(existsSync(out)).to.equal(false);
    });

    it("should let the CLI process exit promptly after printing the error", async () => {
      const f = await load();
      const file = join(f.dir, "silent-node-process.json");
      writeFileSync(file, f.bundleJson);
      const started = Date.now();
      const child = spawn(resolve("node_modules/.bin/tsx"), ["src/cli/main.ts", "verify", file, "--rpc", `http://127.0.0.1:${port}`, "--rpc-timeout", "1"], {
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
      expect(stderr).to.match(/cannot reach a JSON-RPC node/);
      expect(code).to.equal(ExitCode.BadInput);
      // One second of timeout plus start-up: far from the minutes a silent socket used to hold it.
      expect(Date.now() - started).to.be.below(20_000);
    });
  });

  it("should print --help without the contracts' build artifacts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "v2g-cli-"));
    try {
      cpSync("src", join(dir, "src"), { recursive: true });
      cpSync("package.json", join(dir, "package.json"));
      cpSync("tsconfig.json", join(dir, "tsconfig.json"));
      symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
      const child = spawn(resolve("node_modules/.bin/tsx"), ["src/cli/main.ts", "--help"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((ok) => child.on("exit", ok));
      expect(err).to.equal("");
      expect(code).to.equal(0);
      expect(out).to.contain("verify").and.to.contain("settlement-bot");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
