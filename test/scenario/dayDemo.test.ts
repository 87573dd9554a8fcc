/**
 * The main job as a user runs it: `npm run demo` at the default scale in a child process exits 0,
 * prints the summary with the command that shows the dispute again, and leaves a report.json that
 * matches its schema, the HTML report, the deployments file and the evidence stores. With --serve,
 * the printed `dispute show` command gives a bundle of the disputed CDR's session that `verify`
 * accepts, and single-field tamperings of that bundle are refused with their reason. However it is
 * stopped (SIGTERM once serving, its wrapper killed outright, Ctrl-C in the middle of the day), the
 * demo leaves no process of its group and no open port behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { connectRpc } from "../../src/cli/rpc.js";
import { buildBundleFrom, bundleToJson, readBundle, type EvidenceBundle } from "../../src/evidence/bundle.js";
import { RpcChainView } from "../../src/evidence/chainView.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import { verifyBundle } from "../../src/evidence/verify.js";
import { reportSchema } from "../../src/report/schema.js";
import { freePort } from "../../src/chain/localNode.js";
import { DEFAULT_DAY, MIN_SCALE } from "../../src/scenario/day/options.js";
import { groupGone, groupMembers, spawnGroup, stopGroup, type GroupRun } from "../helpers/processGroup.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const SMALL = ["--suppliers", String(MIN_SCALE.suppliers), "--aggregators", String(MIN_SCALE.aggregators), "--vehicles", String(MIN_SCALE.vehicles)];
/** How long a stopped demo may take until nothing of its group is left. */
const GONE_MS = 20_000;

/**
 * The demo with `--serve <port>` at the smallest scale, in a process group of its own: as
 * `npm run demo` runs it (one process), or under the `tsx` command (a wrapper and its child).
 */
function serveDemo(out: string, port: number, wrapped = false): GroupRun {
  const args = ["scripts/demo.ts", "--out", out, "--serve", String(port), ...SMALL];
  return wrapped ? spawnGroup(TSX, args, { cwd: ROOT }) : spawnGroup(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT });
}

/** Resolves once the demo printed `text`; rejects if it exits first. */
function printed(run: GroupRun, text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const seen = () => run.stdout().includes(text);
    run.child.stdout!.on("data", () => seen() && resolve());
    if (seen()) resolve();
    void run.exited.then((c) => reject(new Error(`the demo exited (${c}) before printing "${text}": ${run.stderr().slice(-2000)}`)));
  });
}

/** Nothing of the demo's process group is left, and its port is free again. */
async function leftNothing(run: GroupRun, port: number): Promise<void> {
  const gone = await groupGone(run.pgid, GONE_MS);
  expect(gone, JSON.stringify(groupMembers(run.pgid))).to.equal(true);
  expect(await freePort(port)).to.equal(port);
}

