import { expect } from "chai";
import { runAuthentication } from "../../src/scenario/authentication.js";
import { evidenceFixture } from "../helpers/fixtures.js";
import { createNetwork } from "../helpers/network.js";

describe("Anonymous authentication scenario (the demo)", () => {
  it("should authenticate against the committed group, refuse a double authentication and anchor one acknowledgement", async () => {
    const connection = await createNetwork();
    const f = await evidenceFixture(connection);
    const lines: string[] = [];
    const result = await runAuthentication(
      {
        registry: f.registry,
        ledger: f.ledger,
        domain: f.domain,
        registrar: f.registrar,
        lagAccount: f.participants.aggregator,
        lagKey: f.keys.aggregator!,
        now: BigInt(await connection.networkHelpers.time.latest()),
        vehicles: 4,
      },
      (l) => lines.push(l),
    );
    expect(result.authenticated).to.equal(4);
    expect(result.refusedReplays).to.equal(1);
    expect(result.attributesSeen).to.deep.equal(["subscribers of supplier S_B"]);
    const anchor = await f.ledger.anchorOf(f.participants.aggregator.address, result.ackRoot);
    expect(anchor.submitter).to.equal(f.participants.aggregator.address);
    expect(lines.join("\n")).to.match(/DOUBLE_AUTHENTICATION/);
  });
});
