/**
 * Batches of evidence digests as OpenZeppelin StandardMerkleTrees (leaf type `bytes32`,
 * double-hashed leaves), so proofs verify with standard tools and `EvidenceLedger.verifyInclusion`.
 *
 * The tree is built with the library's core functions (`makeMerkleTree`, `getProof`,
 * `processProof`, its sorted-pair node hash) over leaves hashed here exactly as
 * `StandardMerkleTree` hashes a `bytes32` value: `keccak256(keccak256(abi.encode(d)))`, and
 * `abi.encode` of one `bytes32` is the 32 bytes themselves. The result is the same tree, root and
 * proofs as `StandardMerkleTree.of(digests.map((d) => [d]), ["bytes32"])`, without the ABI encoder
 * behind `StandardMerkleTree` and `SimpleMerkleTree`, which builds several error objects (stack
 * traces included) for every leaf it encodes, whether or not anything is wrong.
 */
import { getProof, makeMerkleTree, processProof } from "@openzeppelin/merkle-tree/dist/core.js";
import { keccak256 } from "ethers";
import { EvidenceError } from "./errors.js";

export interface Batch {
  root: string;
  /** Leaf digests (lower-case hex) in tree order: sorted by their leaf hash. */
  leaves: string[];
  /** Leaf position (in `leaves`) of each digest (lower-case hex). */
  index: Map<string, number>;
  /** The tree's nodes, root first (the library's array layout). */
  nodes: string[];
}

const DIGEST = /^0x[0-9a-fA-F]{64}$/;

/** The StandardMerkleTree leaf of a `bytes32` value. */
export function digestLeaf(digest: string): string {
  return keccak256(keccak256(digest));
}

/** Builds the batch of `digests` (distinct 32-byte hex values). */
export function buildBatch(digests: readonly string[]): Batch {
  if (digests.length === 0) throw new EvidenceError("BAD_INPUT", "a batch needs at least one digest");
  const seen = new Set<string>();
  const hashed: { digest: string; leaf: string }[] = [];
  for (const d of digests) {
    if (!DIGEST.test(d)) throw new EvidenceError("BAD_INPUT", "digest must be 32-byte hex", { d });
    const digest = d.toLowerCase();
    if (seen.has(digest)) throw new EvidenceError("BAD_INPUT", "duplicate digest in batch", { digest });
    seen.add(digest);
    hashed.push({ digest, leaf: digestLeaf(digest) });
  }
  // The library sorts leaves by hash as numbers; equal-length lower-case hex sorts the same way.
  hashed.sort((a, b) => (a.leaf < b.leaf ? -1 : a.leaf > b.leaf ? 1 : 0));
  const nodes = makeMerkleTree(hashed.map((h) => h.leaf));
  const leaves = hashed.map((h) => h.digest);
  return { root: nodes[0]!, leaves, index: new Map(leaves.map((d, i) => [d, i])), nodes };
}

export function proofFor(batch: Batch, digest: string): string[] {
  const i = batch.index.get(digest.toLowerCase());
  if (i === undefined) throw new EvidenceError("NOT_FOUND", "digest is not in the batch", { digest });
  // Leaf i of the sorted leaves sits at node `length - 1 - i` (the library's layout).
  return getProof(batch.nodes, batch.nodes.length - 1 - i);
}

/** Verifies that `digest` is a leaf of `root` under `proof` (pure, no chain access). */
export function verifyInclusion(root: string, digest: string, proof: readonly string[]): boolean {
  try {
    if (!DIGEST.test(digest)) return false;
    return processProof(digestLeaf(digest.toLowerCase()), [...proof]) === root;
  } catch {
    return false;
  }
}
