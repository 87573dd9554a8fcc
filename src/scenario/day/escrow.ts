/**
 * The escrow opening for the recorded dispute: the first arbiter records an escrow dispute that
 * names the disputed session's authentication (its transcript digest) and points at the
 * settlement dispute recorded on-chain; the second approves (k = 2 of n); only then does the CA
 * open the identity escrow and record a salted commitment to the opened key. The arbiters check
 * the opening against the chain and learn which enrolled vehicle it was; nobody else learns it.
 */
import { hexlify, keccak256, toUtf8Bytes, type Signer } from "ethers";
import { bytesToHex } from "../../crypto/index.js";
import type { DynamicContract } from "../../chain/deploy.js";
import { authDigest, openEscrowForDispute, type AuthTranscript, type CentralAuthority, type VehicleCredential } from "../../protocol/index.js";
import type { DayContext } from "./context.js";
import { DayError } from "./errors.js";

export interface EscrowOpeningInput {
  readonly ca: CentralAuthority;
  /** The CA's chain account (the registrar). */
  readonly caAccount: Signer;
  readonly escrowOpenings: DynamicContract;
  /** The contract that recorded the dispute, and the dispute's id there. */
  readonly recorder: string;
  readonly recordId: string;
  /** The disputed session's vehicle: its authentication and its credential (to name it in the summary). */
  readonly vehicle: { readonly id: string; readonly transcript: AuthTranscript; readonly credential: VehicleCredential };
  readonly reason: string;
}

export interface EscrowOpeningOutcome {
  readonly dispute: string;
  readonly threshold: number;
  readonly approvals: number;
  readonly opened: boolean;
  readonly revealed: string;
}

export async function openDisputeEscrow(day: DayContext, o: EscrowOpeningInput): Promise<EscrowOpeningOutcome> {
  const [first, second] = day.parties.arbiters.map((a) => a.account.connect(day.chain.provider));
  if (first === undefined || second === undefined) throw new DayError("FAILED", "an escrow opening needs two arbiters");
  const escrow = o.escrowOpenings;
  const admin = escrow.connect(day.chain.operator);
  if (!(await escrow.isDisputeRecorder(o.recorder))) day.gas.addReceipt("addDisputeRecorder", await (await admin.addDisputeRecorder(o.recorder)).wait());
  const disputeId = keccak256(toUtf8Bytes(`escrow-opening:${o.recorder}:${o.recordId}`));
  const reasonHash = keccak256(toUtf8Bytes(o.reason));
  day.gas.addReceipt("escrow recordDispute", await (await escrow.connect(first).recordDispute(disputeId, o.recorder, o.recordId, authDigest(o.vehicle.transcript), reasonHash)).wait());
  day.timeline.add("escrow", `${day.parties.arbiters[0]!.name} recorded an escrow dispute for the disputed session's authentication`, day.parties.arbiters[0]!.id);
  day.gas.addReceipt("escrow approveOpening", await (await escrow.connect(second).approveOpening(disputeId)).wait());
  day.timeline.add("escrow", `${day.parties.arbiters[1]!.name} approved the opening (2 of 2)`, day.parties.arbiters[1]!.id);
  const opening = await openEscrowForDispute(o.ca, escrow.connect(o.caAccount), disputeId, o.vehicle.transcript);
  day.gas.addReceipt("escrow recordOpening", await day.chain.provider.getTransactionReceipt(opening.txHash));
  // The arbiters check the opened key against the commitment on-chain, and against the credential it belongs to.
  const publicKey = `0x${bytesToHex(opening.publicKey)}`;
  if (!(await escrow.verifyOpening(disputeId, opening.salt, publicKey))) throw new DayError("FAILED", "the opening does not match its on-chain commitment");
  if (hexlify(opening.publicKey) !== hexlify(o.vehicle.credential.keys.publicKey)) throw new DayError("FAILED", "the opening revealed another key than the disputed session's vehicle");
  const approvals = Number(await escrow.currentApprovals(disputeId));
  const threshold = Number(await escrow.THRESHOLD());
  day.timeline.add("escrow", `the CA opened the identity escrow (ring position ${opening.ringIndex}) and recorded its commitment; the arbiters verified it`, "CA");
  return {
    dispute: disputeId,
    threshold,
    approvals,
    opened: Boolean(await escrow.isOpened(disputeId)),
    revealed: `the enrolled key of vehicle ${o.vehicle.id} (position ${opening.ringIndex} of its ring), to the arbiters only; on-chain only a salted commitment`,
  };
}