describe("Scenario: npm run demo at the default scale", function () {
  this.timeout(1_500_000);
  let dir: string;
  /** Every demo a test started: stopped whole (its process group) whatever the test's outcome. */
  const runs: GroupRun[] = [];

  before(function () {
    dir = mkdtempSync(join(tmpdir(), "v2g-demo-"));
  });
  afterEach(async function () {
    await Promise.all(runs.splice(0).map((run) => stopGroup(run)));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("should exit 0 and leave the report, the deployments file and the stores", async function () {
    const out = join(dir, "out");
    const run = spawnGroup("npm", ["run", "--silent", "demo", "--", "--out", out], { cwd: ROOT });
    runs.push(run);
    const code = await run.exited;
    await run.closed;
    const stdout = run.stdout();
    expect(code, run.stderr().slice(-2000)).to.equal(0);
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
    const run = serveDemo(out, port);
    runs.push(run);
    await printed(run, "the chain stays up on");
    const stdout = run.stdout();
    const report = reportSchema.parse(JSON.parse(readFileSync(join(out, "report.json"), "utf8")));
    const url = `http://127.0.0.1:${port}`;
    expect(stdout).to.contain(url);
    // The printed command, against the chain the day left up: the disputed session's evidence is
    // complete and authentic (the second bill was delivered and receipted), so every item verifies.
    const args = report.dispute.command.replace(/^npx v2g /, "").split(" ");
    const bundleFile = join(dir, "disputed-bundle.json");
    const shown = await v2g([...args, "--out", bundleFile, "--rpc", url, "--json"]);
    const answer = JSON.parse(shown.out) as { sessionId: string; ok: boolean; timeline: { id: string; valid: boolean; reasons: string[] }[] };
    expect(shown.code, shown.out.slice(-1000)).to.equal(ExitCode.Ok);
    expect(answer.sessionId).to.equal(report.dispute.sessionId);
    expect(answer.ok).to.equal(true);
    expect(answer.timeline.map((e) => e.id)).to.include(report.dispute.cdrDigest);
    expect(answer.timeline.filter((e) => !e.valid)).to.deep.equal([]);
    // `v2g verify` accepts that bundle, offline (its snapshot) and against the chain.
    for (const extra of [[], ["--rpc", url]]) {
      const verified = await v2g(["verify", bundleFile, ...extra]);
      expect(verified.code, verified.out).to.equal(ExitCode.Ok);
      expect(verified.out).to.match(/^OK: (\d+) of \1 items valid/m);
    }
    // Every session of the day, from all the stores that hold part of it: every item valid (each
    // party numbered its messages of the session 0, 1, 2, … whatever the others signed in between,
    // and each message has its receipt). And the suppliers' evidence of every roaming session (the readings, the CDRs,
    // their receipts) verifies with every item valid.
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    const stores = report.outputs.stores.map((path) => ({ path, store: EvidenceStore.open(path, { create: false }) }));
    const suppliers = stores.filter((s) => basename(s.path).startsWith("supplier-")).map((s) => s.store);
    try {
      const sessions = new Set(stores.flatMap(({ store }) => store.messagesOfType("ReqEv", 0, 10_000).messages.map((m) => m.header.sessionId.toLowerCase())));
      expect(sessions.size).to.be.at.least(report.sessions.total);
      const view = await RpcChainView.connect(provider, readBundle(bundleFile).domain.verifyingContract);
      const types = new Set<string>();
      const found = new Map<string, number>();
      let roaming = 0;
      for (const sessionId of sessions) {
        const all = await buildBundleFrom(stores.map((s) => s.store).filter((st) => st.hasSession(sessionId)), sessionId);
        const verdict = await verifyBundle(all, view);
        all.messages.forEach((m) => types.add(m.type));
        for (const item of verdict.items.filter((i) => !i.valid)) {
          const what = item.kind === "message" ? all.messages[item.index]!.type : item.kind;
          for (const reason of item.reasons) found.set(`${what}: ${reason}`, (found.get(`${what}: ${reason}`) ?? 0) + 1);
        }
        const held = suppliers.filter((st) => st.hasSession(sessionId));
        if (!all.messages.some((m) => m.type === "ChargeDetailRecord")) continue;
        roaming++;
        // The suppliers' evidence alone, the pseudonym's receipts of the payments included (the home
        // supplier keeps the certificates it issued).
        const billed = await verifyBundle(await buildBundleFrom(held, sessionId), view);
        expect(billed.items.filter((i) => !i.valid), sessionId).to.deep.equal([]);
      }
      expect(roaming).to.be.greaterThan(0);
      expect([...types].sort()).to.deep.equal(["ChargeDetailRecord", "Confirmation", "Csev", "MeterReading", "Payment", "ReqEv", "Schedule"]);
      // Nothing else either: the pseudonyms' items verify through their certificates, and the
      // messages valid for minutes were anchored before they expired.
      expect([...found.keys()]).to.deep.equal([]);
    } finally {
      stores.forEach(({ store }) => store.close());
      provider.destroy();
    }
    // SIGTERM to the demo: exit 0, and nothing of it is left.
    run.child.kill("SIGTERM");
    expect(await run.exited, run.stderr().slice(-2000)).to.equal(0);
    await leftNothing(run, port);

    // Single-field tamperings of that bundle, each refused by `v2g verify` with its reason.
    const bundle = readBundle(bundleFile);
    const cdr = bundle.messages.find((m) => m.digest.toLowerCase() === report.dispute.cdrDigest)!;
    const reading = bundle.messages.find((m) => m.type === "MeterReading")!;
    const receipt = bundle.receipts.find((r) => r.receipt.nroDigest.toLowerCase() === report.dispute.cdrDigest)!;
    expect(bundle.batches.length, "the host's anchored batches").to.be.greaterThan(0);
    const cases: [string, (b: EvidenceBundle) => void, { index: (b: EvidenceBundle) => number; kind: string; reason: string }][] = [
      ["the disputed CDR's amount", (b) => void ((messageOf(b, cdr.digest).body as { amount: bigint }).amount += 1n), { kind: "message", index: (b) => b.messages.findIndex((m) => m.digest === cdr.digest), reason: "bad_signature" }],
      ["a reading's energy", (b) => void ((messageOf(b, reading.digest).body as { importWh: bigint }).importWh += 1n), { kind: "message", index: (b) => b.messages.findIndex((m) => m.digest === reading.digest), reason: "bad_signature" }],
      ["a receipt's signer", (b) => void (b.receipts.find((r) => r.digest === receipt.digest)!.signer = cdr.signer), { kind: "receipt", index: (b) => b.receipts.findIndex((r) => r.digest === receipt.digest), reason: "bad_signature" }],
      ["an anchor's root", (b) => void (b.batches[0]!.root = `0x${"ab".repeat(32)}`), { kind: "anchor", index: () => 0, reason: "root_not_anchored" }],
      ["a header's seq", (b) => void (messageOf(b, reading.digest).header.seq += 1n), { kind: "message", index: (b) => b.messages.findIndex((m) => m.digest === reading.digest), reason: "bad_signature" }],
    ];
    for (const [name, tamper, expected] of cases) {
      const b = readBundle(bundleFile);
      tamper(b);
      const file = join(dir, `tampered-${cases.findIndex((c) => c[0] === name)}.json`);
      writeFileSync(file, JSON.stringify(bundleToJson(b)));
      const r = await v2g(["verify", file, "--json"]);
      expect(r.code, name).to.equal(ExitCode.Negative);
      const verdict = JSON.parse(r.out) as { ok: boolean; items: { kind: string; index: number; reasons: string[] }[] };
      expect(verdict.ok, name).to.equal(false);
      const item = verdict.items.find((i) => i.kind === expected.kind && i.index === expected.index(b));
      expect(item?.reasons, name).to.include(expected.reason);
    }
  });

  it("should stop serving and leave nothing behind when its wrapper is killed outright", async function () {
    const port = await freePort();
    const run = serveDemo(join(dir, "orphaned"), port, true);
    runs.push(run);
    await printed(run, "the chain stays up on");
    // The tsx wrapper gets SIGKILL, as a test's clean-up or an OOM killer would do: it cannot
    // relay anything, so the demo notices on its own that its parent is gone.
    run.child.kill("SIGKILL");
    await run.exited;
    await leftNothing(run, port);
  });

  it("should stop the day on Ctrl-C before its end, exit 130 and leave nothing behind", async function () {
    const port = await freePort();
    const run = serveDemo(join(dir, "interrupted"), port);
    runs.push(run);
    await printed(run, "• chain");
    // Ctrl-C signals the terminal's whole foreground group.
    process.kill(-run.pgid, "SIGINT");
    expect(await run.exited, run.stderr().slice(-2000)).to.equal(130);
    await leftNothing(run, port);
    await run.closed;
    expect(run.stderr()).to.contain("stopped by SIGINT before the day ended");
    expect(run.stdout()).to.not.contain("the chain stays up on");
  });
});

/** `v2g …` in-process, as the bin runs it. */
async function v2g(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await runCli(argv, io, { connect: connectRpc, env: {} });
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

const messageOf = (b: EvidenceBundle, digest: string) => b.messages.find((m) => m.digest === digest)!;
