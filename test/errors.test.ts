import { expect } from "chai";
import { ChainError, CHAIN_EXIT_CODES } from "../src/chain/errors.js";
import { ChargingError, CHARGING_EXIT_CODES } from "../src/charging/errors.js";
import { DerError } from "../src/charging/ocmf/der.js";
import { UsageError as CliUsageError } from "../src/cli/args.js";
import {
  CRYPTO_EXIT_CODES, CryptoAuthError, CryptoError, CryptoFailureError, CryptoInputError,
} from "../src/crypto/errors.js";
import { CodedError, ExitCode, exitCodeName, exitCodeOf, UsageError, type ExitCodeTable } from "../src/errors.js";
import { EvidenceError, EVIDENCE_EXIT_CODES } from "../src/evidence/errors.js";
import { PROTOCOL_EXIT_CODES, ProtocolError, toProtocolError } from "../src/protocol/errors.js";
import { SettlementError, SETTLEMENT_EXIT_CODES } from "../src/settlement/errors.js";

const TABLE_VALUES = new Set<number>(Object.values(ExitCode));

/** Every code of `table`, thrown through `make`, maps to the table's exit code. */
function checkTable<Code extends string>(table: ExitCodeTable<Code>, make: (code: Code) => CodedError<Code>): void {
  for (const [code, rule] of Object.entries(table) as [Code, ExitCodeTable<Code>[Code]][]) {
    const error = make(code);
    const expected = typeof rule === "number" ? rule : rule.causeOr;
    expect(exitCodeOf(error), `${error.name} ${code}`).to.equal(expected);
    expect(TABLE_VALUES.has(exitCodeOf(error))).to.equal(true);
  }
}

