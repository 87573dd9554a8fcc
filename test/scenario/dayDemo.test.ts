/**
 * The main job as a user runs it: `npm run demo` at the default scale in a child process exits 0,
 * prints the summary with the command that shows the dispute again, and leaves a report.json that
 * matches its schema, the HTML report, the deployments file and the evidence stores.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { reportSchema } from "../../src/report/schema.js";
import { freePort } from "../../src/chain/localNode.js";
import { DEFAULT_DAY, MIN_SCALE } from "../../src/scenario/day/options.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("Scenario: npm run demo at the default scale", function () {
  this.timeout(1_500_000);
  let dir: string;
  let child: ChildProcess | undefined;

  before(function () {
    dir = mkdtempSync(join(tmpdir(), "v2g-demo-"));
  });
  after(function () {
    if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("should exit 0 and leave the report, the deployments file and the stores", async function () {
    const out = join(dir, "out");
    const run = spawn("npm", ["run", "--silent", "demo", "--", "--out", out], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child = run;
    let stdout = "";
    let stderr = "";
    run.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
    run.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => run.on("exit", (c) => resolve(c)));
    expect(code, stderr.slice(-2000)).to.equal(0);
    const report = reportSchema.parse(JSON.parse(readFileSync(join(out, "report.json"), "utf8")));
    expect(report.run.scale).to.deep.equal({ suppliers: DEFAULT_DAY.suppliers, aggregators: DEFAULT_DAY.aggregators, vehicles: DEFAULT_DAY.vehicles });
    expect(report.parties.vehicles).to.be.at.least(50);
    expect(readFileSync(join(out, "report.html"), "utf8")).to.match(/^<!doctype html>/i);
    expect(existsSync(join(out, "deployments.json"))).to.equal(true);
    for (const s of report.outputs.stores) expect(existsSync(s), s).to.equal(true);
    expect(stdout).to.contain(`inspect the dispute: ${report.dispute.command}`);
    expect(stdout).to.match(/• authentication +\d+ accepted/);
  });

  it("should keep the chain up with --serve, so that dispute show finds the disputed CDR, and stop on SIGTERM with 0", async function () {
    const out = join(dir, "served");
    const port = await freePort();
    const tsx = join(ROOT, "node_modules", ".bin", "tsx");
    const scale = ["--suppliers", String(MIN_SCALE.suppliers), "--aggregators", String(MIN_SCALE.aggregators), "--vehicles", String(MIN_SCALE.vehicles)];
    const run = spawn(tsx, ["scripts/demo.ts", "--out", out, "--serve", String(port), ...scale], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child = run;
    let stdout = "";
    let stderr = "";
    run.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => run.on("exit", (c) => resolve(c)));
    await new Promise<void>((resolve, reject) => {
      run.stdout!.on("data", (b: Buffer) => {
        stdout += b.toString();
        if (stdout.includes("the chain stays up on")) resolve();
      });
      void exited.then((c) => reject(new Error(`the demo exited (${c}) before serving: ${stderr.slice(-2000)}`)));
    });
    const report = reportSchema.parse(JSON.parse(readFileSync(join(out, "report.json"), "utf8")));
    const url = `http://127.0.0.1:${port}`;
    expect(stdout).to.contain(url);
    // The printed command, against the chain the day left up.
    const args = report.dispute.command.replace(/^npx v2g /, "").split(" ");
    const show = spawn(process.execPath, [join(ROOT, "bin", "v2g.mjs"), ...args, "--rpc", url, "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let shown = "";
    show.stdout!.on("data", (b: Buffer) => (shown += b.toString()));
    const showCode = await new Promise<number | null>((resolve) => show.on("exit", (c) => resolve(c)));
    const answer = JSON.parse(shown) as { sessionId: string; timeline: { digest?: string }[] };
    expect(showCode, shown.slice(-1000)).to.be.oneOf([0, 1]);
    expect(answer.sessionId).to.equal(report.dispute.sessionId);
    expect(JSON.stringify(answer.timeline)).to.contain(report.dispute.cdrDigest);
    run.kill("SIGTERM");
    expect(await exited, stderr.slice(-2000)).to.equal(0);
  });
});
