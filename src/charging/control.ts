/**
 * Control of a charging session by CSEV signals (start, stop, set power, discharge), each with
 * a sequence number and a validity window, bound to the session and the confirmed schedule's
 * digest. The EVSE executes only a valid, fresh, in-sequence CSEV of the session's aggregator
 * that agrees with the schedule in force at its effective time, and signs its receipt (NRR).
 * The aggregator numbers its CSEVs in its one sequence of the session (`FlowSequences`), after the
 * schedule in force: the CSEVs under a schedule of sequence number s are s + 1, s + 2, …
 */
import type { TypedDataDomain } from "ethers";
import type { ScheduleBody, SignedMessage, SignedReceipt } from "../evidence/messages.js";
import type { EvidenceStore } from "../evidence/store.js";
import { ChargingError } from "./errors.js";
import { flowHeader, receiptAndStore, signFlowMessage, verifyFlowMessage, type FlowParty, type FlowSequences } from "./flowEvidence.js";
import type { KeyDirectory } from "./keyDirectory.js";

/** `CsevBody.command`. */
export const CsevCommand = { Start: 0, Stop: 1, SetPower: 2, Discharge: 3 } as const;

export interface SessionBinding {
  sessionId: string;
  /** The EVSE's account: every CSEV of the session is addressed to it. */
  evse: string;
  scheduleDigest: string;
  schedule: ScheduleBody;
  /** The schedule's sequence number in the aggregator's sequence of the session. */
  scheduleSeq: bigint;
}

/** The aggregator's side: its CSEVs take the next numbers of its sequence of the session. */
export class CsevIssuer {
  constructor(
    private readonly aggregator: FlowParty,
    private readonly sequences: FlowSequences,
    private readonly domain: TypedDataDomain,
    private readonly session: SessionBinding,
  ) {}

  issue(command: number, powerW: number, effectiveAt: bigint, validForSeconds: bigint, now: bigint): Promise<SignedMessage<"Csev">> {
    const seq = this.sequences.take(this.aggregator.address, this.session.sessionId);
    const header = flowHeader(this.session.sessionId, seq, now, now + validForSeconds, this.session.evse);
    return signFlowMessage(this.aggregator, this.domain, "Csev", header, { scheduleDigest: this.session.scheduleDigest, command, powerW, effectiveAt });
  }
}

const refuse = (why: string, details: Record<string, unknown> = {}): never => {
  throw new ChargingError("REFUSED", `CSEV refused: ${why}`, { why, ...details });
};

/** The EVSE's side of one session under one schedule: the CSEVs it executes number on from the schedule's. */
export class EvseController {
  private lastSeq: bigint;
  /** One CSEV at a time: a second one arriving while the first is checked or stored is refused. */
  private executing = false;
  /** Power the EVSE applies now, watts (negative: discharging). */
  powerW = 0;

  constructor(
    private readonly evse: FlowParty,
    private readonly aggregator: string,
    private readonly directory: KeyDirectory,
    private readonly domain: TypedDataDomain,
    private readonly session: SessionBinding,
    private readonly store: EvidenceStore,
  ) {
    this.lastSeq = session.scheduleSeq;
  }

  /**
   * Executes `csev` at `now` and returns the signed receipt; throws `ChargingError("REFUSED")`
   * naming why. The EVSE's sequence number and power move on only once the CSEV and its receipt
   * are stored: a failed store leaves the session where it was.
   */
  async execute(csev: SignedMessage<"Csev">, now: bigint): Promise<SignedReceipt> {
    if (this.executing) refuse("another CSEV of the session is being executed");
    this.executing = true;
    try {
      return await this.executeOne(csev, now);
    } finally {
      this.executing = false;
    }
  }

  private async executeOne(csev: SignedMessage<"Csev">, now: bigint): Promise<SignedReceipt> {
    if (csev.type !== "Csev") refuse("not a CSEV");
    if (!verifyFlowMessage(this.domain, csev)) refuse("bad signature (changed after signing?)");
    if (csev.party.toLowerCase() !== this.aggregator.toLowerCase()) refuse("not from the session's aggregator", { party: csev.party });
    if (!(await this.directory.isKeyValid(csev.party, csev.signer, csev.header.issuedAt)) || !(await this.directory.hasRole("AGGREGATOR", csev.party))) {
      refuse("signer is not a registered aggregator key");
    }
    const { header, body } = csev;
    if (header.sessionId !== this.session.sessionId || body.scheduleDigest !== this.session.scheduleDigest) refuse("for another session or schedule");
    if (header.receiver === undefined || header.receiver.toLowerCase() !== this.evse.address.toLowerCase()) {
      refuse("addressed to another EVSE", { receiver: header.receiver });
    }
    if (now < header.issuedAt || now >= header.expiresAt) refuse("outside its validity window", { now, issuedAt: header.issuedAt, expiresAt: header.expiresAt });
    if (body.effectiveAt < header.issuedAt || body.effectiveAt >= header.expiresAt) refuse("effective time outside its window");
    if (header.seq !== this.lastSeq + 1n) refuse("out of sequence (replayed?)", { seq: header.seq, expected: this.lastSeq + 1n });
    this.checkAgainstSchedule(body.command, body.powerW, body.effectiveAt);
    const receipt = await receiptAndStore(this.evse, this.domain, this.store, csev, now);
    this.lastSeq = header.seq;
    this.powerW = body.command === CsevCommand.Stop ? 0 : body.powerW;
    return receipt;
  }

  private checkAgainstSchedule(command: number, powerW: number, at: bigint): void {
    const s = this.session.schedule;
    if (at < s.start) refuse("before the schedule starts");
    const slot = Number((at - s.start) / BigInt(s.slotSeconds));
    if (slot >= s.powerW.length) refuse("after the schedule ends");
    const planned = s.powerW[slot]!;
    switch (command) {
      case CsevCommand.Stop:
        return;
      case CsevCommand.Start:
      case CsevCommand.SetPower:
        if (powerW <= 0 || planned <= 0 || powerW > planned) refuse("charge power not in the schedule for that slot", { slot, planned, powerW });
        return;
      case CsevCommand.Discharge:
        if (powerW >= 0 || planned >= 0 || powerW < planned) refuse("discharge not in the schedule for that slot", { slot, planned, powerW });
        return;
      default:
        refuse("unknown command", { command });
    }
  }
}