describe("the error model and the exit-code table", () => {
  it("holds the documented table", () => {
    expect(ExitCode).to.deep.equal({ Ok: 0, Negative: 1, Usage: 2, Unavailable: 3, Refused: 4, NotFound: 5, Internal: 10 });
    expect(exitCodeName(ExitCode.Unavailable)).to.equal("Unavailable");
    expect(() => exitCodeName(7 as ExitCode)).to.throw(RangeError);
  });

  it("gives every code of every class its place in the table", () => {
    checkTable(CHAIN_EXIT_CODES, (c) => new ChainError(c, "x"));
    checkTable(CHARGING_EXIT_CODES, (c) => new ChargingError(c, "x"));
    checkTable(EVIDENCE_EXIT_CODES, (c) => new EvidenceError(c, "x"));
    checkTable(SETTLEMENT_EXIT_CODES, (c) => new SettlementError(c, "x"));
    checkTable(PROTOCOL_EXIT_CODES, (c) => new ProtocolError(c, "x"));
    checkTable(CRYPTO_EXIT_CODES, (c) => {
      if (c === "CRYPTO") return new CryptoError("x");
      if (c === "DECRYPTION_FAILED") return new CryptoAuthError(c, "x");
      if (["SELF_CHECK_FAILED", "BACKEND_FAILURE", "NONCE_EXHAUSTED", "RANDOMNESS"].includes(c)) {
        return new CryptoFailureError(c as ConstructorParameters<typeof CryptoFailureError>[0], "x");
      }
      return new CryptoInputError(c as ConstructorParameters<typeof CryptoInputError>[0], "x");
    });
  });

  it("maps the typical failures of a command to the table", () => {
    expect(exitCodeOf(new ChainError("RPC_UNAVAILABLE", "no answer"))).to.equal(ExitCode.Unavailable);
    expect(exitCodeOf(new ChainError("REVERTED", "reverted", { error: "SettlementClaimNotPending" }))).to.equal(ExitCode.Refused);
    expect(exitCodeOf(new EvidenceError("BAD_SIGNATURE", "bad"))).to.equal(ExitCode.Negative);
    expect(exitCodeOf(new EvidenceError("NOT_FOUND", "unknown session"))).to.equal(ExitCode.NotFound);
    expect(exitCodeOf(new SettlementError("CONFIG_INVALID", "bad config"))).to.equal(ExitCode.Usage);
    expect(exitCodeOf(new UsageError("--rpc must be a URL"))).to.equal(ExitCode.Usage);
    expect(exitCodeOf(new DerError("truncated"))).to.equal(ExitCode.Usage);
    expect(exitCodeOf(new TypeError("x is undefined"))).to.equal(ExitCode.Internal);
    expect(exitCodeOf("a string")).to.equal(ExitCode.Internal);
    expect(exitCodeOf(undefined)).to.equal(ExitCode.Internal);
    expect(exitCodeOf(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).to.equal(ExitCode.Unavailable);
    expect(exitCodeOf(Object.assign(new Error("no such file"), { code: "ENOENT" }))).to.equal(ExitCode.NotFound);
    expect(exitCodeOf(Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION" }))).to.equal(ExitCode.Refused);
    expect(exitCodeOf(Object.assign(new Error("odd"), { code: "SOMETHING_ELSE" }))).to.equal(ExitCode.Internal);
  });

  it("takes a wrapping error's exit code from its cause", () => {
    const unreachable = new ChainError("RPC_UNAVAILABLE", "no answer");
    expect(exitCodeOf(new EvidenceError("CHAIN", "anchoring failed", {}, unreachable))).to.equal(ExitCode.Unavailable);
    expect(exitCodeOf(new ProtocolError("CHAIN", "reading the dispute failed", { cause: unreachable }))).to.equal(ExitCode.Unavailable);
    const reverted = Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION" });
    expect(exitCodeOf(new ProtocolError("CHAIN", "recording failed", { cause: reverted }))).to.equal(ExitCode.Refused);
    // Without a classifiable cause the code's own fallback holds.
    expect(exitCodeOf(new EvidenceError("CHAIN", "anchoring failed", {}, new Error("?")))).to.equal(ExitCode.Refused);
    expect(exitCodeOf(new ProtocolError("CHAIN", "failed"))).to.equal(ExitCode.Unavailable);
    expect(exitCodeOf(new SettlementError("PACKAGE", "cannot read", {}, Object.assign(new Error("x"), { code: "ENOENT" })))).to.equal(ExitCode.NotFound);
  });

  it("keeps the names, constructor signatures and instanceof of every class", () => {
    const input = new CryptoInputError("INVALID_LENGTH", "bad length", { details: "expected 32 bytes" });
    expect(input).to.be.instanceOf(CryptoError).and.instanceOf(CodedError).and.instanceOf(Error);
    expect(input.name).to.equal("CryptoInputError");
    expect(input.code).to.equal("INVALID_LENGTH");
    expect(input.shortMessage).to.equal("bad length");
    expect(input.message).to.equal("bad length\n\nDetails: expected 32 bytes");
    expect(input.explanation).to.equal("expected 32 bytes");
    expect(input.details).to.deep.equal({ explanation: "expected 32 bytes" });

    const cause = new Error("below");
    const protocol = new ProtocolError("REPLAYED", "seen before", { details: { nonce: 1 }, cause });
    expect(protocol).to.be.instanceOf(CodedError);
    expect(protocol.name).to.equal("ProtocolError");
    expect(protocol.message).to.equal("REPLAYED: seen before");
    expect(protocol.shortMessage).to.equal("seen before");
    expect(protocol.details).to.deep.equal({ nonce: 1 });
    expect(protocol.cause).to.equal(cause);
    expect(toProtocolError(input).code).to.equal("MALFORMED");

    const usage = new CliUsageError("--seed must be a number");
    expect(usage).to.be.instanceOf(UsageError).and.instanceOf(CodedError);
    expect(usage.name).to.equal("UsageError");
    expect(usage.code).to.equal("USAGE");
    expect(new DerError("truncated")).to.be.instanceOf(CodedError).and.property("name", "DerError");
    expect(new ChainError("DB", "x")).to.not.be.instanceOf(EvidenceError);
  });
});
