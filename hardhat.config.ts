import { createRequire } from "node:module";
import { defineConfig, configVariable } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";

const require = createRequire(import.meta.url);

/** solcjs from npm, so no compiler is ever downloaded. */
const SOLC_VERSION = (require("solc/package.json") as { version: string }).version;
const SOLC_PATH = require.resolve("solc/soljson.js");

/** A compiler setting of the pinned solcjs, optimised for `runs` calls per deployment. */
function compiler(runs: number) {
  return { version: SOLC_VERSION, path: SOLC_PATH, settings: { evmVersion: "prague", optimizer: { enabled: true, runs } } };
}

export default defineConfig({
  plugins: [hardhatEthers, hardhatMocha, hardhatEthersChaiMatchers, hardhatNetworkHelpers],
  solidity: {
    compilers: [compiler(10_000)],
    // The settlement contract's rules outgrow the 24,576-byte limit when inlined for 10,000 runs; a
    // low runs value keeps it within with headroom, at a small cost per call
    // (test/settlement/bytecodeBudget.test.ts holds every contract to its budget).
    // The settlement tests compile the contract again as a dependency of theirs: same setting.
    overrides: Object.fromEntries(
      [
        "contracts/RoamingSettlement.sol",
        "test/solidity/settlement/SettlementTestBase.sol",
        "test/solidity/settlement/RoamingSettlementHandler.sol",
        "test/solidity/settlement/RoamingSettlementInvariant.t.sol",
        "test/solidity/settlement/RoamingSettlementFuzz.t.sol",
      ].map((source) => [source, compiler(200)]),
    ),
  },
  paths: {
    tests: { mocha: "test", solidity: "test/solidity" },
  },
  test: {
    // Invariant handlers must not hide a reverting call: a revert fails the run.
    solidity: { fuzz: { runs: 256 }, invariant: { failOnRevert: true } },
  },
  networks: {
    // Any EVM JSON-RPC endpoint whose node manages the accounts (a Hardhat node, Anvil, a dev chain).
    remote: {
      type: "http",
      url: configVariable("RPC_URL"),
      accounts: "remote",
    },
  },
});
