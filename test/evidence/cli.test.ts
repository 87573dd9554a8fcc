import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
});
