/**
 * Root-level audit: after the whole suite, every event emitted on every chain the tests created
 * is decoded with the project's ABIs and checked to hold no plaintext identifier in any
 * recognisable form (text, UTF-8 bytes, bytes32 string, unsalted keccak256 or sha256).
 */
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { auditChain, auditValues } from "./helpers/eventAudit.js";
import { PLAINTEXT_IDS, saltedId } from "./helpers/identifiers.js";
import { createdConnections } from "./helpers/network.js";

describe("Event privacy audit", () => {
  it("should flag an identifier in every recognisable form, and pass salted ones", () => {
    const vin = PLAINTEXT_IDS[0];
    expect(auditValues("E", [vin])).to.not.have.lengthOf(0);
    expect(auditValues("E", [keccak256(toUtf8Bytes(vin))])).to.not.have.lengthOf(0);
    expect(auditValues("E", [[1n, "0x" + Buffer.from(vin).toString("hex")]])).to.not.have.lengthOf(0);
    expect(auditValues("E", [saltedId(vin), 5n, "0x000000000000000000000000000000000000dEaD"])).to.deep.equal([]);
  });
});

after("every event emitted by the suite holds no plaintext identifier", async function () {
  this.timeout(300_000);
  let logs = 0;
  const findings: string[] = [];
  for (const connection of createdConnections()) {
    const result = await auditChain(connection.ethers.provider);
    logs += result.logs;
    findings.push(...result.findings.map((x) => `block ${x.block} ${x.event}: ${x.problem}`));
  }
  expect(findings, findings.slice(0, 10).join("\n")).to.deep.equal([]);
  expect(logs, "the audit saw no event at all").to.be.greaterThan(0);
  console.log(`    event audit: ${logs} events on ${createdConnections().length} chains, no plaintext identifier`);
});
