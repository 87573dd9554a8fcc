/**
 * Fees and offline signing. Signing is synchronous (the wallet's secp256k1 key signs the EIP-1559
 * or legacy payload directly), so it can run inside the database transaction that assigns the nonce.
 */
import { Transaction, type SigningKey } from "ethers";
import { ChainError } from "./errors.js";
import type { ChainRpc } from "./rpc.js";

/** A raw private key signer: an ethers `Wallet` fits. Never a node-managed JSON-RPC account. */
export interface RawSigner {
  readonly address: string;
  readonly signingKey: SigningKey;
}

export type Fees =
  | { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { type: 0; gasPrice: bigint };

export interface FeePolicy {
  /** Percent added to both fee fields on each replacement (nodes want at least 10). */
  bumpPercent: number;
  /** Upper bound of `maxFeePerGas` / `gasPrice`; a replacement above it is not made. */
  maxFeePerGas?: bigint;
  /** Priority fee when the node has no `eth_maxPriorityFeePerGas` (default 1 gwei). */
  fallbackPriorityFee?: bigint;
}

const GWEI = 1_000_000_000n;

/** Market fees now: EIP-1559 (twice the latest base fee plus the tip) where the chain has a base fee. */
export async function quoteFees(rpc: ChainRpc, policy: FeePolicy): Promise<Fees> {
  const latest = await rpc.getBlock("latest");
  if (!latest) throw new ChainError("BAD_RESPONSE", "eth_getBlockByNumber: no latest block");
  let fees: Fees;
  if (latest.baseFeePerGas !== undefined) {
    const tip = (await rpc.maxPriorityFeePerGas()) ?? policy.fallbackPriorityFee ?? GWEI;
    fees = { type: 2, maxPriorityFeePerGas: tip, maxFeePerGas: latest.baseFeePerGas * 2n + tip };
  } else {
    fees = { type: 0, gasPrice: await rpc.gasPrice() };
  }
  return capped(fees, policy);
}

/** Fees for a replacement of `old`: at least `bumpPercent` above it on every field, and at least the market. */
export function bumpFees(old: Fees, market: Fees, policy: FeePolicy): Fees {
  const up = (v: bigint) => v + (v * BigInt(Math.ceil(policy.bumpPercent)) + 99n) / 100n;
  if (old.type === 2 && market.type === 2) {
    const tip = max(up(old.maxPriorityFeePerGas), market.maxPriorityFeePerGas);
    return capped({ type: 2, maxPriorityFeePerGas: tip, maxFeePerGas: max(up(old.maxFeePerGas), market.maxFeePerGas, tip) }, policy);
  }
  const price = (f: Fees) => (f.type === 2 ? f.maxFeePerGas : f.gasPrice);
  return capped({ type: 0, gasPrice: max(up(price(old)), price(market)) }, policy);
}

/** True when `next` is not strictly above `old` (the cap stopped the bump). */
export function notBumped(old: Fees, next: Fees): boolean {
  if (old.type === 2 && next.type === 2) return next.maxFeePerGas <= old.maxFeePerGas || next.maxPriorityFeePerGas <= old.maxPriorityFeePerGas;
  const price = (f: Fees) => (f.type === 2 ? f.maxFeePerGas : f.gasPrice);
  return price(next) <= price(old);
}

export interface TxFields {
  chainId: bigint;
  nonce: number;
  to: string;
  data: string;
  value: bigint;
  gasLimit: bigint;
  fees: Fees;
}

/** Signs `fields` offline; returns the raw bytes and their hash (what the chain will call the transaction). */
export function signTransaction(signer: RawSigner, fields: TxFields): { raw: string; hash: string } {
  const { fees } = fields;
  const tx = Transaction.from({
    chainId: fields.chainId,
    nonce: fields.nonce,
    to: fields.to,
    data: fields.data,
    value: fields.value,
    gasLimit: fields.gasLimit,
    ...(fees.type === 2
      ? { type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
      : { type: 0, gasPrice: fees.gasPrice }),
  });
  tx.signature = signer.signingKey.sign(tx.unsignedHash);
  if (tx.from !== signer.address) throw new ChainError("CONFIG", "signing key does not match the signer address");
  return { raw: tx.serialized, hash: tx.hash!.toLowerCase() };
}

export function feesToJson(fees: Fees): string {
  return JSON.stringify(
    fees.type === 2
      ? { type: 2, maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString() }
      : { type: 0, gasPrice: fees.gasPrice.toString() },
  );
}

export function feesFromJson(json: string): Fees {
  const f = JSON.parse(json) as Record<string, string | number>;
  return f.type === 2
    ? { type: 2, maxFeePerGas: BigInt(f.maxFeePerGas!), maxPriorityFeePerGas: BigInt(f.maxPriorityFeePerGas!) }
    : { type: 0, gasPrice: BigInt(f.gasPrice!) };
}

function capped(fees: Fees, policy: FeePolicy): Fees {
  const cap = policy.maxFeePerGas;
  if (cap === undefined) return fees;
  if (fees.type === 0) return { type: 0, gasPrice: min(fees.gasPrice, cap) };
  const maxFee = min(fees.maxFeePerGas, cap);
  return { type: 2, maxFeePerGas: maxFee, maxPriorityFeePerGas: min(fees.maxPriorityFeePerGas, maxFee) };
}

const max = (...xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
const min = (...xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));
