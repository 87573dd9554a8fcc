/**
 * JSON encoding of signed messages and receipts. Integers of 64 bits and more travel as
 * decimal strings, smaller ones as JSON numbers; decoding restores the exact value types of
 * the EIP-712 type table (`types.ts`), so a round trip keeps every digest.
 *
 * Decoding is strict: unknown keys, wrong hex lengths, out-of-range integers and addresses
 * that are not EIP-55 checksummed are rejected. Hex values of fixed size come back lower-case.
 */
import { getAddress } from "ethers";
import { z } from "zod";
import { EvidenceError } from "./errors.js";
import type { SignedMessage, SignedReceipt } from "./messages.js";
import {
  BODY_FIELDS,
  HEADER_FIELDS,
  HEADER_FIELDS_V1,
  MESSAGE_TYPE_NAMES,
  RECEIPT_FIELDS,
  type MessageTypeName,
} from "./types.js";

type Fields = ReadonlyArray<{ name: string; type: string }>;
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const UNSIGNED = /^(0|[1-9][0-9]*)$/;
const SIGNED = /^(0|-?[1-9][0-9]*)$/;

/** An EIP-55 checksummed address (the only spelling the codec accepts and writes). */
export const addressSchema = z.string().refine((s) => {
  try {
    return getAddress(s) === s;
  } catch {
    return false;
  }
}, "must be an EIP-55 checksummed address");

