import { expect } from "chai";
import { runEvidenceSession } from "../../src/scenario/evidenceSession.js";
import { createNetwork } from "../helpers/network.js";

describe("Evidence session scenario (the demo)", () => {
  it("should produce a bundle that verifies offline and against the chain, with a refusal", async () => {
    const { ethers, networkHelpers } = await createNetwork();
    const lines: string[] = [];
    const result = await runEvidenceSession(await ethers.getSigners(), (l) => lines.push(l), async (s) => {
      await networkHelpers.time.increase(s);
    });
    expect(result.verdicts.offline.ok, JSON.stringify(result.verdicts.offline.summary)).to.equal(true);
    expect(result.verdicts.online.ok).to.equal(true);
    expect(result.bundle.messages).to.have.length(5);
    expect(result.bundle.receipts).to.have.length(4);
    expect(result.bundle.refusals.map((r) => r.nroDigest)).to.deep.equal([result.refusedDigest]);
    expect(result.batches.every((b) => b.anchor !== null)).to.equal(true);
    expect(lines.join("\n")).to.match(/refusal recorded/);
  });
});
