/** The disputes of a claim, read from the settlement contract's `CdrDisputed` and `ClaimDisputed` events. */
import type { Provider } from "ethers";
import type { Deployment } from "../../chain/deployAll.js";
import { UsageError } from "../args.js";

export interface ClaimDispute {
  kind: "cdr" | "claim";
  disputeId: string;
  claimId: string;
  /** The disputed CDR's digest; null for a claim-level dispute. */
  cdrDigest: string | null;
  amount: string;
}

/** A claim id as the user writes it: decimal, or 0x-hex. */
export function parseClaimId(value: string): bigint {
  if (!/^[0-9]{1,78}$/.test(value) && !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
    throw new UsageError(`a claim id must be a whole number (decimal or 0x-hex), got "${value}"`);
  }
  const id = BigInt(value);
  if (id >= 2n ** 256n) throw new UsageError(`a claim id is at most 2^256 - 1, got "${value}"`);
  return id;
}

/** Every dispute of `claimId` since the deployment's start block, in chain order. */
export async function disputesOfClaim(provider: Provider, deployment: Deployment, claimId: bigint): Promise<ClaimDispute[]> {
  const [{ Interface, toBeHex, zeroPadValue }, { RoamingSettlementAbi }] = await Promise.all([import("ethers"), import("../../chain/abi/index.js")]);
  const iface = new Interface(RoamingSettlementAbi);
  const claimTopic = zeroPadValue(toBeHex(claimId), 32);
  const cdr = iface.getEvent("CdrDisputed")!.topicHash;
  const claim = iface.getEvent("ClaimDisputed")!.topicHash;
  const logs = await provider.getLogs({
    address: deployment.contracts.RoamingSettlement.address,
    // Both events index the claim id second.
    topics: [[cdr, claim], null, claimTopic],
    fromBlock: deployment.contracts.RoamingSettlement.block,
    toBlock: "latest",
  });
  return logs.map((log) => {
    const e = iface.parseLog(log)!;
    const isCdr = log.topics[0] === cdr;
    return {
      kind: isCdr ? "cdr" : "claim",
      disputeId: e.args.disputeId.toString(),
      claimId: e.args.claimId.toString(),
      cdrDigest: isCdr ? String(e.args.cdrDigest).toLowerCase() : null,
      amount: e.args.amount.toString(),
    };
  });
}
