/**
 * The TSO's ancillary-service event of the small day, checked from the evidence the work
 * aggregator kept rather than from the day's own figures: the schedules it signed before and at
 * the event give the change of the fleet's demand over the window (what the EVSEs execute), which
 * must be the command asked (or the report names the shortfall and its reason); no vehicle moves
 * against the command; the incentives go exactly to the pseudonyms whose schedules delivered, each
 * for its own energy; the report and its page say so with signs and units.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { PaymentBook, PaymentFlow } from "../../src/charging/billing.js";
import { EvidenceStore } from "../../src/evidence/store.js";
import type { SignedMessage } from "../../src/evidence/messages.js";
import { describeAncillary } from "../../src/report/format.js";
import type { DayReport } from "../../src/report/schema.js";
import { ANCILLARY, incentiveOf } from "../../src/scenario/day/ancillary.js";
import { SLOT_SECONDS } from "../../src/scenario/day/clock.js";
import { SMALL, runSmallDay } from "./smallDay.js";

/** What the work aggregator's store shows of the event: per session, the change of its schedule over the window, W per slot. */
function changesFromEvidence(report: DayReport): { changeW: Map<string, number[]>; pseudonymOf: Map<string, string>; paid: Map<string, bigint> } {
  const work = report.parties.aggregators.find((a) => a.kind === "work")!;
  const store = EvidenceStore.open(report.evidence.stores.find((s) => s.party === work.id)!.path, { create: false });
  try {
    const announced = BigInt(Math.floor(new Date(report.run.dayStart).getTime() / 1000) + ANCILLARY.announceSlot * SLOT_SECONDS);
    const bySession = new Map<string, SignedMessage<"Schedule">[]>();
    for (let cursor = 0; ; ) {
      const page = store.messagesOfType("Schedule", cursor, 500);
      if (page.messages.length === 0) break;
      for (const m of page.messages) bySession.set(m.header.sessionId, [...(bySession.get(m.header.sessionId) ?? []), m]);
      cursor = page.cursor;
    }
    const changeW = new Map<string, number[]>();
    const pseudonymOf = new Map<string, string>();
    for (const [session, schedules] of bySession) {
      const at = schedules.filter((m) => m.header.issuedAt === announced);
      if (at.length === 0) continue;
      expect(at, `one revision at the event for ${session}`).to.have.length(1);
      const before = schedules.filter((m) => m.header.issuedAt < announced).sort((a, b) => a.body.revision - b.body.revision).at(-1)!;
      expect(at[0]!.body.revision, session).to.equal(before.body.revision + 1);
      const window = Array.from({ length: ANCILLARY.toSlot - ANCILLARY.fromSlot }, (_, k) => ANCILLARY.fromSlot + k);
      changeW.set(session, window.map((t) => at[0]!.body.powerW[t]! - before.body.powerW[t]!));
      pseudonymOf.set(session, at[0]!.header.receiver!.toLowerCase());
    }
    const paid = new Map<string, bigint>();
    for (const p of PaymentBook.paymentsIn(store)) {
      expect(p.body.flow).to.equal(PaymentFlow.AggregatorToUser);
      const who = p.header.receiver!.toLowerCase();
      expect(paid.has(who), `one incentive per pseudonym (${who})`).to.equal(false);
      paid.set(who, p.body.amount);
    }
    return { changeW, pseudonymOf, paid };
  } finally {
    store.close();
  }
}

describe("Scenario: the TSO's ancillary-service event of the day", function () {
  this.timeout(600_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  // Seed 7 is the shared small day; at seed 3 two pseudonyms deliver; at seed 4 the fleet cannot take the command without missing targets.
  for (const seed of [SMALL.seed, 3, 4]) {
    it(`should change the work fleet's demand by what the TSO asked, measured from the signed schedules, and pay each pseudonym its own delivery (seed ${seed})`, async function () {
      const dir = mkdtempSync(join(tmpdir(), "v2g-day-ancillary-"));
      dirs.push(dir);
      const report = await runSmallDay(dir, undefined, { seed });
      const a = report.ancillary;
      const { changeW, pseudonymOf, paid } = changesFromEvidence(report);
      const slots = ANCILLARY.toSlot - ANCILLARY.fromSlot;
      const direction = Math.sign(a.deltaKw);
      // The aggregate change in every slot of the window, from the schedules the EVSEs execute.
      const aggregateW = Array.from({ length: slots }, (_, k) => [...changeW.values()].reduce((s, c) => s + c[k]!, 0));
      const committedKw = a.deltaKw - direction * a.shortfallKw;
      expect(a.shortfallKw).to.be.at.least(0);
      if (a.shortfallKw === 0) expect(a.shortfallReason).to.equal(null);
      else expect(a.shortfallReason).to.be.oneOf(["targets", "limits"]);
      // Each slot to the W of each revised schedule (the plans are rounded to the W once).
      for (const [k, w] of aggregateW.entries()) expect(Math.abs(w / 1000 - committedKw), `slot ${ANCILLARY.fromSlot + k}: ${w} W`).to.be.at.most(0.0005 * changeW.size + 1e-9);
      expect(a.deliveredKw).to.equal(Math.round(aggregateW.reduce((s, w) => s + w, 0) / slots) / 1000);
      expect(Math.sign(a.deliveredKw)).to.equal(a.shortfallKw === Math.abs(a.deltaKw) ? 0 : direction);
      // No vehicle moves against the command; the ones that moved with it are paid for their own energy, nobody else.
      const slotKwh = SLOT_SECONDS / 3600 / 1000;
      const owed = new Map<string, bigint>();
      for (const [session, change] of changeW) {
        for (const [k, w] of change.entries()) expect(direction * w, `${session} against the command in slot ${ANCILLARY.fromSlot + k}`).to.be.at.least(0);
        const own = direction * change.reduce((s, w) => s + w, 0) * slotKwh;
        if (own > 0 && incentiveOf(own) > 0n) owed.set(pseudonymOf.get(session)!, incentiveOf(own));
      }
      expect(paid).to.deep.equal(owed);
      expect(a.pseudonyms).to.equal(owed.size);
      expect(BigInt(a.incentive)).to.equal([...owed.values()].reduce((s, x) => s + x, 0n));
      // The words in the report: signed changes with units, the shortfall named.
      const line = report.timeline.find((e) => e.phase === "ancillary")!.text;
      expect(line).to.contain(`${a.deltaKw > 0 ? "+" : "−"}${Math.abs(a.deltaKw)} kW`);
      expect(describeAncillary(a)).to.contain(`asked ${a.deltaKw > 0 ? "+" : "−"}${Math.abs(a.deltaKw).toFixed(1)} kW`);
    });
  }
});
