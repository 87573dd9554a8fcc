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
import { DEFAULT_DAY } from "../../src/scenario/day/options.js";

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
});
