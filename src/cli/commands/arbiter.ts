/**
 * `v2g arbiter …`: an arbiter's acts, signed by the arbiter's account.
 *
 *   arbiter rule <claim> <cdr-digest|claim-level> --outcome upheld|not-upheld --bundle <file>
 *       rules on the claim's open dispute of that CDR (or on its claim-level dispute) and records
 *       the keccak-256 of the bundle file it ruled from; prints the bundle's verdict first
 *   arbiter approve-opening <disputeId>
 *       approves the opening of a recorded escrow dispute (EscrowOpenings)
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseChoice, parseExistingFile, parseHex32, UsageError } from "../args.js";
import { deploymentsPath, openSession, send } from "../chain.js";
import { commandAction, printResult, type CliContext, type CliDeps, type GlobalOptions } from "../context.js";
import type { CliIo, ExitCodeValue } from "../io.js";
import { disputesOfClaim, parseClaimId } from "./disputeClaims.js";

export const OUTCOMES = ["upheld", "not-upheld"] as const;

export interface RuleOptions {
  deployments?: string;
  claim: string;
  target: string;
  outcome: string;
  bundle: string;
}

/** `DisputeStatus.Open` of IRoamingSettlement (`None` is 0). */
const OPEN = 1n;

export async function runArbiterRule(o: RuleOptions, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const claimId = parseClaimId(o.claim);
  const claimLevel = o.target === "claim-level";
  const cdr = claimLevel ? null : parseHex32(o.target, "the disputed CDR (its digest, or claim-level)");
  const upheld = parseChoice(o.outcome, "--outcome", OUTCOMES) === "upheld";
  const bundleFile = parseExistingFile(o.bundle, "--bundle");
  const [{ keccak256 }, { readBundle }, { SnapshotChainView }, { verifyBundle }] = await Promise.all([
    import("ethers"), import("../../evidence/bundle.js"), import("../../evidence/chainView.js"), import("../../evidence/verify.js"),
  ]);
  const bytes = readFileSync(bundleFile);
  const bundle = readBundle(bundleFile);
  if (!bundle.chainState) throw new UsageError("the bundle carries no chain snapshot: build it with `v2g dispute show … --out`");
  const verdict = await verifyBundle(bundle, new SnapshotChainView(bundle.chainState));
  const bundleDigest = keccak256(bytes);
  const s = await openSession(g, deps, deploymentsPath(o.deployments), true);
  try {
    const disputes = await disputesOfClaim(s.provider, s.deployment, claimId);
    const mine = disputes.filter((d) => (claimLevel ? d.kind === "claim" : d.cdrDigest === cdr));
    const settlement = s.contracts.settlement;
    const open: typeof mine = [];
    for (const d of mine) if (((await settlement.disputeOf(d.disputeId)) as { status: bigint }).status === OPEN) open.push(d);
    if (open.length === 0) {
      const { ChainError } = await import("../../chain/errors.js");
      const what = claimLevel ? "claim-level dispute" : `dispute of CDR ${cdr}`;
      throw new ChainError("NOT_FOUND", `claim ${claimId} has no open ${what}${mine.length ? " (it was ruled on)" : ""}`, { claimId: claimId.toString(), target: o.target });
    }
    const dispute = open.at(-1)!;
    const receipt = await send(claimLevel ? "resolveClaimDispute" : "resolveDispute", () =>
      claimLevel ? settlement.resolveClaimDispute(dispute.disputeId, upheld, bundleDigest) : settlement.resolveDispute(dispute.disputeId, upheld, bundleDigest));
    const s2 = verdict.summary;
    const text = [
      `bundle of session ${bundle.sessionId}: ${verdict.ok ? "OK" : "NOT OK"}, ${s2.valid} of ${s2.items} items valid`,
      `dispute ${dispute.disputeId} of claim ${claimId} ruled ${upheld ? "upheld" : "not upheld"}; bundle digest ${bundleDigest} (tx ${receipt.hash})`,
    ].join("\n");
    return printResult(io, g, text, { claimId, disputeId: dispute.disputeId, kind: dispute.kind, cdrDigest: dispute.cdrDigest, upheld, bundleDigest, bundleOk: verdict.ok, summary: s2, txHash: receipt.hash });
  } finally {
    s.close();
  }
}

export async function runApproveOpening(o: { deployments?: string; disputeId: string }, g: GlobalOptions, io: CliIo, deps: CliDeps): Promise<ExitCodeValue> {
  const disputeId = parseHex32(o.disputeId, "the escrow dispute id");
  const s = await openSession(g, deps, deploymentsPath(o.deployments), true);
  try {
    const receipt = await send("approveOpening", () => s.contracts.escrowOpenings.approveOpening(disputeId));
    const approvals = Number(await s.contracts.escrowOpenings.currentApprovals(disputeId));
    return printResult(io, g, `escrow dispute ${disputeId}: ${approvals} approvals (tx ${receipt.hash})`, { disputeId, approvals, txHash: receipt.hash });
  } finally {
    s.close();
  }
}

export function registerArbiter(program: Command, ctx: CliContext): void {
  const dep = ["--deployments <file>", "deployments file (default deployments/local.json)"] as const;
  const arbiter = program.command("arbiter").description("an arbiter's rulings on settlement disputes and approvals of escrow openings");
  arbiter
    .command("rule")
    .description("rule on a claim's dispute from its evidence bundle (signed by an arbiter)")
    .argument("<claim>", "the claim id")
    .argument("<target>", "the disputed CDR's digest, or claim-level")
    .requiredOption("--outcome <outcome>", OUTCOMES.join(" or "))
    .requiredOption("--bundle <file>", "the evidence bundle ruled from (its keccak-256 is recorded)")
    .option(...dep)
    .action(commandAction(ctx, runArbiterRule, ([claim, target], o: Omit<RuleOptions, "claim" | "target">) => ({ ...o, claim: claim!, target: target! })));
  arbiter
    .command("approve-opening")
    .description("approve the opening of a recorded escrow dispute (EscrowOpenings)")
    .argument("<disputeId>", "the escrow dispute id (0x + 64 hex digits)")
    .option(...dep)
    .action(commandAction(ctx, runApproveOpening, ([disputeId], o: { deployments?: string }) => ({ ...o, disputeId: disputeId! })));
}
