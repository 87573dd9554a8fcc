/**
 * Batches of evidence digests as OpenZeppelin StandardMerkleTrees (leaf type `bytes32`,
 * double-hashed leaves), so proofs verify with standard tools and `EvidenceLedger.verifyInclusion`.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { EvidenceError } from "./errors.js";

export const DIGEST_LEAF_ENCODING = ["bytes32"] as const;

export interface Batch {
  root: string;
  tree: StandardMerkleTree<[string]>;
  /** Leaf index of each digest (lower-case hex). */
  index: Map<string, number>;
}

/** Builds the batch of `digests` (distinct 32-byte hex values). */
export function buildBatch(digests: readonly string[]): Batch {
  if (digests.length === 0) throw new EvidenceError("BAD_INPUT", "a batch needs at least one digest");
  const index = new Map<string, number>();
  for (const d of digests) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(d)) throw new EvidenceError("BAD_INPUT", "digest must be 32-byte hex", { d });
    const key = d.toLowerCase();
    if (index.has(key)) throw new EvidenceError("BAD_INPUT", "duplicate digest in batch", { digest: key });
    index.set(key, index.size);
  }
  const tree = StandardMerkleTree.of(
    digests.map((d) => [d.toLowerCase()] as [string]),
    [...DIGEST_LEAF_ENCODING],
  );
  // StandardMerkleTree sorts leaves; map each digest to its position in the tree.
  for (const [i, [value]] of tree.entries()) index.set(value, i);
  return { root: tree.root, tree, index };
}

export function proofFor(batch: Batch, digest: string): string[] {
  const i = batch.index.get(digest.toLowerCase());
  if (i === undefined) throw new EvidenceError("NOT_FOUND", "digest is not in the batch", { digest });
  return batch.tree.getProof(i);
}

/** Verifies that `digest` is a leaf of `root` under `proof` (pure, no chain access). */
export function verifyInclusion(root: string, digest: string, proof: readonly string[]): boolean {
  try {
    return StandardMerkleTree.verify(root, [...DIGEST_LEAF_ENCODING], [digest.toLowerCase()], [...proof]);
  } catch {
    return false;
  }
}
