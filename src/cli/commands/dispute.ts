/**
 * `dispute show <session|claim|digest> --store <db> [--deployments <file>] [--out <bundle>] [--force]`:
 * resolves the query to one session, builds its evidence bundle with a snapshot of the chain,
 * verifies it and prints a timeline with one verdict per item (`--json`: the same as data).
 * Exit 0 every item valid, 1 some item invalid, 5 nothing known for the query.
 */
import type { Command } from "commander";
import type { EvidenceBundle } from "../../evidence/bundle.js";
import type { EvidenceStore } from "../../evidence/store.js";
import type { ItemVerdict, Verdict } from "../../evidence/verify.js";
import { parseExistingFile, parseOutputFile, UsageError } from "../args.js";
import { commandAction, type CliContext, type CliDeps, type GlobalOptions } from "../context.js";
import { ExitCode, type CliIo, type ExitCodeValue } from "../io.js";
import type { Connection } from "../rpc.js";
import { disputesOfClaim, parseClaimId, type ClaimDispute } from "./disputeClaims.js";

export interface DisputeShowOptions {
  query: string;
  store: string;
  deployments?: string;
  out?: string;
  force?: boolean;
}

/** What the query named, and the session it leads to. */
export interface Resolved {
  kind: "session" | "digest" | "claim";
  sessionId: string;
  /** The disputes of a claim query. */
  disputes?: ClaimDispute[];
}