/** `0x` followed by exactly `size` bytes of hex; decoded to lower case. */
export function hexSchema(size: number): z.ZodType<string, z.ZodTypeDef, string> {
  return z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${size * 2}}$`), `must be 0x-prefixed hex of ${size} bytes`)
    .transform((s) => s.toLowerCase());
}

export const bytes32Schema = hexSchema(32);
export const signatureSchema = hexSchema(65);

function integerSchema(signed: boolean, bits: number): z.ZodTypeAny {
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (bits < 64) return z.number().int().min(Number(min)).max(Number(max));
  return z
    .string()
    .regex(signed ? SIGNED : UNSIGNED, "must be a decimal integer string")
    .transform((s) => BigInt(s))
    .refine((v) => v >= min && v <= max, `out of range for ${signed ? "int" : "uint"}${bits}`);
}

/** The zod schema that decodes the JSON form of one EIP-712 field type. */
export function typeSchema(type: string): z.ZodTypeAny {
  if (type.endsWith("[]")) return z.array(typeSchema(type.slice(0, -2)));
  const int = /^(u?)int([0-9]+)$/.exec(type);
  if (int) return integerSchema(int[1] !== "u", Number(int[2]));
  const bytes = /^bytes([0-9]+)$/.exec(type);
  if (bytes) return hexSchema(Number(bytes[1]));
  if (type === "address") return addressSchema;
  if (type === "bool") return z.boolean();
  if (type === "string") return z.string();
  throw new EvidenceError("BAD_INPUT", `unsupported EIP-712 type ${type}`);
}

/** A strict object schema over a field list of the type table. */
export function structSchema(fields: Fields): z.ZodTypeAny {
  return z.object(Object.fromEntries(fields.map((fd) => [fd.name, typeSchema(fd.type)]))).strict();
}

function encodeValue(type: string, value: unknown): Json {
  if (type.endsWith("[]")) {
    if (!Array.isArray(value)) throw new EvidenceError("BAD_INPUT", `expected an array for ${type}`);
    return value.map((v) => encodeValue(type.slice(0, -2), v));
  }
  const int = /^u?int([0-9]+)$/.exec(type);
  if (int && Number(int[1]) >= 64) {
    if (typeof value === "bigint") return value.toString(10);
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
    throw new EvidenceError("BAD_INPUT", `expected a bigint for ${type}`, { value: String(value) });
  }
  if (int && typeof value === "bigint") return Number(value);
  if (type === "address" && typeof value === "string") return getAddress(value);
  return value as Json;
}

/** Encodes `value` field by field in table order (unknown properties are dropped). */
export function encodeStruct(fields: Fields, value: object): Record<string, Json> {
  const v = value as Record<string, unknown>;
  return Object.fromEntries(fields.map((fd) => [fd.name, encodeValue(fd.type, v[fd.name])]));
}

/** A version 2 header, or a version 1 header (without receiver and receipt deadline: both or neither). */
const headerSchema = (structSchema(HEADER_FIELDS_V1) as z.AnyZodObject)
  .extend(
    Object.fromEntries(
      HEADER_FIELDS.slice(HEADER_FIELDS_V1.length).map((fd) => [fd.name, typeSchema(fd.type).optional()]),
    ),
  )
  .refine((h) => (h.receiver === undefined) === (h.receiptDeadline === undefined), {
    message: "receiver and receiptDeadline come together (version 2) or not at all (version 1)",
  });

/** The header's fields in table order: version 2's when it carries a receiver, else version 1's. */
const headerFieldsOf = (h: { receiver?: string }) => (h.receiver !== undefined ? HEADER_FIELDS : HEADER_FIELDS_V1);

function messageVariant(type: MessageTypeName) {
  return z
    .object({
      type: z.literal(type),
      header: headerSchema,
      body: structSchema(BODY_FIELDS[type]),
      party: addressSchema,
      signer: addressSchema,
      signature: signatureSchema,
      digest: bytes32Schema,
    })
    .strict();
}

const [firstType, ...otherTypes] = MESSAGE_TYPE_NAMES.map(messageVariant);

/** Schema of the JSON form of a `SignedMessage`; parsing yields the decoded value types. */
export const signedMessageSchema = z.discriminatedUnion("type", [firstType!, ...otherTypes]) as unknown as z.ZodType<
  SignedMessage,
  z.ZodTypeDef,
  unknown
>;

/** Schema of the JSON form of a `SignedReceipt`. */
export const signedReceiptSchema = z
  .object({
    receipt: structSchema(RECEIPT_FIELDS),
    receiver: addressSchema,
    signer: addressSchema,
    signature: signatureSchema,
    digest: bytes32Schema,
  })
  .strict() as unknown as z.ZodType<SignedReceipt, z.ZodTypeDef, unknown>;

export function encodeMessage(m: SignedMessage): Record<string, Json> {
  return {
    type: m.type,
    header: encodeStruct(headerFieldsOf(m.header), m.header),
    body: encodeStruct(BODY_FIELDS[m.type], m.body),
    party: getAddress(m.party),
    signer: getAddress(m.signer),
    signature: m.signature,
    digest: m.digest,
  };
}

export function encodeReceipt(r: SignedReceipt): Record<string, Json> {
  return {
    receipt: encodeStruct(RECEIPT_FIELDS, r.receipt),
    receiver: getAddress(r.receiver),
    signer: getAddress(r.signer),
    signature: r.signature,
    digest: r.digest,
  };
}

function decodeWith<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, what: string, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new EvidenceError("BAD_INPUT", `invalid ${what}`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

/** Decodes the JSON form of a signed message; throws `EvidenceError("BAD_INPUT")` with the issues. */
export function decodeMessage(json: unknown): SignedMessage {
  return decodeWith(signedMessageSchema, "signed message", json);
}

export function decodeReceipt(json: unknown): SignedReceipt {
  return decodeWith(signedReceiptSchema, "signed receipt", json);
}

/** Validates and normalises a message by a round trip through its JSON form. */
export function normaliseMessage(m: SignedMessage): SignedMessage {
  try {
    return decodeMessage(encodeMessage(m));
  } catch (cause) {
    if (cause instanceof EvidenceError) throw cause;
    throw new EvidenceError("BAD_INPUT", "invalid signed message", {}, cause);
  }
}

export function normaliseReceipt(r: SignedReceipt): SignedReceipt {
  try {
    return decodeReceipt(encodeReceipt(r));
  } catch (cause) {
    if (cause instanceof EvidenceError) throw cause;
    throw new EvidenceError("BAD_INPUT", "invalid signed receipt", {}, cause);
  }
}

/** Validates a 32-byte hex value (a digest, root, session id or tx hash); returns it in lower case. */
export function parseBytes32(value: unknown, name: string): string {
  const parsed = bytes32Schema.safeParse(value);
  if (!parsed.success)
    throw new EvidenceError("BAD_INPUT", `${name} must be 0x-prefixed 32-byte hex`, { [name]: value });
  return parsed.data;
}

/** Validates an address (any case; mixed case must carry a valid checksum); returns it checksummed. */
export function parseAddress(value: unknown, name: string): string {
  try {
    if (typeof value !== "string") throw new TypeError("not a string");
    return getAddress(value);
  } catch (cause) {
    throw new EvidenceError("BAD_INPUT", `${name} must be an address`, { [name]: value }, cause);
  }
}

/** Validates a non-negative safe integer (a time in seconds or a block number). */
export function parseUint(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new EvidenceError("BAD_INPUT", `${name} must be a non-negative integer`, { [name]: value });
  }
  return value;
}
