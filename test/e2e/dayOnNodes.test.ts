/**
 * The day of V2G roaming, at small scale, against a separate `hardhat node` and against Anvil,
 * both started and stopped here: the same `runDay` the demo runs on the embedded network, with
 * the node's URL for the day and for the suppliers' settlement bots. The report must match its
 * schema, its money must add up, and the two nodes must agree on every amount (same seed).
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAnvil, startHardhatNode, type LocalNode } from "../../src/chain/localNode.js";
import { reportSchema, type DayReport } from "../../src/report/schema.js";
import { dayChainOf } from "../../src/scenario/day/chain.js";
import { DEFAULT_DAY, MIN_SCALE } from "../../src/scenario/day/options.js";
import { runDay } from "../../src/scenario/day/runDay.js";
import { settleDay } from "../../src/scenario/day/settlementStep.js";

const NODES = [
  { name: "a separate hardhat node", start: () => startHardhatNode() },
  { name: "Anvil", start: () => startAnvil() },
] as const;

/** The smallest day with three suppliers: roaming between every pair and a guest at a home charger. */
const SMALL_DAY = { ...DEFAULT_DAY, seed: 11, suppliers: 3, aggregators: MIN_SCALE.aggregators, vehicles: 3 * 2 + 2 };

/** What must not depend on the node: the money and the dispute (claims in any order: the bots race to submit). */
function money(r: DayReport) {
  return {
    claims: r.settlement.claims
      .map((c) => ({ host: c.host, home: c.home, cdrs: c.cdrs, amount: c.amount, paid: c.paid, status: c.status }))
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    net: r.settlement.net,
    dispute: { outcome: r.dispute.outcome, raisedBy: r.dispute.raisedBy, reason: r.dispute.reason, amountClaimed: r.dispute.amountClaimed, amountPaid: r.dispute.amountPaid },
  };
}

describe("end to end: the day on real nodes", function () {
  this.timeout(900_000);
  const reports = new Map<string, DayReport>();

  for (const n of NODES) {
    it(`should run the day on ${n.name}, its report matching the schema and its money adding up`, async () => {
      const out = mkdtempSync(join(tmpdir(), "day-on-node-"));
      let node: LocalNode | undefined;
      let close: (() => void) | undefined;
      try {
        node = await n.start();
        const chain = dayChainOf(node, node.kind);
        close = chain.close;
        const report = await runDay({ ...SMALL_DAY, outDir: out }, chain, settleDay);
        expect(() => reportSchema.parse(report)).not.to.throw();
        expect(report.run.network).to.deep.equal({ name: node.kind, chainId: node.chainId.toString() });
        expect(report.run.scale).to.deep.equal({ suppliers: 3, aggregators: SMALL_DAY.aggregators, vehicles: SMALL_DAY.vehicles });
        // Every supplier's net is what it received minus what it paid, and the nets cancel out.
        let total = 0n;
        for (const s of report.settlement.net) {
          expect(BigInt(s.net), s.supplier).to.equal(BigInt(s.received) - BigInt(s.paid));
          total += BigInt(s.net);
        }
        expect(total).to.equal(0n);
        expect(report.settlement.net).to.have.length(3);
        expect(report.settlement.claims.length).to.be.greaterThan(0);
        expect(report.dispute.outcome).to.equal("upheld");
        expect(report.escrowOpening.opened).to.equal(true);
        reports.set(n.name, report);
      } finally {
        close?.();
        await node?.stop();
        rmSync(out, { recursive: true, force: true });
      }
    });
  }

  it("should give the same claims, nets and dispute on both nodes", function () {
    const [a, b] = NODES.map((n) => reports.get(n.name));
    if (!a || !b) this.skip();
    expect(money(b!)).to.deep.equal(money(a!));
  });
});
