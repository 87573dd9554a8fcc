/**
 * Every deployable contract stays within its bytecode budget, chosen below the EIP-170 limit of
 * 24,576 bytes so that a change that would make a contract undeployable fails here first.
 * RoamingSettlement is compiled with 200 optimizer runs (hardhat.config.ts), which leaves it about 1 KB
 * under the limit; the others keep the project's 10,000 runs.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const EIP170_LIMIT = 24_576;
/** Deployed bytecode budgets, bytes. A new contract must be given one. */
const BUDGETS: Record<string, number> = {
  RoamingSettlement: 24_000,
  EvidenceLedger: 16_000,
  ParticipantRegistry: 12_000,
  EscrowOpenings: 8_000,
};

const ARTIFACTS = fileURLToPath(new URL("../../artifacts/contracts/", import.meta.url));

/** Deployed bytecode size of every contract compiled from `contracts/*.sol` (not test mocks or libraries). */
function deployedSizes(): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const dir of readdirSync(ARTIFACTS).filter((d) => d.endsWith(".sol"))) {
    const name = dir.slice(0, -4);
    const artifact = JSON.parse(readFileSync(`${ARTIFACTS}${dir}/${name}.json`, "utf8")) as { deployedBytecode: string };
    sizes[name] = (artifact.deployedBytecode.length - 2) / 2;
  }
  return sizes;
}

describe("bytecode budgets", () => {
  const sizes = deployedSizes();

  it("should know every deployable contract", () => {
    expect(Object.keys(sizes).sort()).to.deep.equal(Object.keys(BUDGETS).sort());
  });

  for (const [name, budget] of Object.entries(BUDGETS)) {
    it(`should keep ${name} within ${budget} bytes`, () => {
      expect(budget).to.be.lessThan(EIP170_LIMIT);
      expect(sizes[name], name).to.be.a("number").and.to.be.at.most(budget);
    });
  }
});
