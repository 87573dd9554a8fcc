/** `verify <bundle.json> [--ledger <address>]`: checks an evidence bundle (0 valid, 1 invalid). */
import type { Command } from "commander";
import type { Verdict } from "../../evidence/verify.js";
import { parseAddressArg, parseExistingFile, parseRpcUrl, parseTimeoutSeconds, UsageError } from "../args.js";
import { defaultDeps, globalsOf, guarded, type CliContext, type CliDeps } from "../context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";

export interface VerifyOptions {
  file: string;
  /** Verify against this node instead of the bundle's own chain snapshot. */
  rpc?: string;
  /** Ledger to check against (default: the bundle's `domain.verifyingContract`); needs `rpc`. */
  ledger?: string;
  /** Longest wait for one answer of the node, in seconds (default 10). */
  rpcTimeout?: string;
  json?: boolean;
}

/** Verifies a bundle file; 0 if every item is valid, 1 if not, 2 if the input is unusable. */
export async function runVerify(opts: VerifyOptions, io: CliIo, deps: CliDeps = defaultDeps): Promise<ExitCodeValue> {
  return guarded(io, async () => {
    const file = parseExistingFile(opts.file, "the bundle file");
    const rpc = opts.rpc === undefined ? undefined : parseRpcUrl(opts.rpc);
    const ledger = opts.ledger === undefined ? undefined : parseAddressArg(opts.ledger, "--ledger");
    if (ledger && !rpc) throw new UsageError("--ledger needs --rpc");
    const timeout = opts.rpcTimeout === undefined ? undefined : parseTimeoutSeconds(opts.rpcTimeout, "--rpc-timeout");
    const [{ readBundle }, { RpcChainView, SnapshotChainView }, { verifyBundle }] = await Promise.all([
      import("../../evidence/bundle.js"),
      import("../../evidence/chainView.js"),
      import("../../evidence/verify.js"),
    ]);
    const bundle = readBundle(file);
    let verdict: Verdict;
    if (rpc) {
      const conn = await deps.connect(rpc, timeout);
      try {
        const view = await RpcChainView.connect(conn.provider, ledger ?? bundle.domain.verifyingContract);
        verdict = await verifyBundle(bundle, view);
      } finally {
        conn.close();
      }
    } else {
      if (!bundle.chainState)
        throw new UsageError("the bundle carries no chainState: verify it against a node with --rpc <url>");
      verdict = await verifyBundle(bundle, new SnapshotChainView(bundle.chainState));
    }
    io.out(
      opts.json
        ? JSON.stringify(verdict, null, 2)
        : formatVerdict(verdict, rpc ? `node ${rpc}` : "the bundle's chain snapshot"),
    );
    return verdict.ok ? ExitCode.Ok : ExitCode.Negative;
  }, opts.json);
}

/** A human-readable verdict: one line per item, then the summary. */
export function formatVerdict(v: Verdict, against: string): string {
  const lines = [`session ${v.sessionId} checked against ${against}`];
  for (const it of v.items) {
    const status = it.valid ? "valid  " : "INVALID";
    lines.push(`  ${status} ${it.kind.padEnd(7)} #${it.index} ${it.id}${it.valid ? "" : "  " + it.reasons.join(", ")}`);
  }
  const s = v.summary;
  lines.push(`${v.ok ? "OK" : "NOT OK"}: ${s.valid} of ${s.items} items valid, ${s.invalid} invalid`);
  return lines.join("\n");
}

export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command("verify")
    .description("verify an evidence bundle offline, or against --rpc when given (exit 0 valid, 1 invalid)")
    .argument("<bundle>", "evidence bundle JSON file (schema v2g-evidence-bundle/3, /2 or /1)")
    .option("--ledger <address>", "EvidenceLedger to check against, EIP-55 checksummed (default: the bundle's domain; needs --rpc)")
    .action(async (file: string, o: { ledger?: string }, cmd: Command) => {
      ctx.exitCode = await guarded(ctx.io, async () => {
        const g = globalsOf(cmd);
        const rpcTimeout = g.rpcTimeoutMs === undefined ? undefined : String(g.rpcTimeoutMs / 1000);
        return runVerify({ file, ledger: o.ledger, rpc: g.rpcGiven ? g.rpc : undefined, rpcTimeout, json: g.json }, ctx.io, ctx.deps);
      }, cmd.optsWithGlobals<{ json?: boolean }>().json);
    });
}
