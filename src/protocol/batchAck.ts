/**
 * Evidence of the authentications: the LAG acknowledges every vehicle it authenticated in a
 * batch with ONE signature. The transcript digests form an OpenZeppelin StandardMerkleTree
 * (`buildBatch`); the LAG signs an EIP-712 receipt over its root with its registered ECDSA key
 * (the NRR toward the vehicles) and anchors the root with `AnchorKind.Authentications`. Each
 * vehicle keeps its transcript (its NRO: the ring signature), the acknowledgement and its
 * inclusion proof, and can check them offline or against the chain.
 */
import { hexlify, type Signer, type TypedDataDomain } from "ethers";
import { AnchorKind, buildBatch, proofFor, signReceipt, verifyInclusion, verifyReceiptSignature, type SignedReceipt } from "../evidence/index.js";
import { randomBytesOf, type PartyContext } from "./context.js";
import { guardAsync, ProtocolError } from "./errors.js";

/** The LAG's signed acknowledgement of one batch of authentications. */
export interface AuthAcknowledgement {
  /** Merkle root over the transcript digests. */
  readonly root: string;
  readonly count: number;
  /** The LAG's participant account (the receipt's receiver). */
  readonly lag: string;
  /** EIP-712 receipt: nroDigest = root, sessionId = a random batch id. */
  readonly receipt: SignedReceipt;
}

/** What a vehicle keeps: its digest, the acknowledgement and its inclusion proof. */
export interface AckInclusion {
  readonly digest: string;
  readonly proof: readonly string[];
  readonly ack: AuthAcknowledgement;
}

/** Signs one acknowledgement over `digests` with `lagKey` (a signing key registered for `lag`). */
export async function acknowledgeAuthentications(
  ctx: PartyContext,
  lagKey: Signer,
  lag: string,
  domain: TypedDataDomain,
  digests: readonly string[],
): Promise<{ readonly ack: AuthAcknowledgement; readonly inclusions: readonly AckInclusion[] }> {
  return guardAsync(async () => {
    const batch = buildBatch(digests);
    const receipt = await signReceipt(lagKey, lag, domain, {
      nroDigest: batch.root,
      sessionId: hexlify(randomBytesOf(ctx, 32)),
      receivedAt: ctx.clock(),
      nonce: hexlify(randomBytesOf(ctx, 32)),
    });
    const ack: AuthAcknowledgement = { root: batch.root, count: digests.length, lag, receipt };
    return { ack, inclusions: digests.map((digest) => ({ digest, proof: proofFor(batch, digest), ack })) };
  });
}

/** The EvidenceLedger calls used here (an ethers contract satisfies it). */
export interface AuthLedger {
  anchorBatch(root: string, count: number, kind: number): Promise<{ hash: string; wait(): Promise<unknown> }>;
  verifyInclusion(submitter: string, root: string, leaf: string, proof: readonly string[]): Promise<boolean>;
}

/** Anchors the acknowledged root (`ledger` connected to the LAG's submitter account). */
export async function anchorAcknowledgement(ledger: AuthLedger, ack: AuthAcknowledgement): Promise<{ readonly hash: string; wait(): Promise<unknown> }> {
  try {
    return await ledger.anchorBatch(ack.root, ack.count, AnchorKind.Authentications);
  } catch (cause) {
    throw new ProtocolError("CHAIN", "anchoring the acknowledgement failed", { cause });
  }
}

/**
 * Offline check by a vehicle: the receipt is a valid EIP-712 signature over the root, made for
 * the expected LAG, and the vehicle's digest is a leaf of the root. Throws `NOT_ACKNOWLEDGED`.
 */
export function verifyAcknowledgement(domain: TypedDataDomain, expectedLag: string, inclusion: AckInclusion): void {
  const { ack, digest, proof } = inclusion;
  if (ack.receipt.receipt.nroDigest.toLowerCase() !== ack.root.toLowerCase() || ack.receipt.receiver.toLowerCase() !== expectedLag.toLowerCase()) {
    throw new ProtocolError("NOT_ACKNOWLEDGED", "the receipt is not the expected LAG's receipt of this root");
  }
  if (!verifyReceiptSignature(domain, ack.receipt)) throw new ProtocolError("NOT_ACKNOWLEDGED", "the receipt signature does not verify");
  if (!verifyInclusion(ack.root, digest, [...proof])) throw new ProtocolError("NOT_ACKNOWLEDGED", "this authentication is not in the acknowledged batch");
}

/** The registry call used here. */
export interface KeyRegistry {
  isKeyValid(participant: string, key: string, time: bigint): Promise<boolean>;
}

/** Offline check plus the chain: the signing key was the LAG's at signing time, and the root is anchored. */
export async function verifyAcknowledgementOnChain(
  domain: TypedDataDomain,
  expectedLag: string,
  inclusion: AckInclusion,
  registry: KeyRegistry,
  ledger: AuthLedger,
): Promise<void> {
  verifyAcknowledgement(domain, expectedLag, inclusion);
  const { ack, digest, proof } = inclusion;
  let keyValid: boolean;
  let anchored: boolean;
  try {
    keyValid = await registry.isKeyValid(expectedLag, ack.receipt.signer, ack.receipt.receipt.receivedAt);
    anchored = await ledger.verifyInclusion(expectedLag, ack.root, digest, [...proof]);
  } catch (cause) {
    throw new ProtocolError("CHAIN", "reading the acknowledgement's chain state failed", { cause });
  }
  if (!keyValid) throw new ProtocolError("NOT_ACKNOWLEDGED", "the receipt was not signed by a key valid for the LAG");
  if (!anchored) throw new ProtocolError("NOT_ACKNOWLEDGED", "the root is not anchored, or the digest is not under it");
}
