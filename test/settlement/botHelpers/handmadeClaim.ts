/**
 * A host that does not run the bot: it anchors evidence and submits a claim with its own wallet,
 * commits to whatever package hash it likes and publishes whatever package it likes. This is how the
 * tests put a forged CDR in a claim, or hold a package back.
 */
import { getAddress } from "ethers";
import { buildBatch, proofFor } from "../../../src/evidence/merkle.js";
import type { SignedMessage } from "../../../src/evidence/messages.js";
import { AnchorKind } from "../../../src/evidence/types.js";
import { buildCdrTree, type CdrLeaf, type CdrTree } from "../../../src/settlement/cdrTree.js";
import { DirectoryExchange } from "../../../src/settlement/exchange.js";
import { buildClaimPackage, packageHash, type ClaimPackage } from "../../../src/settlement/package.js";
import { PERIOD_SECONDS, type Supplier, type World } from "./world.js";

export interface HandmadeClaim {
  claimId: bigint;
  tree: CdrTree;
  leaves: CdrLeaf[];
  evidenceRoot: string;
  pkg: ClaimPackage;
  /** The hash committed to in `submitClaim`. */
  packageHash: string;
}

export interface HandmadeOptions {
  /** The CDR messages put in the package (possibly tampered with). */
  messages: SignedMessage<"ChargeDetailRecord">[];
  /** The tree's leaves (default: each message's digest and amount). */
  leaves?: CdrLeaf[];
  period: number;
  /** Publish the package (default true). */
  publish?: boolean;
  /** The package the claim commits to (default: the published one). */
  committed?: (pkg: ClaimPackage) => ClaimPackage;
  /** The amount claimed (default: the sum of the leaves). */
  amount?: bigint;
}

export async function submitHandmadeClaim(w: World, host: Supplier, home: Supplier, o: HandmadeOptions): Promise<HandmadeClaim> {
  const leaves = o.leaves ?? o.messages.map((m) => ({ digest: m.digest, amount: m.body.amount }));
  const tree = buildCdrTree(leaves);
  const evidence = buildBatch(leaves.map((l) => l.digest));
  const anchored = await (await w.core.ledger.connect(host.wallet).anchorBatch(evidence.root, leaves.length, AnchorKind.ChargeDetailRecords)).wait();
  const amount = o.amount ?? leaves.reduce((s, l) => s + l.amount, 0n);
  const block = await w.ethers.provider.getBlock(anchored.blockNumber);
  const pkg = buildClaimPackage({
    chainId: w.core.chainId, settlement: w.settlementAddress, ledger: w.core.ledgerAddress, periodSeconds: PERIOD_SECONDS,
    period: o.period, creditor: getAddress(host.wallet.address), debtor: home.wallet.address, tree, messages: o.messages,
    evidence: {
      root: evidence.root, txHash: anchored.hash, blockNumber: anchored.blockNumber, blockTime: block!.timestamp,
      proofs: Object.fromEntries(leaves.map((l) => [l.digest, proofFor(evidence, l.digest)])),
    },
  });
  const hash = packageHash(o.committed ? o.committed(pkg) : pkg);
  const sent = await w.settlement.connect(host.wallet).submitClaim(o.period, home.wallet.address, amount, tree.root, leaves.length, evidence.root, hash);
  const receipt = await sent.wait();
  const event = receipt.logs.map((l: never) => w.settlement.interface.parseLog(l)).find((e: { name?: string } | null) => e?.name === "ClaimSubmitted");
  if (o.publish ?? true) await new DirectoryExchange(w.exchangeDir).publish(pkg);
  return { claimId: event.args.claimId as bigint, tree, leaves, evidenceRoot: evidence.root, pkg, packageHash: hash };
}
