/**
 * `runDay(options, chain, settle)`: a whole day of V2G roaming — the charging day (every step
 * through the real code and services), then the settlement (`settle`: the suppliers' bots, the
 * erroneous CDR and its dispute, the arbiter's ruling, netting, withdrawals), the escrow opening
 * for the recorded dispute, and the report (validated against its schema).
 */
import type { DayReport } from "../../report/schema.js";
import { runChargingDay, type ChargingDayOptions } from "./chargingDay.js";
import { DayError } from "./errors.js";
import { openDisputeEscrow } from "./escrow.js";
import { assembleReport } from "./report.js";
import type { SettleDay } from "./settlementStep.js";
import type { DayChain } from "./world.js";

export type RunDayOptions = ChargingDayOptions;

export async function runDay(options: RunDayOptions, chain: DayChain, settle: SettleDay): Promise<DayReport> {
  const charging = await runChargingDay(options, chain);
  try {
    const { day, services, auth, execution } = charging;
    const { progress, gas, timeline, contracts } = day;

    progress.phase("settlement");
    const settled = await settle(day);
    gas.addEntries(settled.gas);
    timeline.merge(settled.timeline);
    progress.done(`${settled.settlement.claims.length} claims, dispute ${settled.dispute.outcome}`);

    progress.phase("escrow opening");
    // The arbiters act at 01:00 on the day after the settlement has surely ended, a time fixed by
    // the settlement's rules: how many rounds of withdrawals the bots took does not show.
    day.clock.set((BigInt(settled.settledBy) / 86_400n + 1n) * 86_400n + 3_600n);
    await day.clock.syncChain(chain);
    const disputed = execution.sessions.find((x) => x.session.sessionId === settled.disputedSessionId);
    if (disputed === undefined) throw new DayError("FAILED", "the disputed session is not a session of the day", { sessionId: settled.disputedSessionId });
    const v = disputed.session.vehicle;
    const escrowOpening = await openDisputeEscrow(day, {
      ca: services.ca,
      caAccount: chain.operator,
      escrowOpenings: contracts.full.escrowOpenings,
      recorder: settled.disputeRecord.recorder,
      recordId: settled.disputeRecord.recordId,
      vehicle: { id: v.id, transcript: auth.sessions[v.index]!.vehicle.transcript, credential: services.credentials[v.index]! },
      reason: settled.dispute.reason,
    });
    progress.done(`approved ${escrowOpening.approvals} of ${escrowOpening.threshold}, opened: ${escrowOpening.opened}`);

    return assembleReport({ ...charging, settled, escrowOpening, attributes: services.attributes });
  } finally {
    await charging.close();
  }
}
