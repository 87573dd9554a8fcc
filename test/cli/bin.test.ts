/**
 * The `v2g` bin as a user meets it right after `npm ci`: in a copy of the package without any
 * build artifacts, `--help` and `--version` work under the Node on the PATH and under the
 * machine's older Node (which the bin hands over to the Node the package installs).
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";

const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
/** The machine's own Node (20 here): the bin must re-run itself on the packaged Node 24. */
const SYSTEM_NODE = "/usr/bin/node";

function run(node: string, args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(node, [join(cwd, "bin/v2g.mjs"), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, V2G_REEXEC: "" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", fail);
    child.on("exit", (code) => {
      clearTimeout(kill);
      done({ code, out, err });
    });
  });
}

describe("CLI: the v2g bin before any build", function () {
  this.timeout(120_000);
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "v2g-bin-"));
    for (const part of ["bin", "src", "package.json", "tsconfig.json"]) cpSync(part, join(dir, part), { recursive: true });
    symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
    expect(existsSync(join(dir, "artifacts"))).to.equal(false);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const nodes = [["the PATH's Node", process.execPath], ...(existsSync(SYSTEM_NODE) ? [["the system's Node", SYSTEM_NODE]] : [])];
  for (const [name, node] of nodes) {
    it(`should print the package version with --version under ${name}`, async () => {
      const r = await run(node!, ["--version"], dir);
      expect(r.err).to.equal("");
      expect(r.code).to.equal(0);
      expect(r.out).to.equal(`${VERSION}\n`);
    });

    it(`should print the help with every command, the global options and the exit codes under ${name}`, async () => {
      const r = await run(node!, ["--help"], dir);
      expect(r.err).to.equal("");
      expect(r.code).to.equal(0);
      for (const command of ["node", "deploy", "registry", "supplier", "cdr", "settlement-bot", "dispute", "verify", "arbiter", "lag", "ca", "vehicle", "deployment"]) {
        expect(r.out).to.match(new RegExp(`^  ${command} `, "m"));
      }
      for (const option of ["--rpc <url>", "--json", "--key-file <path>", "--key-env <NAME>"]) expect(r.out).to.contain(option);
      expect(r.out).to.contain("embedded Hardhat network").and.contain("Exit codes (every command):").and.contain("3  unavailable");
    });
  }

  it("should print a subcommand's help and an argument error as one line with exit 2", async () => {
    const help = await run(process.execPath, ["dispute", "show", "--help"], dir);
    expect(help.code).to.equal(0);
    expect(help.out).to.contain("Usage: v2g dispute show [options] <query>");
    const bad = await run(process.execPath, ["verify"], dir);
    expect(bad.code).to.equal(2);
    expect(bad.out).to.equal("");
    expect(bad.err).to.equal("error: missing required argument 'bundle'\n");
  });
});
