import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, keccak256, toUtf8Bytes, Wallet } from "ethers";
import { buildCdrTree } from "../../src/settlement/cdrTree.js";
import { packageHash, type ClaimPackage } from "../../src/settlement/package.js";
import { CDR_REASONS, CLAIM_REASONS, PACKAGE_REASONS, type DisputeReason, type PackageReason } from "../../src/settlement/reasons.js";
import { verifyClaim, type IncomingClaim, type VerifyEnv } from "../../src/settlement/verifyClaim.js";
import {
  offlineCdr, offlineClaim, offlineEnv, offlineParties, OFFLINE_PERIOD, OFFLINE_PERIOD_SECONDS, type Cdr, type OfflineParties,
} from "./botHelpers/offlineClaim.js";

interface Case {
  claim: IncomingClaim;
  raw: unknown;
  env?: VerifyEnv;
  /** Digest of the CDR the dispute must name. */
  target?: string;
}

const json = (pkg: ClaimPackage): Record<string, unknown> => JSON.parse(JSON.stringify(pkg));
const other = () => Wallet.createRandom().address;

/** Three honest CDRs; `middle` (a message or body fields) replaces the second one. */
async function three(p: OfflineParties, middle?: Partial<Cdr["body"]> | Cdr): Promise<Cdr[]> {
  const m = middle && "digest" in middle ? middle : await offlineCdr(p, { amount: 2_000_000n, ...middle });
  return [await offlineCdr(p, { amount: 1_000_000n }), m as Cdr, await offlineCdr(p, { amount: 4_000_000n })];
}

/**
 * A claim whose package JSON is changed by `edit` before the host commits to it: a host that signed
 * up to what it sent (its `packageHash` is the edited package's).
 */
async function edited(p: OfflineParties, edit: (pkg: Record<string, unknown>, cdrs: Cdr[]) => void, middle?: Partial<Cdr["body"]> | Cdr): Promise<Case> {
  const cdrs = await three(p, middle);
  const { claim, pkg } = offlineClaim(p, cdrs);
  const raw = json(pkg);
  edit(raw, cdrs);
  return { claim: { ...claim, packageHash: packageHash(raw) }, raw, target: cdrs[1]!.digest };
}

