/**
 * An honest claim and its package built without a chain: three CDRs of `host` against `home`
 * signed with the host's registered key, the evidence batch, the CDR tree. Tests tamper with a
 * copy and check the verdict.
 */
import { getAddress, hexlify, keccak256, randomBytes, Wallet, type HDNodeWallet, type TypedDataDomain } from "ethers";
import { buildBatch, proofFor } from "../../../src/evidence/merkle.js";
import type { SignedMessage } from "../../../src/evidence/messages.js";
import { signMessage } from "../../../src/evidence/sign.js";
import { evidenceDomain } from "../../../src/evidence/types.js";
import { buildCdrTree, type CdrLeaf } from "../../../src/settlement/cdrTree.js";
import { buildClaimPackage, packageHash, type ClaimPackage } from "../../../src/settlement/package.js";
import type { IncomingClaim, VerifyEnv } from "../../../src/settlement/verifyClaim.js";

export const OFFLINE_PERIOD_SECONDS = 3600;
export const OFFLINE_PERIOD = 500_000;
const CHAIN_ID = 31337n;
const SETTLEMENT = getAddress("0x" + "51".repeat(20));
const LEDGER = getAddress("0x" + "1e".repeat(20));

export type Cdr = SignedMessage<"ChargeDetailRecord">;

export interface OfflineParties {
  host: string;
  home: string;
  hostKey: HDNodeWallet;
  domain: TypedDataDomain;
}

export function offlineParties(): OfflineParties {
  return {
    host: Wallet.createRandom().address, home: Wallet.createRandom().address, hostKey: Wallet.createRandom(),
    domain: evidenceDomain(CHAIN_ID, LEDGER),
  };
}

/** A CDR of period OFFLINE_PERIOD; `body` overrides fields, `key` signs instead of the host's key. */
export async function offlineCdr(p: OfflineParties, body: Partial<Cdr["body"]> = {}, key: HDNodeWallet = p.hostKey): Promise<Cdr> {
  const end = BigInt(OFFLINE_PERIOD * OFFLINE_PERIOD_SECONDS + 1800);
  return signMessage(key, p.host, p.domain, {
    type: "ChargeDetailRecord",
    header: { sessionId: hexlify(randomBytes(32)), seq: 0n, nonce: hexlify(randomBytes(32)), issuedAt: end + 60n, expiresAt: end + 86_400n },
    body: {
      cdrId: keccak256(randomBytes(32)), hostSupplier: p.host, homeSupplier: p.home, start: end - 1200n, end,
      energyWh: 9_000n, amount: 3_000_000n, readingsRoot: hexlify(randomBytes(32)), ...body,
    },
  }, { receiver: p.home, receiptDeadline: end + 86_400n });
}

/** The claim and package of `messages` (leaves from the messages unless given). */
export function offlineClaim(p: OfflineParties, messages: Cdr[], leaves?: CdrLeaf[]): { claim: IncomingClaim; pkg: ClaimPackage } {
  const l = leaves ?? messages.map((m) => ({ digest: m.digest, amount: m.body.amount }));
  const tree = buildCdrTree(l);
  const evidence = buildBatch(l.map((x) => x.digest));
  const pkg = buildClaimPackage({
    chainId: CHAIN_ID, settlement: SETTLEMENT, ledger: LEDGER, periodSeconds: OFFLINE_PERIOD_SECONDS, period: OFFLINE_PERIOD,
    creditor: p.host, debtor: p.home, tree, messages,
    evidence: {
      root: evidence.root, txHash: keccak256("0x01"), blockNumber: 1, blockTime: 1,
      proofs: Object.fromEntries(l.map((x) => [x.digest, proofFor(evidence, x.digest)])),
    },
  });
  const claim: IncomingClaim = {
    claimId: (BigInt(OFFLINE_PERIOD) << 32n) | 0n, period: OFFLINE_PERIOD, creditor: p.host, debtor: p.home,
    amount: l.reduce((s, x) => s + x.amount, 0n), cdrRoot: tree.root, cdrCount: l.length, evidenceRoot: evidence.root,
    packageHash: packageHash(pkg),
  };
  return { claim, pkg };
}

/** A verification environment where only the host's key is registered and the host anchored every root. */
export function offlineEnv(p: OfflineParties, over: Partial<VerifyEnv> = {}): VerifyEnv {
  return {
    account: p.home, chainId: CHAIN_ID, settlement: SETTLEMENT, ledger: LEDGER, periodSeconds: OFFLINE_PERIOD_SECONDS, domain: p.domain,
    keyValid: async (participant, key) => participant === p.host && key === p.hostKey.address,
    anchorSubmitter: async () => p.host,
    seenBefore: () => false,
    ...over,
  };
}
