/**
 * `withoutRunSpecific` blanks exactly the fields docs/report.md lists as run-specific: two reports
 * that differ only there compare equal after it, and a change anywhere else still shows.
 */
import { expect } from "chai";
import { chargingDayEnd, withoutRunSpecific } from "../../src/report/runSpecific.js";
import type { DayReport } from "../../src/report/schema.js";
import { sampleReport } from "./fixtures/sampleReport.js";

/** The sample with a day's phases: the charging day, then the bots' settlement, then the escrow opening. */
function dayLike(): DayReport {
  const r = sampleReport();
  r.timeline = [
    { at: "2026-06-15T07:00:00.000Z", phase: "charging", text: "schedules confirmed" },
    { at: "2026-06-15T19:00:00.000Z", phase: "settlement", actor: "sup-west", text: "West bills a session a second time" },
    { at: "2026-06-15T22:00:00.000Z", phase: "evidence", text: "evidence anchored" },
    { at: "2026-06-15T22:00:05.000Z", phase: "settlement", text: "North claims 5 for 1 CDRs from South (claim 42)" },
    { at: "2026-06-15T22:00:07.000Z", phase: "settlement", text: "North asks to withdraw 5 from 2026-06-21T22:00:07.000Z" },
    { at: "2026-06-21T23:00:00.000Z", phase: "escrow", text: "escrow opened" },
  ];
  r.gas = [
    { operation: "acceptClaims", count: 3, total: "150000", mean: "50000" },
    { operation: "submitClaim", count: 1, total: "150000", mean: "150000" },
    { operation: "withdraw", count: 1, total: "50000", mean: "50000" },
  ];
  r.dispute.evidence = [
    { ...r.dispute.evidence[0]!, at: "2026-06-15T19:00:00.000Z" },
    { ...r.dispute.evidence[0]!, type: "Anchor", at: "2026-06-15T22:00:04.000Z" },
  ];
  return r;
}

const same = (a: DayReport, b: DayReport) => JSON.stringify(withoutRunSpecific(a)) === JSON.stringify(withoutRunSpecific(b));

describe("report: its run-specific fields", function () {
  it("should take the charging day's end from every phase but the settlement and the escrow opening", function () {
    expect(chargingDayEnd(dayLike())).to.equal("2026-06-15T22:00:00.000Z");
  });

  it("should compare equal two reports that differ only in the run-specific fields", function () {
    const a = dayLike();
    const b = dayLike();
    b.run.startedAt = "2027-01-01T00:00:00.000Z";
    b.run.wallSeconds = a.run.wallSeconds + 12;
    b.settlement.claims[0]!.claimId = "99";
    b.dispute.claimId = "99";
    // The bots' entries: other seconds, other claim ids and ready times, another order.
    b.timeline[3] = { at: "2026-06-15T22:00:09.000Z", phase: "settlement", text: "North asks to withdraw 5 from 2026-06-21T22:00:09.000Z" };
    b.timeline[4] = { at: "2026-06-15T22:00:11.000Z", phase: "settlement", text: "North claims 5 for 1 CDRs from South (claim 43)" };
    b.gas[0] = { operation: "acceptClaims", count: 4, total: "200016", mean: "50004" }; // accepted in one tick more
    b.gas[1] = { ...b.gas[1]!, total: "150012", mean: "150012" };
    b.dispute.evidence[1]!.at = "2026-06-15T22:00:06.000Z";
    expect(same(a, b)).to.equal(true);
  });

  it("should keep every other difference", function () {
    const changes: ((r: DayReport) => void)[] = [
      (r) => (r.run.seed += 1),
      (r) => (r.timeline[0]!.at = "2026-06-15T07:00:01.000Z"), // the charging day's time
      (r) => (r.timeline[1]!.at = "2026-06-15T19:00:01.000Z"), // a settlement entry of the charging day
      (r) => (r.timeline[3]!.text = "North claims 6 for 1 CDRs from South (claim 42)"), // a bot's amount
      (r) => r.timeline.splice(4, 1), // a bot's entry more or less
      (r) => (r.timeline[5]!.at = "2026-06-21T23:00:01.000Z"), // the escrow opening's time
      (r) => (r.gas[1]!.count += 1), // one claim transaction more
      (r) => (r.gas[2]!.total = "50001"), // gas the claim order does not change
      (r) => (r.settlement.claims[0]!.paid = "1"),
      (r) => (r.dispute.evidence[0]!.at = "2026-06-15T19:00:01.000Z"), // evidence of the charging day
      (r) => (r.dispute.evidence[1]!.verdict = "invalid"),
    ];
    for (const [i, change] of changes.entries()) {
      const b = dayLike();
      change(b);
      expect(same(dayLike(), b), `change ${i}`).to.equal(false);
    }
  });
});