const DISPUTES: Record<DisputeReason, (p: OfflineParties) => Promise<Case>> = {
  CDR_MISSING: (p) => edited(p, (raw, c) => void (raw.cdrs = (raw.cdrs as { digest: string }[]).filter((m) => m.digest !== c[1]!.digest))),
  CDR_MALFORMED: (p) => edited(p, (raw) => void ((raw.cdrs as Record<string, unknown>[])[1]!.body = { amount: "x" })),
  DIGEST_MISMATCH: (p) => edited(p, (raw) => void (((raw.cdrs as Record<string, Record<string, unknown>>[])[1]!.body!).energyWh = "1")),
  BAD_SIGNATURE: (p) => edited(p, (raw) => {
    const cdrs = raw.cdrs as Record<string, unknown>[];
    cdrs[1]!.signature = cdrs[0]!.signature;
  }),
  KEY_NOT_VALID: async (p) => edited(p, () => undefined, await offlineCdr(p, { amount: 2_000_000n }, Wallet.createRandom())),
  WRONG_HOST: (p) => edited(p, () => undefined, { hostSupplier: other() }),
  WRONG_HOME: (p) => edited(p, () => undefined, { homeSupplier: other() }),
  BAD_TIMES: (p) => edited(p, () => undefined, { start: BigInt(OFFLINE_PERIOD * OFFLINE_PERIOD_SECONDS + 1900) }),
  ZERO_AMOUNT: (p) => edited(p, () => undefined, { amount: 0n }),
  AMOUNT_MISMATCH: async (p) => {
    const cdrs = await three(p);
    const { claim, pkg } = offlineClaim(p, cdrs, cdrs.map((m, i) => ({ digest: m.digest, amount: m.body.amount + (i === 1 ? 1n : 0n) })));
    return { claim, raw: json(pkg), target: cdrs[1]!.digest };
  },
  WRONG_PERIOD: (p) => edited(p, () => undefined, { end: BigInt((OFFLINE_PERIOD + 1) * OFFLINE_PERIOD_SECONDS + 5) }),
  DUPLICATE_CDR: async (p) => {
    const first = await offlineCdr(p, { amount: 1_000_000n });
    const twin = await offlineCdr(p, { amount: 1_000_000n, cdrId: first.body.cdrId });
    const cdrs = [first, twin, await offlineCdr(p)];
    const { claim, pkg } = offlineClaim(p, cdrs);
    const tree = buildCdrTree(cdrs.map((m) => ({ digest: m.digest, amount: m.body.amount })));
    const order = [...tree.entries()].map(([, [d]]) => d);
    const later = order.indexOf(first.digest) > order.indexOf(twin.digest) ? first : twin;
    return { claim, raw: json(pkg), target: later.digest };
  },
  // The home's store holds (with its receipt) an earlier CDR of the session than the one claimed.
  SESSION_ALREADY_BILLED: async (p) => {
    const c = await edited(p, () => undefined);
    const sent = keccak256(toUtf8Bytes("the CDR the home received"));
    const env = offlineEnv(p, { billedBefore: (m) => (m.digest === c.target ? sent : null) });
    return { ...c, env };
  },
  NOT_ANCHORED: (p) => edited(p, (raw, c) => {
    const proofs = (raw.evidence as { proofs: Record<string, string[]> }).proofs;
    proofs[c[1]!.digest] = proofs[c[0]!.digest]!;
  }),
  HEADER_MISMATCH: async (p) => ({ ...(await edited(p, (raw) => void (raw.period = OFFLINE_PERIOD + 1))), target: undefined }),
  TREE_INCOMPLETE: async (p) => {
    const c = await edited(p, (raw) => void (raw.tree as { values: unknown[] }).values.splice(1, 1));
    return { ...c, target: undefined };
  },
  COUNT_MISMATCH: async (p) => {
    const c = await edited(p, () => undefined);
    return { ...c, claim: { ...c.claim, cdrCount: 4 }, target: undefined };
  },
  SUM_MISMATCH: async (p) => {
    const c = await edited(p, () => undefined);
    return { ...c, claim: { ...c.claim, amount: c.claim.amount + 1n }, target: undefined };
  },
  EVIDENCE_NOT_OWNED: async (p) => ({ ...(await edited(p, () => undefined)), env: offlineEnv(p, { anchorSubmitter: async () => other() }), target: undefined }),
};

/** Packages the home was never really shown: each calls for a dispute of the whole claim. */
const WHOLE: Record<PackageReason, (p: OfflineParties) => Promise<Case>> = {
  PACKAGE_MISSING: async (p) => ({ ...(await edited(p, () => undefined)), raw: null }),
  // What arrived is not what the host committed to: another amount, or text that is not JSON at all.
  PACKAGE_MISMATCH: async (p) => {
    const c = await edited(p, () => undefined);
    return { ...c, raw: { ...(c.raw as Record<string, unknown>), amount: "1" } };
  },
  // The host committed to something that is not a package.
  PACKAGE_INVALID: async (p) => {
    const c = await edited(p, () => undefined);
    const raw = { format: "v2g-claim-package/1", tree: "none" };
    return { ...c, raw, claim: { ...c.claim, packageHash: packageHash(raw) } };
  },
  TREE_INVALID: (p) => edited(p, (raw) => void ((raw.tree as { values: { value: string[] }[] }).values[0]!.value[1] = "7")),
  // The host committed to a package whose tree has another root than the claim's.
  TREE_WRONG_ROOT: async (p) => {
    const c = await edited(p, () => undefined);
    const raw = json(offlineClaim(p, await three(p)).pkg);
    return { ...c, raw, claim: { ...c.claim, packageHash: packageHash(raw) } };
  },
};

