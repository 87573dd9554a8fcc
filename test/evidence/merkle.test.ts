import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { hexlify } from "ethers";
import fc from "fast-check";
import { EvidenceError } from "../../src/evidence/errors.js";
import { buildBatch, proofFor, verifyInclusion } from "../../src/evidence/merkle.js";

const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
/** Distinct digests (by value, whatever their case), some written in upper case. */
const digests = fc
  .uniqueArray(digest, { minLength: 1, maxLength: 70 })
  .chain((ds) => fc.tuple(fc.constant(ds), fc.array(fc.boolean(), { minLength: ds.length, maxLength: ds.length })))
  .map(([ds, upper]) => ds.map((d, i) => (upper[i] ? `0x${d.slice(2).toUpperCase()}` : d)));

/** The construction the contracts and the offline verifier check: OpenZeppelin's StandardMerkleTree of bytes32 leaves. */
function reference(ds: readonly string[]) {
  const tree = StandardMerkleTree.of(ds.map((d) => [d.toLowerCase()] as [string]), ["bytes32"]);
  const order = [...tree.dump().values].sort((a, b) => b.treeIndex - a.treeIndex).map((v) => v.value[0]);
  const proofs = new Map([...tree.entries()].map(([i, [d]]) => [d, tree.getProof(i)]));
  return { root: tree.root, order, proofs };
}

describe("Evidence Merkle batches", () => {
  it("should give the same root, leaf order and proofs as StandardMerkleTree on random batches (property)", () => {
    fc.assert(
      fc.property(digests, (ds) => {
        const batch = buildBatch(ds);
        const ref = reference(ds);
        expect(batch.root).to.equal(ref.root);
        expect(batch.leaves).to.deep.equal(ref.order);
        for (const d of ds) {
          const proof = proofFor(batch, d);
          expect(proof).to.deep.equal(ref.proofs.get(d.toLowerCase()));
          expect(verifyInclusion(batch.root, d, proof)).to.equal(true);
          expect(StandardMerkleTree.verify(batch.root, ["bytes32"], [d.toLowerCase()], proof)).to.equal(true);
        }
      }),
      { numRuns: 300, seed: 20_261_201 },
    );
  });

  it("should refuse what StandardMerkleTree.verify refuses: another digest, a changed proof, another root (property)", () => {
    fc.assert(
      fc.property(digests, digest, fc.nat(), (ds, other, pick) => {
        const batch = buildBatch(ds);
        const d = ds[pick % ds.length]!;
        const proof = proofFor(batch, d);
        const verifyBoth = (root: string, leaf: string, p: string[]) => {
          const ours = verifyInclusion(root, leaf, p);
          expect(ours).to.equal(StandardMerkleTree.verify(root, ["bytes32"], [leaf.toLowerCase()], p));
          return ours;
        };
        if (!ds.some((x) => x.toLowerCase() === other)) expect(verifyBoth(batch.root, other, proof)).to.equal(false);
        if (proof.length > 0) {
          const changed = [...proof];
          changed[pick % changed.length] = other;
          expect(verifyBoth(batch.root, d, changed)).to.equal(false);
        }
        expect(verifyBoth(other, d, proof)).to.equal(other === batch.root);
      }),
      { numRuns: 300, seed: 20_261_202 },
    );
  });

  it("should refuse malformed input with a typed error, and a malformed proof or digest with false", () => {
    const bad = (f: () => unknown, message: RegExp) => {
      expect(f).to.throw(EvidenceError, message);
    };
    const d = `0x${"ab".repeat(32)}`;
    bad(() => buildBatch([]), /at least one digest/);
    bad(() => buildBatch([`0x${"ab".repeat(31)}`]), /32-byte hex/);
    bad(() => buildBatch([d, d.toUpperCase().replace("0X", "0x")]), /duplicate digest/);
    const batch = buildBatch([d, `0x${"cd".repeat(32)}`]);
    bad(() => proofFor(batch, `0x${"ef".repeat(32)}`), /not in the batch/);
    expect(verifyInclusion(batch.root, d, ["0x1234"])).to.equal(false);
    expect(verifyInclusion(batch.root, "0x1234", proofFor(batch, d))).to.equal(false);
    expect(verifyInclusion(batch.root, d, proofFor(batch, d))).to.equal(true);
  });
});
