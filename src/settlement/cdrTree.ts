/**
 * The CDR tree of a claim: an OpenZeppelin StandardMerkleTree over `(cdrDigest, amount)` leaves,
 * leaf types `["bytes32","uint256"]`, leaf = keccak256(keccak256(abi.encode(cdrDigest, amount)))
 * as `RoamingSettlement.cdrLeaf` computes it. Amounts travel as decimal strings so a dump is JSON.
 * Also the period arithmetic: a CDR belongs to period floor(end / periodSeconds).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, keccak256 } from "ethers";

export const CDR_LEAF_ENCODING: readonly string[] = ["bytes32", "uint256"];
export const MAX_PERIOD = 2 ** 32 - 1;

export type CdrLeafValue = [digest: string, amount: string];
export type CdrTree = StandardMerkleTree<CdrLeafValue>;
export type CdrTreeDump = ReturnType<CdrTree["dump"]>;

export interface CdrLeaf {
  /** EIP-712 digest of the CDR message (lower-case hex). */
  digest: string;
  amount: bigint;
}

/** The tree of `leaves` (in the given order; the tree sorts its leaves by hash). */
export function buildCdrTree(leaves: readonly CdrLeaf[]): CdrTree {
  if (leaves.length === 0) throw new RangeError("a CDR tree needs at least one leaf");
  return StandardMerkleTree.of(leaves.map((l) => [l.digest.toLowerCase(), l.amount.toString(10)] as CdrLeafValue), [...CDR_LEAF_ENCODING]);
}

/** The leaf hash of `(digest, amount)`, computed with ethers (a second implementation for parity checks). */
export function cdrLeafHash(digest: string, amount: bigint): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [digest, amount])));
}

/** A CDR tree dump loaded and checked: every leaf of the tree has its value, and the root is `cdrRoot`. */
export type LoadedTree =
  | { ok: true; tree: CdrTree; leaves: CdrLeaf[] }
  /** The dump is valid and has the root, but hides leaves: `leaves` are the ones it shows. */
  | { ok: false; problem: "incomplete"; tree: CdrTree; leaves: CdrLeaf[] }
  | { ok: false; problem: "invalid" | "wrong_root"; detail: string };

/** Loads a claim package's tree dump (untrusted JSON) and checks it against the claimed root. */
export function loadCdrTree(dump: unknown, cdrRoot: string): LoadedTree {
  let tree: CdrTree;
  try {
    const d = dump as CdrTreeDump;
    if (!Array.isArray(d?.leafEncoding) || d.leafEncoding.join(",") !== CDR_LEAF_ENCODING.join(",")) {
      return { ok: false, problem: "invalid", detail: "leaf encoding is not [bytes32, uint256]" };
    }
    tree = StandardMerkleTree.load<CdrLeafValue>(d); // checks every value's hash and the tree's inner nodes
  } catch (error) {
    return { ok: false, problem: "invalid", detail: (error as Error).message };
  }
  if (tree.root.toLowerCase() !== cdrRoot.toLowerCase()) return { ok: false, problem: "wrong_root", detail: tree.root };
  const { tree: nodes, values } = tree.dump();
  const leafCount = (nodes.length + 1) / 2;
  const indices = new Set(values.map((v) => v.treeIndex));
  const leaves: CdrLeaf[] = [];
  for (const [, [digest, amount]] of tree.entries()) {
    if (typeof digest !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(digest)) {
      return { ok: false, problem: "invalid", detail: "a leaf digest is not 32-byte hex" };
    }
    let value: bigint;
    try {
      value = BigInt(amount);
    } catch {
      return { ok: false, problem: "invalid", detail: "a leaf amount is not an integer" };
    }
    leaves.push({ digest: digest.toLowerCase(), amount: value });
  }
  const inLeafRange = values.every((v) => v.treeIndex >= leafCount - 1 && v.treeIndex < nodes.length);
  if (!inLeafRange) return { ok: false, problem: "invalid", detail: "a value sits at an inner node" };
  if (indices.size !== leafCount || values.length !== leafCount) return { ok: false, problem: "incomplete", tree, leaves };
  return { ok: true, tree, leaves };
}

/** The settlement period of a CDR that ended at `end` (seconds). */
export function periodOfEnd(end: bigint, periodSeconds: number): number {
  const p = end / BigInt(periodSeconds);
  return p > BigInt(MAX_PERIOD) ? -1 : Number(p);
}

/** First second after `period`. */
export function periodEnd(period: number, periodSeconds: number): number {
  return (period + 1) * periodSeconds;
}
