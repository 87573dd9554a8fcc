/** zod schemas of the JSON-RPC answers the chain layer reads, and their parsed types. */
import { getAddress } from "ethers";
import { z } from "zod";
import { ChainError } from "./errors.js";

export const quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, "must be a hex quantity")
  .transform((s) => BigInt(s));
const height = quantity.refine((v) => v <= BigInt(Number.MAX_SAFE_INTEGER), "too large").transform((v) => Number(v));
export const hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 32-byte hash")
  .transform((s) => s.toLowerCase());
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be an address")
  .transform((s) => getAddress(s));
const data = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "must be hex bytes");

export const logSchema = z.object({
  address,
  topics: z.array(hash32).max(4),
  data,
  blockNumber: height,
  blockHash: hash32,
  transactionHash: hash32,
  transactionIndex: height,
  logIndex: height,
  removed: z.boolean().optional(),
});
export type ChainLog = z.output<typeof logSchema>;

export const receiptSchema = z.object({
  transactionHash: hash32,
  blockHash: hash32,
  blockNumber: height,
  transactionIndex: height,
  from: address,
  to: address.nullable(),
  status: z.enum(["0x0", "0x1"], { message: "status must be 0x0 or 0x1" }).transform((s) => (s === "0x1" ? 1 : 0) as 0 | 1),
  gasUsed: quantity,
  effectiveGasPrice: quantity.optional(),
  logs: z.array(logSchema),
});
export type ChainReceipt = z.output<typeof receiptSchema>;

export const blockSchema = z.object({
  number: height,
  hash: hash32,
  parentHash: hash32,
  timestamp: quantity,
  baseFeePerGas: quantity.optional(),
});
export type BlockHeader = z.output<typeof blockSchema>;

export const txSchema = z.object({
  hash: hash32,
  from: address,
  nonce: height,
  blockNumber: height.nullable(),
  blockHash: hash32.nullable(),
});
export type ChainTransaction = z.output<typeof txSchema>;

/** Parses an answer of `method`, or throws `BAD_RESPONSE` naming the first wrong field. */
export function parse<S extends z.ZodTypeAny>(method: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join(".") || "answer";
    throw new ChainError("BAD_RESPONSE", `${method}: ${where} ${issue?.message ?? "is invalid"}`, {
      method,
      path: issue?.path,
    });
  }
  return result.data;
}
