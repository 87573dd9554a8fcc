/**
 * `v2g node` started by the test on a free port (the real bin, a child process), then `deploy`,
 * `registry`, `supplier`, `cdr import`, `dispute show` and `arbiter` against it, and the node
 * stopped with SIGTERM (exit 0). Attacks first: each refused write names its custom error (exit 4).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, Wallet } from "ethers";
import { readDeployments } from "../../src/chain/deployAll.js";
import { defaultDeps } from "../../src/cli/context.js";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { EvidenceStore } from "../../src/evidence/store.js";

const BIN = resolve("bin/v2g.mjs");
const MNEMONIC = "test test test test test test test test test test test junk";
const dev = (i: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);

describe("CLI: a local node, deploy, registry, supplier, CDRs and disputes", function () {
  this.timeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), "v2g-cli-chain-"));
  let node: ChildProcess;
  let url = "";
  let exited: Promise<number | null>;
  const keyFile = (name: string, key: string) => {
    const path = join(dir, `${name}.hex`);
    writeFileSync(path, `${key}\n`, { mode: 0o600 });
    return path;
  };
  const admin = dev(0);
  const supplier = dev(1);
  const arbiter = dev(2);
  const stranger = dev(3);
  const evidenceKey = Wallet.createRandom();
  const nextKey = Wallet.createRandom();
  const files = {
    admin: keyFile("admin", admin.privateKey), supplier: keyFile("supplier", supplier.privateKey), arbiter: keyFile("arbiter", arbiter.privateKey),
    stranger: keyFile("stranger", stranger.privateKey), evidence: keyFile("evidence", evidenceKey.privateKey), next: keyFile("next", nextKey.privateKey),
  };
  const deployments = join(dir, "deployments", "local.json");

  async function v2g(...argv: string[]) {
    const io = bufferIo();
    const code = await runCli(["--rpc", url, ...argv], io, { ...defaultDeps, env: { NEXT_KEY: nextKey.privateKey } });
    return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
  }
  async function json<T>(...argv: string[]): Promise<T> {
    const r = await v2g(...argv, "--json");
    expect(r.code, r.out + r.err).to.equal(ExitCode.Ok);
    return JSON.parse(r.out) as T;
  }
  async function refused(error: RegExp, ...argv: string[]) {
    const r = await v2g(...argv);
    expect(r.code, r.err).to.equal(ExitCode.Refused);
    expect(r.err.split("\n")).to.have.length(1);
    expect(r.err).to.match(error);
  }
  async function rpc(method: string, params: unknown[] = []) {
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    try {
      return await provider.send(method, params);
    } finally {
      provider.destroy();
    }
  }

  before(async () => {
    node = spawn(process.execPath, [BIN, "node", "--port", "0", "--json"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    exited = new Promise((done) => node.on("exit", (code) => done(code)));
    url = await new Promise<string>((done, fail) => {
      let out = "";
      const timer = setTimeout(() => fail(new Error(`v2g node did not start: ${out}`)), 60_000);
      node.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) {
          clearTimeout(timer);
          done((JSON.parse(line) as { url: string }).url);
        }
      });
    });
  });

  after(async () => {
    if (node.exitCode === null) node.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("should serve the embedded network on 127.0.0.1 with the funded development accounts", async () => {
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await rpc("eth_chainId")).to.equal("0x7a69");
    const accounts = (await rpc("eth_accounts")) as string[];
    expect(accounts[1]!.toLowerCase()).to.equal(supplier.address.toLowerCase());
  });

  it("should deploy every contract and write the deployments file", async () => {
    const noFolder = await v2g("deploy", "--key-file", files.admin, "--out", deployments);
    expect(noFolder.code).to.equal(ExitCode.Usage);
    expect(noFolder.err).to.match(/^error: the folder of --out does not exist/);
    mkdirSync(join(dir, "deployments"));
    const r = await v2g("deploy", "--key-file", files.admin, "--out", deployments, "--withdrawal-notice", "1");
    expect(r.code).to.equal(ExitCode.Usage);
    expect(r.err).to.match(/withdrawalNotice must exceed/);
    expect(existsSync(deployments)).to.equal(false);
    const d = await json<{ file: string; contracts: Record<string, { address: string }> }>("deploy", "--key-file", files.admin, "--out", deployments, "--challenge-window", "3600");
    expect(d.file).to.equal(deployments);
    const file = readDeployments(deployments);
    expect(Object.keys(file.contracts)).to.have.members(["ParticipantRegistry", "EvidenceLedger", "RoamingSettlement", "EscrowOpenings", "SettlementToken"]);
    expect(file.settings.settlement.challengeWindow).to.equal(3600);
    expect(file.deployer).to.equal(admin.address);
    for (const c of Object.values(file.contracts)) expect(await rpc("eth_getCode", [c.address, "latest"])).to.not.equal("0x");
    const again = await v2g("deploy", "--key-file", files.admin, "--out", deployments);
    expect(again.code).to.equal(ExitCode.Usage);
  });

  it("should grant roles only when signed by a registrar", async () => {
    await refused(/grantRole\(supplier\) reverted with AccessControlUnauthorizedAccount \[REVERTED\] \(AccessControlUnauthorizedAccount\(/, "registry", "add", supplier.address, "--role", "supplier", "--deployments", deployments, "--key-file", files.stranger);
    await json("registry", "add", supplier.address, "--role", "supplier", "--deployments", deployments, "--key-file", files.admin);
    await json("registry", "add", arbiter.address, "--role", "arbiter", "--deployments", deployments, "--key-file", files.admin);
    const shown = await json<{ roles: string[] }>("registry", "show", supplier.address, "--deployments", deployments);
    expect(shown.roles).to.deep.equal(["supplier"]);
  });

  it("should bind a key with its proof of possession, rotate it and revoke it", async () => {
    // The registrar cannot bind a key to the supplier without the supplier's consent.
    const noConsent = await v2g("registry", "key", "add", "--participant", supplier.address, "--new-key-file", files.evidence, "--deployments", deployments, "--key-file", files.admin);
    expect(noConsent.code).to.equal(ExitCode.Usage);
    expect(noConsent.err).to.match(/^error: the registrar needs the participant's consent/);
    const added = await json<{ key: string }>("registry", "key", "add", "--participant", supplier.address, "--new-key-file", files.evidence, "--deployments", deployments, "--key-file", files.supplier);
    expect(added.key).to.equal(evidenceKey.address);
    await refused(/RegistryKeyAlreadyRegistered/, "registry", "key", "add", "--participant", supplier.address, "--new-key-file", files.evidence, "--deployments", deployments, "--key-file", files.supplier);
    const bound = await json<{ key: { participant: string } | null }>("registry", "show", evidenceKey.address, "--deployments", deployments);
    expect(bound.key!.participant).to.equal(supplier.address);

    // A stranger can neither revoke nor rotate the supplier's key.
    await refused(/revokeSigningKey reverted with AccessControlUnauthorizedAccount/, "registry", "key", "revoke", evidenceKey.address, "--deployments", deployments, "--key-file", files.stranger);
    const now = BigInt(((await rpc("eth_getBlockByNumber", ["latest", false])) as { timestamp: string }).timestamp);
    const at = String(now + 86_400n);
    const rotated = await json<{ old: string; key: string; at: string }>("registry", "key", "rotate", "--old", evidenceKey.address, "--new-key-env", "NEXT_KEY", "--at", at, "--deployments", deployments, "--key-file", files.supplier);
    expect(rotated).to.deep.include({ old: evidenceKey.address, key: nextKey.address, at });
    const old = await json<{ key: { validUntil: string } }>("registry", "show", evidenceKey.address, "--deployments", deployments);
    expect(old.key.validUntil).to.equal(at);
    await json("registry", "key", "revoke", nextKey.address, "--deployments", deployments, "--key-file", files.admin);
    // Revocation never reopens: revoking again (now, after now) is refused.
    await refused(/RegistryInvalidInterval/, "registry", "key", "revoke", nextKey.address, "--at", String(now + 10n * 86_400n), "--deployments", deployments, "--key-file", files.admin);
  }).timeout(180_000);

  it("should publish a vehicle group's root from its group file", async () => {
    const groupDir = join(dir, "services");
    expect((await v2g("deployment", "init", "--dir", groupDir, "--members", "4", "--ring-size", "2")).code).to.equal(ExitCode.Ok);
    await refused(/publishGroupRoot reverted with AccessControlUnauthorizedAccount/, "registry", "group", "publish", "--group-file", join(groupDir, "group-1.json"), "--deployments", deployments, "--key-file", files.stranger);
    const g = await json<{ version: number; memberCount: number; root: string }>("registry", "group", "publish", "--group-file", join(groupDir, "group-1.json"), "--deployments", deployments, "--key-file", files.admin);
    expect(g).to.include({ version: 1, memberCount: 4 });
    const again = await json<{ version: number }>("registry", "group", "publish", "--group-file", join(groupDir, "group-1.json"), "--deployments", deployments, "--key-file", files.admin);
    expect(again.version).to.equal(2);
  });

  it("should set up a supplier's collateral and withdraw it in two steps, never early", async () => {
    await refused(new RegExp(`deposit reverted with AccessControlUnauthorizedAccount \\[REVERTED\\] \\(AccessControlUnauthorizedAccount\\(${stranger.address}, 0x`), "supplier", "setup", "--amount", "1000", "--mint", "--deployments", deployments, "--key-file", files.stranger);
    const setup = await json<{ available: string }>("supplier", "setup", "--amount", "1000000", "--mint", "--deployments", deployments, "--key-file", files.supplier);
    expect(setup.available).to.equal("1000000");
    const req = await json<{ readyAt: string }>("supplier", "withdraw", "request", "--amount", "400000", "--deployments", deployments, "--key-file", files.supplier);
    await refused(/withdraw reverted with SettlementWithdrawalNotReady \[REVERTED\] \(SettlementWithdrawalNotReady\(/, "supplier", "withdraw", "complete", "--amount", "400000", "--deployments", deployments, "--key-file", files.supplier);
    await rpc("evm_setNextBlockTimestamp", [Number(req.readyAt)]);
    await rpc("evm_mine");
    await refused(/SettlementWithdrawalNotRequested/, "supplier", "withdraw", "complete", "--amount", "500000", "--deployments", deployments, "--key-file", files.supplier);
    await json("supplier", "withdraw", "complete", "--amount", "400000", "--deployments", deployments, "--key-file", files.supplier);
    const shown = await json<{ balance: string; available: string }>("supplier", "show", supplier.address, "--deployments", deployments);
    expect(shown).to.include({ balance: "600000", available: "600000" });
  });

  it("should import CDRs all or none, once, and show the session of one by its digest", async () => {
    const store = join(dir, "supplier.db");
    const home = dev(4).address;
    const line = (i: number, amount = "1250") => JSON.stringify({
      sessionId: `0x${"5e".repeat(31)}${i.toString(16).padStart(2, "0")}`, seq: "3", issuedAt: "1767225600",
      cdr: { cdrId: `0x${"cd".repeat(31)}${i.toString(16).padStart(2, "0")}`, homeSupplier: home, start: "1767220000", end: "1767223600", energyWh: "11000", amount, readingsRoot: `0x${"aa".repeat(32)}` },
    });
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, [line(1), line(2, "0"), line(3)].join("\n"));
    const refusedImport = await v2g("cdr", "import", bad, "--store", store, "--supplier", supplier.address, "--deployments", deployments, "--key-file", files.evidence);
    expect(refusedImport.code).to.equal(ExitCode.Usage);
    expect(refusedImport.err).to.match(/bad\.jsonl line 2, field cdr\.amount: a CDR must charge something$/);
    expect(existsSync(store)).to.equal(false);
    const good = join(dir, "good.jsonl");
    writeFileSync(good, `# three CDRs\n${[line(1), line(2), line(3)].join("\n")}\n`);
    const first = await json<{ imported: number; skipped: number; digests: string[] }>("cdr", "import", good, "--store", store, "--supplier", supplier.address, "--deployments", deployments, "--key-file", files.evidence);
    expect(first).to.include({ imported: 3, skipped: 0 });
    const second = await json<{ imported: number; skipped: number }>("cdr", "import", good, "--store", store, "--supplier", supplier.address, "--key-file", files.evidence);
    expect(second).to.include({ imported: 0, skipped: 3 });
    const s = EvidenceStore.open(store, { create: false });
    try {
      const cdr = s.message(first.digests[0]!)!;
      expect(cdr.type).to.equal("ChargeDetailRecord");
      expect(cdr.signer).to.equal(evidenceKey.address);
      expect(cdr.party).to.equal(supplier.address);
      expect((cdr.body as { hostSupplier: string }).hostSupplier).to.equal(supplier.address);
    } finally {
      s.close();
    }
    const shown = await v2g("dispute", "show", first.digests[0]!, "--store", store, "--json");
    const data = JSON.parse(shown.out) as { kind: string; timeline: { kind: string; what: string }[] };
    expect(data.kind).to.equal("digest");
    expect(data.timeline.map((e) => e.kind)).to.deep.equal(["message"]);
    expect(data.timeline[0]!.what).to.match(/^ChargeDetailRecord #3 from /);
    // Unreceipted and unanchored: the verdict says "no", it is not an error.
    expect(shown.code).to.equal(ExitCode.Negative);
    const claimQuery = await v2g("dispute", "show", "77", "--store", store, "--deployments", deployments);
    expect(claimQuery.code).to.equal(ExitCode.NotFound);
    expect(claimQuery.err).to.match(/no session, digest or claim with a disputed CDR/);
  });

  it("should find no open dispute to rule on for an unknown claim (5)", async () => {
    const bundle = join(dir, "bundle.json");
    const store = join(dir, "supplier.db");
    const s = EvidenceStore.open(store, { create: false });
    const digest = s.messagesOfType("ChargeDetailRecord", 0, 1).messages[0]!.digest;
    s.close();
    await v2g("dispute", "show", digest, "--store", store, "--out", bundle);
    const r = await v2g("arbiter", "rule", "77", "claim-level", "--outcome", "upheld", "--bundle", bundle, "--deployments", deployments, "--key-file", files.arbiter);
    expect(r.code, r.err).to.equal(ExitCode.NotFound);
    expect(r.err).to.match(/^error: claim 77 has no open claim-level dispute \[NOT_FOUND\]$/);
    expect(readFileSync(bundle, "utf8")).to.contain("v2g-evidence-bundle/3");
  });

  it("should stop the node on SIGTERM with exit 0", async () => {
    node.kill("SIGTERM");
    expect(await exited).to.equal(0);
  });
});
