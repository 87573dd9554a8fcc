/**
 * Accountable anonymity: the CA opens the identity escrow of an authentication only for a
 * dispute an arbiter recorded on-chain (`EscrowOpenings.recordDispute`) naming that
 * authentication's transcript digest, and then records the opening with a salted commitment to
 * the opened key (`recordOpening`). The arbiter receives the key and the salt off-chain and
 * checks them with `EscrowOpenings.verifyOpening`. The contract comes from the deployment
 * (`deployAll` in src/chain/deployAll.ts); this module only reads and writes it.
 */
import { AbiCoder, hexlify, keccak256 } from "ethers";
import { bytesToHex, decodeEscrowSignature, escrowOpenVerified } from "../crypto/index.js";
import { revertOf } from "../chain/decode.js";
import type { DynamicContract } from "../chain/deploy.js";
import type { CentralAuthority } from "./ca.js";
import { randomBytesOf } from "./context.js";
import { guard, ProtocolError } from "./errors.js";
import { decodeMessage } from "./messages.js";
import { authDigest, authStatement, type AuthTranscript } from "./transcript.js";

/** keccak256(abi.encode(disputeId, salt, publicKey)): the contract's `openingCommitment`. */
export function openingCommitment(disputeId: string, salt: string, publicKey: Uint8Array): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32", "bytes32"], [disputeId, salt, `0x${bytesToHex(publicKey)}`]));
}

/** Name of the custom error a failed call reverted with. */
function revertName(error: unknown): string | undefined {
  return revertOf(error)?.name ?? undefined;
}

/** What the CA hands to the arbiter after an opening. */
export interface EscrowOpeningResult {
  readonly disputeId: string;
  /** The opened public key of the vehicle. */
  readonly publicKey: Uint8Array;
  /** Position of the key in the authentication's ring. */
  readonly ringIndex: number;
  readonly salt: string;
  readonly commitment: string;
  readonly txHash: string;
}

/**
 * Opens the escrow of `transcript` for dispute `disputeId`: refuses with `NO_DISPUTE` when no
 * dispute is recorded on-chain or fewer than the contract's threshold of arbiters approved it
 * (checked before anything is decrypted), `DISPUTE_MISMATCH` when it names another authentication,
 * `ALREADY_OPENED` when it was opened before, `BAD_SIGNATURE` when the escrow proof does not
 * verify; otherwise opens and records the opening (`escrowOpenings` connected to the CA).
 */
export async function openEscrowForDispute(
  ca: CentralAuthority,
  escrowOpenings: DynamicContract,
  disputeId: string,
  transcript: AuthTranscript,
): Promise<EscrowOpeningResult> {
  const digest = guard(() => authDigest(transcript));
  let dispute: { authDigest: string };
  let approvals: bigint;
  let opened: boolean;
  let threshold: bigint;
  try {
    dispute = await escrowOpenings.disputeOf(disputeId);
    // The approvals that count now (approvers still arbiters, none a CA), as the contract counts them.
    approvals = BigInt(await escrowOpenings.currentApprovals(disputeId));
    opened = await escrowOpenings.isOpened(disputeId);
    threshold = BigInt(await escrowOpenings.THRESHOLD());
  } catch (error) {
    if (revertName(error) === "EscrowUnknownDispute") {
      throw new ProtocolError("NO_DISPUTE", "no dispute with this id is recorded on-chain", { details: { disputeId } });
    }
    throw new ProtocolError("CHAIN", "reading the dispute failed", { cause: error });
  }
  if (dispute.authDigest.toLowerCase() !== digest.toLowerCase()) {
    throw new ProtocolError("DISPUTE_MISMATCH", "the dispute names another authentication", { details: { disputeId } });
  }
  if (opened) throw new ProtocolError("ALREADY_OPENED", "this dispute's escrow was already opened", { details: { disputeId } });
  if (approvals < threshold) {
    throw new ProtocolError("NO_DISPUTE", "the opening is not yet approved by enough arbiters", {
      details: { disputeId, approvals: Number(approvals), threshold: Number(threshold) },
    });
  }
  const { publicKey, index } = guard(() => {
    const challenge = decodeMessage("AuthChallenge", transcript.challenge);
    const response = decodeMessage("AuthResponse", transcript.response);
    const group = ca.groups.get(response.groupId, response.groupVersion);
    const statement = authStatement(challenge, response, group.root, ca.publicKeys.escrowKey);
    const signature = decodeEscrowSignature(response.signature);
    const opening = escrowOpenVerified(ca.ctx.backend, ca.escrowSecret, statement, signature);
    if (opening === undefined || opening.index < 0) throw new ProtocolError("BAD_SIGNATURE", "the escrow proof does not verify");
    return opening;
  });
  const salt = hexlify(randomBytesOf(ca.ctx, 32));
  const commitment = openingCommitment(disputeId, salt, publicKey);
  try {
    const tx = await escrowOpenings.recordOpening(disputeId, commitment);
    const receipt = await tx.wait();
    return { disputeId, publicKey, ringIndex: index, salt, commitment, txHash: receipt.hash as string };
  } catch (error) {
    const name = revertName(error);
    if (name === "EscrowAlreadyOpened") throw new ProtocolError("ALREADY_OPENED", "this dispute's escrow was already opened", { cause: error });
    throw new ProtocolError("CHAIN", "recording the opening failed", { details: { error: name }, cause: error });
  }
}
