/**
 * Every argument error of every command: exactly one line on standard error and the documented
 * exit code; with --json, the same error as `{"error": {code, message, details}}` on standard output.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import type { CliDeps } from "../../src/cli/context.js";
import { bufferIo, ExitCode } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";

const dir = mkdtempSync(join(tmpdir(), "v2g-cli-usage-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const KEY = Wallet.createRandom().privateKey;
const keyFile = file("key.hex", `${KEY}\n`);
const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const deployment = {
  network: "local", chainId: "31337", deployer: addr(1), startBlock: 1,
  contracts: Object.fromEntries(["ParticipantRegistry", "EvidenceLedger", "RoamingSettlement", "EscrowOpenings", "SettlementToken"].map((n, i) => [n, { address: addr(i + 2), block: 1 }])),
  settings: {
    admin: null, registrar: null, registryAdminDelay: 172800,
    settlement: { challengeWindow: 259200, periodSeconds: 86400, claimGrace: 86400, withdrawalNotice: 518400, adminDelay: 172800, disputeFee: "0" },
    escrowThreshold: 2, token: null,
  },
};
const deployments = file("deployments.json", JSON.stringify(deployment));
const badDeployments = file("bad-deployments.json", JSON.stringify({ ...deployment, chainId: "zero" }));
const store = file("not-a-store.db", "not sqlite");
const cdrs = file("cdrs.jsonl", `{"sessionId":"0x${"11".repeat(32)}","seq":"1","issuedAt":"100","cdr":{"cdrId":"0x${"22".repeat(32)}","homeSupplier":"${Wallet.createRandom().address}","start":"10","end":"5","energyWh":"1000","amount":"7","readingsRoot":"0x${"33".repeat(32)}"}}\n`);
const SESSION = `0x${"ab".repeat(32)}`;
/** A port nothing listens on: every connection is refused at once. */
const DOWN = "http://127.0.0.1:9";
/** No node is reached in these cases; a connection is a failure of the test. */
const deps: CliDeps = {
  connect: async () => {
    throw new Error("the command reached for a node");
  },
  env: { V2G_KEY: KEY, NOT_A_KEY: "hello" },
};
const realDeps = async (): Promise<CliDeps> => ({ connect: (await import("../../src/cli/rpc.js")).connectRpc, env: deps.env });

type Case = [argv: string[], exit: number, message: RegExp];

