/** `bundle <sessionId> --store <db> --out <file> [--rpc <url>] [--force]`: the dispute query. */
import type { Command } from "commander";
import { buildBundle, querySession, writeBundle } from "../../evidence/bundle.js";
import { EvidenceStore } from "../../evidence/store.js";
import { parseExistingFile, parseHex32, parseOutputFile, parseRpcUrl, parseTimeoutSeconds } from "../args.js";
import { defaultDeps, guarded, type CliContext, type CliDeps } from "../context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";

export interface BundleOptions {
  sessionId: string;
  store: string;
  out: string;
  /** Snapshot the chain (keys, anchors, NRO/NRR records) into the bundle from this node. */
  rpc?: string;
  /** Longest wait for one answer of the node, in seconds (default 10). */
  rpcTimeout?: string;
  force?: boolean;
}

/** Writes the evidence bundle of a session; 0 written, 3 unknown session, 2 bad input. */
export async function runBundle(opts: BundleOptions, io: CliIo, deps: CliDeps = defaultDeps): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const sessionId = parseHex32(opts.sessionId, "the session id");
    const storePath = parseExistingFile(opts.store, "--store");
    const out = parseOutputFile(opts.out, opts.force ?? false);
    const rpc = opts.rpc === undefined ? undefined : parseRpcUrl(opts.rpc);
    const timeout = opts.rpcTimeout === undefined ? undefined : parseTimeoutSeconds(opts.rpcTimeout, "--rpc-timeout");
    const store = EvidenceStore.open(storePath, { create: false });
    try {
      if (!querySession(store, sessionId).found) {
        io.err(`not found: the store holds no evidence for session ${sessionId}`);
        return ExitCode.NotFound;
      }
      const conn = rpc ? await deps.connect(rpc, timeout) : undefined;
      try {
        const bundle = await buildBundle(store, sessionId, conn && { provider: conn.provider });
        writeBundle(out, bundle);
        const counts = `${bundle.messages.length} messages, ${bundle.receipts.length} receipts, ${bundle.refusals.length} refusals, ${bundle.batches.length} anchored batches`;
        io.out(
          `wrote ${out}: ${counts}${bundle.chainState ? `, chain state at block ${bundle.chainState.blockNumber}` : ", no chain state"}`,
        );
        return ExitCode.Ok;
      } finally {
        conn?.close();
      }
    } finally {
      store.close();
    }
  });
}

export function registerBundle(program: Command, ctx: CliContext): void {
  program
    .command("bundle")
    .description("write the evidence bundle of a session (exit 0 written, 3 unknown session, 2 bad input)")
    .argument("<sessionId>", "session id, 0x + 64 hex digits")
    .requiredOption("--store <db>", "evidence store (SQLite file)")
    .requiredOption("--out <file>", "bundle file to write")
    .option("--rpc <url>", "JSON-RPC node to snapshot keys, anchors and on-chain records from")
    .option("--rpc-timeout <seconds>", "longest wait for one answer of the node (default 10)")
    .option("--force", "replace --out if it exists")
    .action(async (sessionId: string, o: { store: string; out: string; rpc?: string; rpcTimeout?: string; force?: boolean }) => {
      ctx.exitCode = await runBundle({ sessionId, ...o }, ctx.io, ctx.deps);
    });
}
