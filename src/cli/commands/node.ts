/**
 * `v2g node [--port <n>]`: the embedded Hardhat network as a JSON-RPC server (HTTP and WebSocket)
 * on 127.0.0.1, with Hardhat's funded development accounts. Stops on SIGINT/SIGTERM and exits 0.
 */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { parseInteger } from "../args.js";
import { globalsOf, guarded, untilStopped, type CliContext } from "../context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";

/** The port `v2g node` listens on unless told otherwise; `--rpc`'s default points at it. */
export const DEFAULT_NODE_PORT = 8545;

/** Loopback only: the node's accounts are unlocked and their keys are public. */
const HOST = "127.0.0.1";

export interface NodeOptions {
  /** Port to listen on; 0 takes a free one. */
  port: number;
  json: boolean;
  /** Called once the server listens (tests read the URL from it). */
  onListening?: (url: string) => void;
}

async function rpc<T>(url: string, method: string): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
  });
  return ((await res.json()) as { result: T }).result;
}

/** Serves the embedded network until `signal` aborts (default: SIGTERM or SIGINT). */
export async function runNode(opts: NodeOptions, io: CliIo, signal?: AbortSignal): Promise<ExitCodeValue> {
  const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
  // No project config: the node needs no contracts, build or plugins (the CLI deploys over RPC).
  // The project root is the package's, wherever the user stands.
  const hre = await createHardhatRuntimeEnvironment({}, {}, fileURLToPath(new URL("../../..", import.meta.url)));
  const server = await hre.network.createServer({ network: "default" }, HOST, opts.port);
  const { port } = await server.listen();
  const url = `http://${HOST}:${port}`;
  try {
    const { getAddress } = await import("ethers");
    const [chainId, lower] = await Promise.all([rpc<string>(url, "eth_chainId"), rpc<string[]>(url, "eth_accounts")]);
    const accounts = lower.map((a) => getAddress(a));
    if (opts.json) {
      io.out(JSON.stringify({ url, chainId: BigInt(chainId).toString(), accounts }));
    } else {
      io.out(`embedded Hardhat network listening on ${url} (chain id ${BigInt(chainId)}; stop with SIGINT or SIGTERM)`);
      io.out(`${accounts.length} funded development accounts (Hardhat's well-known test keys; never use them on a real network):`);
      accounts.forEach((a, i) => io.out(`  #${i} ${a}`));
    }
    opts.onListening?.(url);
    await untilStopped(signal);
  } finally {
    await server.close();
  }
  if (!opts.json) io.out("node stopped");
  return ExitCode.Ok;
}

export function registerNode(program: Command, ctx: CliContext): void {
  program
    .command("node")
    .description(`serve the embedded Hardhat network on ${HOST} (default port ${DEFAULT_NODE_PORT}) until SIGINT/SIGTERM (then exit 0)`)
    .option("--port <n>", `port to listen on (0: any free port)`, String(DEFAULT_NODE_PORT))
    .action(async (o: { port: string }, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json ?? false;
      ctx.exitCode = await guarded(ctx.io, async () => {
        globalsOf(cmd);
        return runNode({ port: parseInteger(o.port, "--port", 0, 65_535), json }, ctx.io, ctx.deps.signal);
      }, json);
    });
}