const CASES: Case[] = [
  // The program itself.
  [["frobnicate"], ExitCode.Usage, /unknown command 'frobnicate'/],
  [["verify", "--no-such-option", "x"], ExitCode.Usage, /unknown option '--no-such-option'/],
  [["--rpc", "ftp://x", "verify", keyFile], ExitCode.Usage, /--rpc must be an http/],
  [["--rpc", "not a url", "node"], ExitCode.Usage, /--rpc must be a URL/],
  [["--rpc-timeout", "0", "supplier", "show", addr(9), "--deployments", deployments], ExitCode.Usage, /--rpc-timeout must be/],
  // Keys never come from arguments.
  [["deploy", "--private-key", KEY], ExitCode.Usage, /--private-key is not an option: keys come only from a key file/],
  [["deploy", `--key=${KEY}`], ExitCode.Usage, /--key is not an option/],
  [["deploy", "--key-env", KEY], ExitCode.Usage, /--key-env takes a file or a variable name, not a key/],
  [["registry", "key", "add", "--participant", addr(5), "--new-key-file", KEY.slice(2)], ExitCode.Usage, /--new-key-file takes a file or a variable name/],
  [["deploy", "--key-env", "NOT_A_KEY"], ExitCode.Usage, /environment variable NOT_A_KEY does not hold a 32-byte hex private key/],
  [["deploy", "--key-env", "UNSET_VARIABLE"], ExitCode.Usage, /environment variable UNSET_VARIABLE \(--key-env\) is not set/],
  [["deploy", "--key-file", join(dir, "absent.hex")], ExitCode.Usage, /--key-file does not exist/],
  [["deploy", "--key-file", keyFile, "--key-env", "V2G_KEY"], ExitCode.Usage, /give --key-file or --key-env, not both/],
  [["deploy"], ExitCode.Usage, /this command signs: give --key-file <path> or --key-env <NAME>/],
  // node
  [["node", "--port", "70000"], ExitCode.Usage, /--port must be a whole number from 0 to 65535/],
  // deploy
  [["deploy", "--key-env", "V2G_KEY", "--network-name", "a b"], ExitCode.Usage, /--network-name must be letters/],
  [["deploy", "--key-env", "V2G_KEY", "--period-seconds", "-5"], ExitCode.Usage, /--period-seconds must be a whole number/],
  [["deploy", "--key-env", "V2G_KEY", "--withdrawal-notice", "10", "--out", join(dir, "d1.json")], ExitCode.Usage, /withdrawalNotice must exceed/],
  [["deploy", "--key-env", "V2G_KEY", "--token", "0x12"], ExitCode.Usage, /--token must be 0x followed by 40 hex digits/],
  [["deploy", "--key-env", "V2G_KEY", "--out", deployments], ExitCode.Usage, /--out already exists \(pass --force/],
  [["deploy", "--key-env", "V2G_KEY", "--out", join(dir, "no", "d.json")], ExitCode.Usage, /the folder of --out does not exist/],
  [["--rpc", DOWN, "deploy", "--key-env", "V2G_KEY", "--out", join(dir, "d2.json")], ExitCode.Unavailable, /cannot reach a JSON-RPC node at http:\/\/127.0.0.1:9/],
  // registry
  [["registry", "add", addr(5), "--role", "king", "--deployments", deployments], ExitCode.Usage, /--role must be one of registrar, supplier/],
  [["registry", "add", "0xnope", "--role", "supplier"], ExitCode.Usage, /the participant's address must be 0x followed by 40 hex digits/],
  [["registry", "add", addr(5)], ExitCode.Usage, /required option '--role <role>' not specified/],
  [["registry", "add", addr(5), "--role", "supplier", "--deployments", join(dir, "none.json"), "--key-env", "V2G_KEY"], ExitCode.Usage, /--deployments does not exist/],
  [["registry", "add", addr(5), "--role", "supplier", "--deployments", badDeployments, "--key-env", "V2G_KEY"], ExitCode.Usage, /not a valid deployments file: chainId/],
  [["--rpc", DOWN, "registry", "add", addr(5), "--role", "supplier", "--deployments", deployments, "--key-env", "V2G_KEY"], ExitCode.Unavailable, /cannot reach a JSON-RPC node/],
  [["registry", "key", "add", "--participant", addr(5), "--deployments", deployments, "--key-env", "V2G_KEY"], ExitCode.Usage, /give --new-key-file <path> or --new-key-env <NAME>/],
  [["registry", "key", "revoke", "nope", "--deployments", deployments], ExitCode.Usage, /the key's address must be 0x/],
  [["registry", "group", "publish", "--group-file", join(dir, "none.json"), "--deployments", deployments, "--key-env", "V2G_KEY"], ExitCode.Usage, /--group-file does not exist/],
  [["registry", "group", "publish", "--group-file", keyFile, "--deployments", deployments, "--key-env", "V2G_KEY"], ExitCode.Usage, /MALFORMED|not JSON|JSON/],
  // supplier
  [["supplier", "setup", "--amount", "0", "--key-env", "V2G_KEY"], ExitCode.Usage, /--amount must be a positive whole number/],
  [["supplier", "setup", "--amount", "1.5", "--key-env", "V2G_KEY"], ExitCode.Usage, /--amount must be a positive whole number/],
  [["supplier", "setup"], ExitCode.Usage, /required option '--amount <units>' not specified/],
  [["supplier", "withdraw", "request", "--amount", "-1"], ExitCode.Usage, /--amount must be a positive whole number/],
  [["supplier", "withdraw"], ExitCode.Usage, /withdraw/],
  // cdr import
  [["cdr", "import", cdrs, "--store", join(dir, "new.db"), "--supplier", addr(5), "--key-env", "V2G_KEY"], ExitCode.Usage, /--store does not exist: give --deployments/],
  [["cdr", "import", cdrs, "--store", store, "--supplier", "0x1"], ExitCode.Usage, /--supplier must be 0x followed by 40 hex digits/],
  [["cdr", "import", cdrs, "--store", join(dir, "new.db"), "--supplier", addr(5), "--deployments", deployments, "--key-env", "V2G_KEY"], ExitCode.Usage, /cdrs\.jsonl line 1, field cdr\.end: must be after start/],
  // settlement-bot
  [["settlement-bot", "once"], ExitCode.Usage, /required option '--config <file>' not specified/],
  [["settlement-bot", "once", "--config", join(dir, "none.json")], ExitCode.Usage, /cannot read the config file/],
  // services
  [["lag", "serve", "--config", join(dir, "none.json")], ExitCode.Usage, /cannot read the JSON file/],
  [["ca", "serve"], ExitCode.Usage, /required option '--config <file>' not specified/],
  [["deployment", "init", "--dir", dir, "--members", "1"], ExitCode.Usage, /--members must be a whole number from 2/],
  // dispute show
  [["dispute", "show", "0x1234", "--store", store], ExitCode.Usage, /the query must be a session id or digest/],
  [["dispute", "show", SESSION, "--store", join(dir, "none.db")], ExitCode.Usage, /--store does not exist/],
  [["dispute", "show", SESSION], ExitCode.Usage, /required option '--store <db>' not specified/],
  [["dispute", "show", SESSION, "--store", store, "--out", deployments], ExitCode.Usage, /--out already exists/],
  // verify
  [["verify"], ExitCode.Usage, /missing required argument 'bundle'/],
  [["verify", join(dir, "none.json")], ExitCode.Usage, /the bundle file does not exist/],
  [["verify", deployments, "--ledger", addr(3)], ExitCode.Usage, /--ledger needs --rpc/],
  // A file that is no bundle is a negative answer of verify (the table puts BUNDLE_SCHEMA at 1).
  [["verify", keyFile], ExitCode.Negative, /the bundle file is not JSON/],
  // arbiter
  [["arbiter", "rule", "x", "claim-level", "--outcome", "upheld", "--bundle", keyFile], ExitCode.Usage, /a claim id must be a whole number/],
  [["arbiter", "rule", "7", "0x12", "--outcome", "upheld", "--bundle", keyFile], ExitCode.Usage, /the disputed CDR \(its digest, or claim-level\) must be 0x followed by 64 hex digits/],
  [["arbiter", "rule", "7", "claim-level", "--outcome", "maybe", "--bundle", keyFile], ExitCode.Usage, /--outcome must be one of upheld, not-upheld/],
  [["arbiter", "rule", "7", "claim-level", "--outcome", "upheld"], ExitCode.Usage, /required option '--bundle <file>' not specified/],
  [["arbiter", "approve-opening", "0x12"], ExitCode.Usage, /the escrow dispute id must be 0x followed by 64 hex digits/],
];

describe("CLI: argument errors", function () {
  this.timeout(60_000);
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [argv, exit, message] of CASES) {
    it(`should end \`v2g ${argv.map((a) => a.replace(dir, "…")).join(" ")}\` with exit ${exit} and one line`, async () => {
      const using = argv.includes(DOWN) ? await realDeps() : deps;
      const io = bufferIo();
      expect(await runCli(argv, io, using), io.stderr.join("\n")).to.equal(exit);
      expect(io.stdout).to.deep.equal([]);
      const text = io.stderr.join("");
      expect(text.trimEnd().split("\n"), text).to.have.length(1);
      expect(text).to.match(/^error: /).and.match(message);

      const json = bufferIo();
      expect(await runCli([...argv, "--json"], json, using)).to.equal(exit);
      expect(json.stderr).to.deep.equal([]);
      const printed = JSON.parse(json.stdout.join("")) as { error: { code: string; message: string; details: object } };
      expect(printed.error).to.have.all.keys("code", "message", "details");
      expect(printed.error.message).to.match(message);
    });
  }
});
