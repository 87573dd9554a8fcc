import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { ABI_DIR, ABI_MODULE_SOURCES, loadArtifact, renderAbiModules } from "../../src/chain/artifacts.js";
import * as abi from "../../src/chain/abi/index.js";
import { ChainError } from "../../src/chain/errors.js";

describe("the committed ABI modules", () => {
  it("match the freshly compiled artifacts (run `npm run abi` after a contract change)", () => {
    const expected = renderAbiModules();
    const committed = readdirSync(ABI_DIR).filter((f) => f.endsWith(".ts")).sort();
    expect(committed).to.deep.equal([...expected.keys()].sort());
    for (const [file, text] of expected) {
      expect(readFileSync(`${ABI_DIR}${file}`, "utf8") === text, `src/chain/abi/${file} is stale: run \`npm run abi\``).to.equal(true);
    }
  });

  it("export the ABI and creation bytecode of every deployable contract", () => {
    const exports = abi as Record<string, unknown>;
    for (const { name, file } of ABI_MODULE_SOURCES) {
      const artifact = loadArtifact(name, file);
      expect(exports[`${name}Abi`]).to.deep.equal(artifact.abi);
      expect(exports[`${name}Bytecode`]).to.equal(artifact.bytecode);
      expect(artifact.bytecode).to.match(/^0x([0-9a-f]{2})+$/);
    }
  });

  it("refuse a missing artifact with a chain-layer NOT_FOUND", () => {
    expect(() => loadArtifact("NoSuchContract")).to.throw(ChainError).with.property("code", "NOT_FOUND");
  });
});
