/**
 * Verifies OCMF records against a meter's public key, for every curve of the OCMF spec.
 * The verdict names its reason: a bad signature, a curve mismatch (the record's SA against the
 * key's curve), an unknown key, an unsupported format, a malformed record. Tolerated deviations
 * are accepted and flagged: a missing SA (the default applies), base64 SE, raw r‖s signatures,
 * raw X‖Y keys, and DER signatures that are not minimally encoded (mathematically valid: the
 * record is kept byte for byte).
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { ChargingError } from "../errors.js";
import { curveOfMethod, DEFAULT_SIGNATURE_METHOD, type OcmfCurve } from "./curves.js";
import { DerError, parseDerSignature } from "./der.js";
import { decodePublicKey, decodeText, type OcmfPublicKey } from "./keys.js";
import { ecdsaVerify } from "./nativeVerify.js";
import { parseOcmf, type OcmfRecord } from "./record.js";

export type OcmfReason = "bad-signature" | "curve-mismatch" | "unknown-key" | "unsupported-format" | "malformed";
export type OcmfFlag = "default-algorithm" | "base64-signature" | "raw-signature" | "raw-public-key" | "non-canonical-signature";

export type OcmfVerdict =
  | { valid: true; record: OcmfRecord; curve: OcmfCurve["name"]; flags: OcmfFlag[]; recordHash: string; publicKeyHex: string }
  | { valid: false; reason: OcmfReason; detail: string; flags: OcmfFlag[]; record?: OcmfRecord };

/** keccak256 of the record's exact bytes (UTF-8): what a `MeterReading` carries as `ocmfHash`. */
export function ocmfRecordHash(raw: string): string {
  return keccak256(toUtf8Bytes(raw));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function fail(reason: OcmfReason, detail: string, flags: OcmfFlag[], record?: OcmfRecord): OcmfVerdict {
  return { valid: false, reason, detail, flags, ...(record === undefined ? {} : { record }) };
}

/** Decodes SD to (r, s) on `curve`, or a failing verdict's reason and detail. */
function signatureScalars(record: OcmfRecord, curve: OcmfCurve, flags: OcmfFlag[]): { r: bigint; s: bigint } | [OcmfReason, string] {
  const { SE, SM, SD } = record.signature;
  if (SE !== undefined && SE !== "hex" && SE !== "base64") return ["unsupported-format", `signature encoding ${SE}`];
  if (SM !== undefined && SM !== "application/x-der") return ["unsupported-format", `signature mime type ${SM}`];
  if (SE === "base64") flags.push("base64-signature");
  let bytes: Uint8Array;
  try {
    bytes = decodeText(SD, SE ?? "hex");
  } catch {
    return ["malformed", "SD does not decode"];
  }
  if (bytes[0] === 0x30) {
    try {
      const der = parseDerSignature(bytes);
      if (!der.canonical) flags.push("non-canonical-signature");
      return { r: der.r, s: der.s };
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
    }
  }
  if (SM === undefined && bytes.length === 2 * curve.size) {
    flags.push("raw-signature");
    return { r: BigInt("0x" + hex(bytes.subarray(0, curve.size))), s: BigInt("0x" + hex(bytes.subarray(curve.size))) };
  }
  return ["malformed", "SD is neither DER nor raw r‖s of the curve's size"];
}

/**
 * (curve, key, r‖s, payload) of each signature that verified, so a record checked by its meter
 * when signed and again by its reader costs one curve operation: sound because ECDSA
 * verification is deterministic. Only successes are kept; a bounded set that starts afresh when full.
 */
const MAX_VERIFIED = 8_192;
const verified = new Set<string>();

function verifiesOnce(curve: OcmfCurve, sig: Uint8Array, payloadText: string, point: Uint8Array): boolean {
  // The three hex fields have no "|", so the payload (last) is what follows the third one.
  const entry = `${curve.name}|${hex(point)}|${hex(sig)}|${payloadText}`;
  if (verified.has(entry)) return true;
  if (!ecdsaVerify(curve, sig, toUtf8Bytes(payloadText), point)) return false;
  if (verified.size >= MAX_VERIFIED) verified.clear();
  verified.add(entry);
  return true;
}

/** Verifies `raw` under `key` (SPKI DER or raw point, bytes or text). No key → `unknown-key`. */
export function verifyOcmf(raw: string, key: string | Uint8Array | OcmfPublicKey | undefined): OcmfVerdict {
  const flags: OcmfFlag[] = [];
  let record: OcmfRecord;
  try {
    record = parseOcmf(raw);
  } catch (error) {
    if (error instanceof ChargingError) return fail("malformed", error.message, flags);
    throw error;
  }
  const method = record.signature.SA ?? DEFAULT_SIGNATURE_METHOD;
  if (record.signature.SA === undefined) flags.push("default-algorithm");
  const curve = curveOfMethod(method);
  if (curve === undefined) return fail("unsupported-format", `signature method ${method}`, flags, record);
  if (key === undefined) return fail("unknown-key", "no public key for this meter", flags, record);
  let pub: OcmfPublicKey;
  try {
    pub = typeof key === "object" && "point" in key ? key : decodePublicKey(key);
  } catch (error) {
    if (error instanceof ChargingError) return fail("malformed", `public key: ${error.message}`, flags, record);
    throw error;
  }
  if (pub.raw) flags.push("raw-public-key");
  if (pub.curve !== undefined && pub.curve.name !== curve.name) {
    return fail("curve-mismatch", `record signed with ${curve.name}, key on ${pub.curve.name}`, flags, record);
  }
  try {
    curve.ecdsa.Point.fromBytes(pub.point);
  } catch {
    return fail(pub.raw ? "curve-mismatch" : "malformed", `public key is not a point of ${curve.name}`, flags, record);
  }
  const scalars = signatureScalars(record, curve, flags);
  if (Array.isArray(scalars)) return fail(scalars[0], scalars[1], flags, record);
  const n = curve.ecdsa.Point.Fn.ORDER;
  if (scalars.r <= 0n || scalars.r >= n || scalars.s <= 0n || scalars.s >= n) return fail("bad-signature", "r or s out of range", flags, record);
  const sig = new curve.ecdsa.Signature(scalars.r, scalars.s).toBytes("compact");
  if (!verifiesOnce(curve, sig, record.payloadText, pub.point)) return fail("bad-signature", "signature does not verify over the payload bytes", flags, record);
  return { valid: true, record, curve: curve.name, flags, recordHash: ocmfRecordHash(raw), publicKeyHex: hex(pub.point) };
}

/** Meter serial (`MS`) → registered public key: a record of a meter not registered is `unknown-key`. */
export class MeterKeyring {
  private readonly keys = new Map<string, OcmfPublicKey>();

  register(meterSerial: string, key: string | Uint8Array): void {
    if (typeof meterSerial !== "string" || meterSerial.length === 0) throw new ChargingError("BAD_INPUT", "meter serial must be a non-empty string");
    this.keys.set(meterSerial, decodePublicKey(key));
  }

  verify(raw: string): OcmfVerdict {
    let serial: unknown;
    try {
      serial = parseOcmf(raw).payload.MS;
    } catch {
      return verifyOcmf(raw, undefined);
    }
    return verifyOcmf(raw, typeof serial === "string" ? this.keys.get(serial) : undefined);
  }
}
