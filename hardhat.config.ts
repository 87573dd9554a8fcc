import { createRequire } from "node:module";
import { defineConfig, configVariable } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";

const require = createRequire(import.meta.url);

/** solcjs from npm, so no compiler is ever downloaded. */
const SOLC_VERSION = (require("solc/package.json") as { version: string }).version;

export default defineConfig({
  plugins: [hardhatEthers, hardhatMocha, hardhatEthersChaiMatchers, hardhatNetworkHelpers],
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: {
          evmVersion: "prague",
          optimizer: { enabled: true, runs: 10_000 },
        },
      },
    ],
  },
  paths: {
    tests: { mocha: "test", solidity: "test/solidity" },
  },
  test: {
    solidity: { fuzz: { runs: 256 } },
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
