import { expect } from "chai";
import { AbiCoder, concat, id, Interface, Wallet } from "ethers";
import { EvidenceLedgerAbi, ParticipantRegistryAbi } from "../../src/chain/abi/index.js";
import { decodeRevert, findRevertData, revertOf, toChainError } from "../../src/chain/decode.js";
import { contractAt, deployCore } from "../../src/chain/deploy.js";
import { ChainError } from "../../src/chain/errors.js";
import { ChainRpc } from "../../src/chain/rpc.js";
import { ExitCode, exitCodeOf } from "../../src/errors.js";
import { chainError } from "../../src/evidence/contracts.js";
import { EvidenceError } from "../../src/evidence/errors.js";
import { createNetwork, type TestConnection } from "../helpers/network.js";

const coder = AbiCoder.defaultAbiCoder();
const errorString = (text: string) => concat([id("Error(string)").slice(0, 10), coder.encode(["string"], [text])]);
const panic = (code: number) => concat([id("Panic(uint256)").slice(0, 10), coder.encode(["uint256"], [code])]);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => null, (e: unknown) => e);
}

describe("the one revert-to-error mapper", () => {
  let connection: TestConnection;
  let ledgerAddress: string;
  let registryAddress: string;

  before(async () => {
    connection = await createNetwork();
    const [admin] = await connection.ethers.getSigners();
    ({ ledgerAddress, registryAddress } = await deployCore(admin!));
  });

  it("decodes the same revert alike from ethers and from the checked client", async () => {
    const [, outsider] = await connection.ethers.getSigners();
    const ledger = contractAt(EvidenceLedgerAbi, ledgerAddress, outsider!);
    const root = `0x${"ab".repeat(32)}`;
    const viaEthers = toChainError("anchorBatch", await failure(ledger.anchorBatch(root, 1, 0)));
    const rpc = new ChainRpc(connection.provider);
    const data = new Interface(EvidenceLedgerAbi).encodeFunctionData("anchorBatch", [root, 1, 0]);
    const viaRpc = toChainError("anchorBatch", await failure(rpc.call({ from: outsider!.address, to: ledgerAddress, data }, "latest")));
    for (const mapped of [viaEthers, viaRpc]) {
      expect(mapped).to.be.instanceOf(ChainError).with.property("code", "REVERTED");
      expect(mapped.details.error).to.equal("AccessControlUnauthorizedAccount");
      expect((mapped.details.args as string[])[0]).to.equal(outsider!.address);
      expect(mapped.message).to.equal("anchorBatch reverted with AccessControlUnauthorizedAccount");
      expect(exitCodeOf(mapped)).to.equal(ExitCode.Refused);
    }
    expect(viaEthers.details).to.deep.equal(viaRpc.details);
  });

  it("decodes Error(string) and Panic, which the per-contract decoders of the evidence layer could not", () => {
    const nested = { code: "CALL_EXCEPTION", info: { error: { data: { data: errorString("not allowed") } } } };
    expect(revertOf(nested)).to.include({ name: "Error", signature: "Error(string)" });
    expect(revertOf(nested)!.args).to.deep.equal(["not allowed"]);
    const rpcPanic = new ChainError("RPC_ERROR", "eth_call: reverted", { rpcCode: 3, rpcMessage: "execution reverted", rpcData: panic(0x11) });
    const mapped = toChainError("claim", rpcPanic);
    expect(mapped.code).to.equal("REVERTED");
    expect(mapped.details).to.include({ error: "Panic", signature: "Panic(uint256)" });
    expect(mapped.details.args).to.deep.equal(["17"]);
    const wrapped = chainError("anchor", nested);
    expect(wrapped).to.be.instanceOf(EvidenceError).with.property("code", "CHAIN");
    expect(wrapped.details.error).to.equal("Error");
    expect(wrapped.cause).to.be.instanceOf(ChainError);
    expect(exitCodeOf(wrapped)).to.equal(ExitCode.Refused);
  });

  it("keeps undecodable revert data instead of guessing", () => {
    // A known selector (EvidenceAlreadyRecorded(bytes32)) with its argument cut off.
    const truncated = new Interface(EvidenceLedgerAbi).getError("EvidenceAlreadyRecorded")!.selector + "00";
    const mapped = toChainError("record", { code: "CALL_EXCEPTION", data: truncated });
    expect(mapped.code).to.equal("REVERTED");
    expect(mapped.details.error).to.equal(null);
    expect(mapped.details.data).to.equal(truncated);
    expect(decodeRevert("0xdeadbeef", new Interface([])).name).to.equal(null);
    expect(findRevertData({ error: { error: { data: "0x12" } } })).to.equal(undefined);
  });

  it("tells a node or transport failure from a revert", () => {
    const unavailable = new ChainError("RPC_UNAVAILABLE", "eth_call: no answer");
    expect(toChainError("read", unavailable)).to.equal(unavailable);
    expect(revertOf(unavailable)).to.equal(null);
    const network = toChainError("read", { code: "NETWORK_ERROR", message: "could not detect network" });
    expect(network.code).to.equal("RPC_UNAVAILABLE");
    expect(exitCodeOf(network)).to.equal(ExitCode.Unavailable);
    const limit = toChainError("read", { code: -32005, message: "limit exceeded" });
    expect(limit.code).to.equal("RPC_ERROR");
    const evidence = chainError("read", unavailable);
    expect(evidence.details.error).to.equal("RPC_UNAVAILABLE");
    expect(exitCodeOf(evidence)).to.equal(ExitCode.Unavailable);
  });

  it("decodes the errors of every contract, whichever contract the call went to", async () => {
    const [admin] = await connection.ethers.getSigners();
    // A registry error met through the evidence layer's view of the registry.
    const registry = contractAt(ParticipantRegistryAbi, registryAddress, admin!);
    const unknownKey = Wallet.createRandom().address;
    const mapped = chainError("signingKey", await failure(registry.signingKey(unknownKey)));
    expect(mapped.details.error).to.equal("RegistryUnknownKey");
  });
});
