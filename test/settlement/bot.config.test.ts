import { expect } from "chai";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import { runSettlementBot } from "../../src/cli/commands/settlementBot.js";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";
import { httpProvider } from "../../src/chain/rpc.js";
import { SettlementBot } from "../../src/settlement/bot.js";
import { accountFromEnv, loadConfig, parseConfig } from "../../src/settlement/config.js";
import { SettlementError } from "../../src/settlement/errors.js";
import { createWorld, type World } from "./botHelpers/world.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** The error `fn` throws (fails the test if it does not). */
async function thrown(fn: () => unknown): Promise<SettlementError> {
  try {
    await fn();
  } catch (error) {
    return error as SettlementError;
  }
  throw new Error("expected an error");
}

describe("settlement bot: configuration and command line", function () {
  this.timeout(60_000);
  let w: World;
  before(async () => {
    w = await createWorld();
  });
  after(async () => w?.close());

  const write = (name: string, content: unknown) => {
    const file = join(w.dir, name);
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
  };

  it("should refuse a bad config file with a typed error saying what and where", async () => {
    expect(await thrown(() => loadConfig(join(w.dir, "absent.json")))).to.include({ code: "CONFIG_FILE" });
    expect(await thrown(() => loadConfig(write("broken.json", "{ rpcUrl: ")))).to.include({ code: "CONFIG_FILE" });
    const secret = await thrown(() => parseConfig({ ...w.host.config, privateKey: Wallet.createRandom().privateKey }, w.dir));
    expect(secret).to.include({ code: "CONFIG_SECRET" });
    expect(secret.message).to.contain("privateKey").and.not.contain("0x");
    const invalid = await thrown(() => parseConfig({ ...w.host.config, confirmations: 0, rpcUrl: "ftp://x", extra: 1 }, w.dir));
    expect(invalid).to.be.instanceOf(SettlementError).and.include({ code: "CONFIG_INVALID" });
    const paths = (invalid.details.issues as { path: string[] }[]).map((i) => i.path.join("."));
    expect(paths).to.include.members(["confirmations", "rpcUrl", ""]);
    const badAddress = await thrown(() => parseConfig({ ...w.host.config, contracts: { settlement: "0x1234" } }, w.dir));
    expect(badAddress.message).to.contain("contracts.settlement");
    const config = parseConfig(w.host.config, w.dir);
    expect(config.database).to.equal(join(w.dir, "host-bot.sqlite"));
    expect(config.withdraw).to.deep.equal({ threshold: 1n, reserve: 1_000_000_000n });
    expect(await thrown(() => accountFromEnv(config, {}))).to.include({ code: "KEY_MISSING" });
    const garbled = await thrown(() => accountFromEnv(config, { [w.host.envName]: "0x1234" }));
    expect(garbled).to.include({ code: "KEY_MISSING" });
    expect(garbled.message).not.to.contain("0x1234");
  });

  it("should refuse to start against the wrong chain, contracts, evidence store or database", async () => {
    const open = (over: Record<string, unknown>, signer = w.host.wallet) =>
      SettlementBot.open({ config: parseConfig({ ...w.host.config, ...over }, w.dir), signer });
    expect(await thrown(() => open({ chainId: 5 }))).to.include({ code: "WRONG_CHAIN" });
    const noCode = Wallet.createRandom().address;
    expect(await thrown(() => open({ contracts: { settlement: noCode } }))).to.include({ code: "DEPLOYMENT" });
    const notSettlement = await thrown(() => open({ contracts: { settlement: w.core.ledgerAddress } }));
    expect(notSettlement).to.include({ code: "DEPLOYMENT" });
    expect(notSettlement.message).to.contain("not a RoamingSettlement");
    const wrongLedger = { ...w.host.config.contracts, ledger: w.core.registryAddress };
    expect(await thrown(() => open({ contracts: wrongLedger }))).to.include({ code: "DEPLOYMENT" });
    expect(await thrown(() => open({ evidenceStore: "nowhere.sqlite" }))).to.include({ code: "DEPLOYMENT" });
    const periods = await thrown(() => open({ periodSeconds: 60 }));
    expect(periods).to.include({ code: "CONFIG_INVALID" });
    expect(periods.message).to.contain("periods last 3600 s");
    (await w.openBot(w.host)).close();
    const stranger = await thrown(() => open({}, w.home.wallet));
    expect(stranger).to.include({ code: "STATE" });
    expect(stranger.message).to.contain("another account");
  });

  it("should exit 2 with the reason for a bad config, and 0 after a good tick", async () => {
    const bad = write("bad.json", { ...w.host.config, confirmations: -1 });
    const io = bufferIo();
    expect(await runCli(["settlement-bot", "once", "--config", bad], io)).to.equal(ExitCode.BadInput);
    expect(io.stderr.join("\n")).to.contain("[CONFIG_INVALID]").and.contain("at confirmations");
    const noKey = bufferIo();
    const deps = { env: {}, provider: (url: string) => httpProvider(url) };
    expect(await runSettlementBot({ mode: "once", config: w.host.configPath }, noKey, deps)).to.equal(ExitCode.BadInput);
    expect(noKey.stderr.join("\n")).to.contain(`environment variable ${w.host.envName}`);
    expect(await runCli(["settlement-bot", "once"], bufferIo())).to.equal(ExitCode.BadInput);

    const ok = bufferIo();
    expect(await runSettlementBot({ mode: "once", config: w.host.configPath }, ok, { ...deps, env: w.env() })).to.equal(ExitCode.Ok);
    expect(ok.stdout.join("\n")).to.match(/^tick at block \d+/);
    const json = bufferIo();
    expect(await runSettlementBot({ mode: "once", config: w.host.configPath, json: true }, json, { ...deps, env: w.env() })).to.equal(ExitCode.Ok);
    expect(JSON.parse(json.stdout[0]!)).to.include({ cdrsImported: 0 }).and.have.property("errors").that.deep.equals([]);

    // An unreachable endpoint is "retry later" (1), not a config error.
    const down = write("down.json", { ...w.host.config, rpcUrl: "http://127.0.0.1:9" });
    const unreachable = bufferIo();
    expect(await runSettlementBot({ mode: "once", config: down }, unreachable, { ...deps, env: w.env() })).to.equal(ExitCode.NotOk);
  });

  it("should retry opening with a doubling delay while the endpoint is unreachable at start, then run", async () => {
    const controller = new AbortController();
    const io = bufferIo();
    let attempts = 0;
    const provider = (url: string) => httpProvider(++attempts <= 3 ? "http://127.0.0.1:9" : url);
    const deps = { env: w.env(), provider, signal: controller.signal, retryDelayMs: 10 };
    const ran = runSettlementBot({ mode: "run", config: w.home.configPath }, io, deps);
    for (let waited = 0; !io.stdout.some((l) => l.startsWith("tick at block")); waited += 50) {
      if (waited > 30_000) throw new Error(`the bot did not tick: ${io.stderr.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    controller.abort();
    expect(await ran).to.equal(ExitCode.Ok);
    const retries = io.stderr.filter((l) => l.includes("retrying in"));
    expect(retries.map((l) => l.match(/retrying in (\d+) ms/)![1])).to.deep.equal(["10", "20", "40"]);
    expect(attempts).to.equal(4);

    // Stopped while it still waits for the endpoint: it ends cleanly.
    const stopped = new AbortController();
    const waiting = bufferIo();
    setTimeout(() => stopped.abort(), 200);
    const never = { env: w.env(), provider: () => httpProvider("http://127.0.0.1:9"), signal: stopped.signal, retryDelayMs: 20 };
    expect(await runSettlementBot({ mode: "run", config: w.home.configPath }, waiting, never)).to.equal(ExitCode.Ok);
    expect(waiting.stdout.at(-1)).to.equal("settlement bot stopped before it could open");
  });

  it("should run until aborted, and stop a child process cleanly on SIGTERM", async () => {
    const controller = new AbortController();
    const io = bufferIo();
    setTimeout(() => controller.abort(), 700);
    const deps = { env: w.env(), provider: (url: string) => httpProvider(url), signal: controller.signal };
    expect(await runSettlementBot({ mode: "run", config: w.home.configPath }, io, deps)).to.equal(ExitCode.Ok);
    expect(io.stdout.at(-1)).to.match(/^settlement bot stopped after \d+ ticks$/);
    expect(io.stdout.filter((l) => l.startsWith("tick at block")).length).to.be.greaterThan(1);

    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "settlement-bot", "run", "--config", w.home.configPath], {
      stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...w.env() },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    for (let waited = 0; !/tick at block/.test(stdout); waited += 100) {
      if (waited > 30_000) throw new Error(`the child bot did not tick: ${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGTERM");
    expect(await exited, stderr).to.equal(0);
    expect(stdout).to.match(/settlement bot stopped after \d+ ticks/);
  });
});