export interface TimelineEntry {
  /** Seconds since the epoch; null when the item carries no time. */
  at: number | null;
  kind: ItemVerdict["kind"];
  index: number;
  id: string;
  what: string;
  valid: boolean;
  reasons: string[];
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** A session id, a message or receipt digest of the store, or (with a chain) a claim id. */
/** Checks the query's form; true for a claim id (decimal). */
function isClaimQuery(query: string): boolean {
  const isDecimal = /^[0-9]{1,78}$/.test(query);
  if (!isDecimal && !HEX32.test(query)) {
    throw new UsageError(`the query must be a session id or digest (0x + 64 hex digits) or a claim id (decimal), got "${query}"`);
  }
  return isDecimal;
}

export async function resolveQuery(store: EvidenceStore, query: string, claims?: () => Promise<ClaimDispute[]>): Promise<Resolved> {
  const { EvidenceError } = await import("../../evidence/errors.js");
  if (!isClaimQuery(query)) {
    const id = query.toLowerCase();
    if (store.hasSession(id)) return { kind: "session", sessionId: id };
    const message = store.message(id);
    if (message) return { kind: "digest", sessionId: message.header.sessionId.toLowerCase() };
    const receipt = store.receipt(id);
    if (receipt) return { kind: "digest", sessionId: receipt.receipt.sessionId.toLowerCase() };
  }
  if (!claims) {
    throw new EvidenceError("NOT_FOUND", "the store knows no session or digest by this id (a claim id needs --deployments)", { query });
  }
  const disputes = await claims();
  const cdrs = disputes.map((d) => d.cdrDigest).filter((d) => d !== null);
  const sessions = [...new Set(cdrs.map((d) => store.message(d)?.header.sessionId.toLowerCase()).filter((s) => s !== undefined))];
  if (cdrs.length === 0) throw new EvidenceError("NOT_FOUND", "no session, digest or claim with a disputed CDR by this id", { query });
  if (sessions.length === 0) throw new EvidenceError("NOT_FOUND", "the claim's disputed CDRs are not in this store", { query, cdrs });
  if (sessions.length > 1) {
    throw new UsageError(`claim ${query} has disputed CDRs in ${sessions.length} sessions: show one by its CDR digest (${cdrs.join(", ")})`);
  }
  return { kind: "claim", sessionId: sessions[0]!, disputes };
}

/** The bundle's items in time order, each with its verdict. */
export function timeline(bundle: EvidenceBundle, verdict: Verdict): TimelineEntry[] {
  const entries = verdict.items.map((item): TimelineEntry => {
    const base = { kind: item.kind, index: item.index, id: item.id, valid: item.valid, reasons: [...item.reasons] };
    switch (item.kind) {
      case "message": {
        const m = bundle.messages[item.index]!;
        const to = m.header.receiver ? ` to ${m.header.receiver}` : "";
        return { ...base, at: Number(m.header.issuedAt), what: `${m.type} #${m.header.seq} from ${m.party}${to}` };
      }
      case "receipt": {
        const r = bundle.receipts[item.index]!;
        return { ...base, at: Number(r.receipt.receivedAt), what: `receipt by ${r.receiver} of ${r.receipt.nroDigest}` };
      }
      case "refusal": {
        const f = bundle.refusals[item.index]!;
        return { ...base, at: f.blockTime ?? f.deadline, what: `refusal recorded by ${f.origin}: no receipt of ${f.nroDigest} by ${f.deadline}` };
      }
      case "anchor": {
        const b = bundle.batches[item.index]!;
        return { ...base, at: b.anchor.blockTime, what: `batch of ${b.count} anchored by ${b.anchor.submitter} in block ${b.anchor.blockNumber}` };
      }
    }
  });
  return entries.sort((a, b) => (a.at ?? Infinity) - (b.at ?? Infinity));
}

export function formatTimeline(r: Resolved, bundle: EvidenceBundle, verdict: Verdict, entries: TimelineEntry[], out?: string): string {
  const block = bundle.chainState ? `the chain at block ${bundle.chainState.blockNumber}` : "no chain state";
  const lines = [`session ${r.sessionId} (from ${r.kind}), checked against ${block}`];
  for (const d of r.disputes ?? []) {
    lines.push(`  dispute ${d.disputeId} of claim ${d.claimId}: ${d.cdrDigest ? `CDR ${d.cdrDigest}` : "the whole claim"}, amount ${d.amount}`);
  }
  for (const e of entries) {
    const when = e.at === null ? "-".padEnd(20) : new Date(e.at * 1000).toISOString().slice(0, 19) + "Z";
    lines.push(`  ${when} ${e.valid ? "valid  " : "INVALID"} ${e.kind.padEnd(7)} ${e.what}${e.valid ? "" : `  (${e.reasons.join(", ")})`}`);
  }
  const s = verdict.summary;
  lines.push(`${verdict.ok ? "OK" : "NOT OK"}: ${s.valid} of ${s.items} items valid, ${s.invalid} invalid${out ? `; bundle written to ${out}` : ""}`);
  return lines.join("\n");
}

export async function runDisputeShow(opts: DisputeShowOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  isClaimQuery(opts.query);
  const storePath = parseExistingFile(opts.store, "--store");
  const deploymentsPath = opts.deployments === undefined ? undefined : parseExistingFile(opts.deployments, "--deployments");
  const out = opts.out === undefined ? undefined : parseOutputFile(opts.out, opts.force ?? false);
  const [{ buildBundle, writeBundle }, { EvidenceStore }, { SnapshotChainView }, { verifyBundle }] = await Promise.all([
    import("../../evidence/bundle.js"),
    import("../../evidence/store.js"),
    import("../../evidence/chainView.js"),
    import("../../evidence/verify.js"),
  ]);
  const store = EvidenceStore.open(storePath, { create: false });
  let conn: Connection | undefined;
  try {
    conn = await deps.connect(g.rpc, g.rpcTimeoutMs);
    const provider = conn.provider;
    const claims = deploymentsPath === undefined ? undefined : async () => {
      const { readDeployments } = await import("../../chain/deployAll.js");
      return disputesOfClaim(provider, readDeployments(deploymentsPath), parseClaimId(opts.query));
    };
    const resolved = await resolveQuery(store, opts.query, claims);
    const bundle = await buildBundle(store, resolved.sessionId, { provider });
    const verdict = await verifyBundle(bundle, new SnapshotChainView(bundle.chainState!));
    if (out) writeBundle(out, bundle);
    const entries = timeline(bundle, verdict);
    if (g.json) {
      io.out(JSON.stringify({ query: opts.query, ...resolved, bundle: out ?? null, ok: verdict.ok, summary: verdict.summary, timeline: entries }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
    } else {
      io.out(formatTimeline(resolved, bundle, verdict, entries, out));
    }
    return verdict.ok ? ExitCode.Ok : ExitCode.Negative;
  } finally {
    conn?.close();
    store.close();
  }
}

export function registerDispute(program: Command, ctx: CliContext): void {
  program
    .command("dispute")
    .description("dispute queries over a supplier's evidence store")
    .command("show")
    .description("build a session's evidence bundle and print its timeline with a verdict per item (exit 0 all valid, 1 some invalid, 5 unknown)")
    .argument("<query>", "a session id or message/receipt digest (0x + 64 hex digits), or a claim id (decimal; needs --deployments)")
    .requiredOption("--store <db>", "evidence store (SQLite file)")
    .option("--deployments <file>", "deployments file (deployments/<network>.json): finds a claim's disputed CDRs")
    .option("--out <file>", "also write the bundle to this file")
    .option("--force", "replace --out if it exists")
    .action(commandAction(ctx, runDisputeShow, ([query], o: Omit<DisputeShowOptions, "query">) => ({ ...o, query: query! })));
}
