/** Signed evidence without a chain: a fixed domain and throw-away keys, for store and codec tests. */
import { hexlify, randomBytes, Wallet, type HDNodeWallet } from "ethers";
import type { SignedMessage, SignedReceipt } from "../../src/evidence/messages.js";
import { signMessage, signReceipt } from "../../src/evidence/sign.js";
import { evidenceDomain, type MessageTypeName } from "../../src/evidence/types.js";
import { header, message } from "../helpers/samples.js";

export const LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const CHAIN_ID = 31337n;
export const domain = evidenceDomain(CHAIN_ID, LEDGER);
export const storeDomain = { chainId: CHAIN_ID, verifyingContract: LEDGER };

export interface OfflineParty {
  address: string;
  key: HDNodeWallet | Wallet;
}

export function party(seed?: string): OfflineParty {
  const key = seed ? new Wallet(seed) : Wallet.createRandom();
  // The participant account and its signing key differ, as on-chain.
  return { address: (seed ? new Wallet(hexlify(randomBytes(32))) : Wallet.createRandom()).address, key };
}

export const randomId = (): string => hexlify(randomBytes(32));

/** The receiver a message is addressed to unless a test names one. */
export const RECEIVER = party();

export async function signed(
  from: OfflineParty,
  sessionId: string,
  seq: bigint,
  type: MessageTypeName = "Csev",
  issuedAt = 1_700_000_000n,
  to: OfflineParty = RECEIVER,
): Promise<SignedMessage> {
  return signMessage(from.key, from.address, domain, message(type, header(sessionId, seq, issuedAt)), {
    receiver: to.address,
    receiptDeadline: issuedAt + 3600n,
  });
}

export async function receiptOf(to: OfflineParty, m: SignedMessage, nonce = randomId()): Promise<SignedReceipt> {
  const receipt = { nroDigest: m.digest, sessionId: m.header.sessionId, receivedAt: m.header.issuedAt + 5n, nonce };
  return signReceipt(to.key, to.address, domain, receipt);
}