describe("settlement bot: verification of a claim package", function () {
  this.timeout(30_000);

  it("should accept an honest claim and remember its CDRs", async () => {
    const p = offlineParties();
    const cdrs = await three(p);
    const { claim, pkg } = offlineClaim(p, cdrs);
    const v = await verifyClaim(claim, json(pkg), offlineEnv(p));
    expect(v.verdict).to.equal("accept");
    expect(v.verdict === "accept" && v.received.map((r) => r.digest).sort()).to.deep.equal(cdrs.map((c) => c.digest).sort());
  });

  it("should have a case for every reason code", () => {
    expect(Object.keys(DISPUTES)).to.have.members([...CDR_REASONS, ...CLAIM_REASONS]);
    expect(Object.keys(WHOLE)).to.have.members([...PACKAGE_REASONS]);
  });

  for (const [reason, make] of Object.entries(DISPUTES) as [DisputeReason, (p: OfflineParties) => Promise<Case>][]) {
    it(`should dispute with ${reason} by a proof the contract accepts`, async () => {
      const p = offlineParties();
      const c = await make(p);
      const v = await verifyClaim(c.claim, c.raw, c.env ?? offlineEnv(p));
      if (v.verdict !== "dispute") expect.fail(`expected a dispute, got ${JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x))}`);
      expect(v.reason).to.equal(reason);
      if (c.target) expect(v.digest).to.equal(c.target);
      else expect(v.index).to.equal(0);
      expect(StandardMerkleTree.verify(c.claim.cdrRoot, ["bytes32", "uint256"], [v.digest, v.amount], v.proof)).to.equal(true);
      expect(v.received.map((r) => r.digest)).not.to.include(v.digest);
    });
  }

  for (const [reason, make] of Object.entries(WHOLE) as [PackageReason, (p: OfflineParties) => Promise<Case>][]) {
    it(`should dispute the whole claim with ${reason}`, async () => {
      const p = offlineParties();
      const c = await make(p);
      expect(await verifyClaim(c.claim, c.raw, offlineEnv(p))).to.include({ verdict: "claim-dispute", reason });
    });
  }

  it("should accept a package whose JSON was re-spaced and re-ordered on the way, and refuse one changed by a byte", async () => {
    const p = offlineParties();
    const cdrs = await three(p);
    const { claim, pkg } = offlineClaim(p, cdrs);
    const reordered = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reordered)
        : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)]))
        : v;
    const respaced = JSON.parse(JSON.stringify(reordered(json(pkg)), null, 3)) as unknown;
    expect(await verifyClaim(claim, respaced, offlineEnv(p))).to.include({ verdict: "accept" });
    const other = json(pkg);
    (other.evidence as { blockNumber: number }).blockNumber += 1;
    expect(await verifyClaim(claim, other, offlineEnv(p))).to.include({ verdict: "claim-dispute", reason: "PACKAGE_MISMATCH" });
  });

  it("should call text that is not JSON, or JSON nested too deep, a mismatch without throwing", async () => {
    const p = offlineParties();
    const { claim } = offlineClaim(p, await three(p));
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = [deep];
    for (const raw of ["not json {", deep, { n: Number.NaN }]) {
      expect(await verifyClaim(claim, raw, offlineEnv(p))).to.include({ verdict: "claim-dispute", reason: "PACKAGE_MISMATCH" });
    }
  });

  it("should judge each CDR on its own when the package's own fields or a proof are malformed", async () => {
    const p = offlineParties();
    const c = await edited(p, (raw, cdrs) => {
      raw.amount = "lots";
      (raw.evidence as { proofs: Record<string, unknown> }).proofs[cdrs[1]!.digest] = "not a proof";
    });
    expect(await verifyClaim(c.claim, c.raw, offlineEnv(p))).to.include({ verdict: "dispute", reason: "NOT_ANCHORED", digest: c.target });
    const fine = await edited(p, (raw) => void (raw.amount = "lots"));
    expect(await verifyClaim(fine.claim, fine.raw, offlineEnv(p))).to.include({ verdict: "dispute", reason: "HEADER_MISMATCH", index: 0 });
  });

  it("should dispute a CDR received in an earlier claim", async () => {
    const p = offlineParties();
    const cdrs = await three(p);
    const { claim, pkg } = offlineClaim(p, cdrs);
    const seen = cdrs[2]!.body.cdrId;
    const v = await verifyClaim(claim, json(pkg), offlineEnv(p, { seenBefore: (_d, id) => id === seen }));
    expect(v).to.include({ verdict: "dispute", reason: "DUPLICATE_CDR", digest: cdrs[2]!.digest });
    expect(getAddress(claim.creditor)).to.equal(p.host);
  });
});
