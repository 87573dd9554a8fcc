/**
 * Meter public keys as published: SPKI DER or raw points (`X‖Y` without the 0x04 prefix, or
 * with it), as hex (spaces allowed, any case) or base64. A raw point names no curve: the
 * record's signature method gives it.
 */
import { ChargingError } from "../errors.js";
import { curveOfOid, type OcmfCurve } from "./curves.js";
import { DerError, parseEcSpki } from "./der.js";

export interface OcmfPublicKey {
  /** Undefined for a raw point (the curve comes from the record's SA). */
  curve: OcmfCurve | undefined;
  /** Uncompressed or compressed SEC1 point. */
  point: Uint8Array;
  raw: boolean;
}

/** Decodes hex (with spaces, any case) or base64 text to bytes. */
export function decodeText(text: string, encoding?: "hex" | "base64"): Uint8Array {
  const t = text.trim();
  const isHex = /^[0-9a-fA-F\s]+$/.test(t) && t.replace(/\s/g, "").length % 2 === 0;
  if (encoding === "hex" || (encoding === undefined && isHex)) {
    if (!isHex) throw new ChargingError("BAD_INPUT", "not hex", {});
    return Uint8Array.from(Buffer.from(t.replace(/\s/g, ""), "hex"));
  }
  if (!/^[A-Za-z0-9+/=\s_-]+$/.test(t)) throw new ChargingError("BAD_INPUT", "neither hex nor base64", {});
  return Uint8Array.from(Buffer.from(t.replace(/\s/g, ""), "base64"));
}

/** Decodes a public key; throws `ChargingError("BAD_INPUT")` for bytes that are no EC key. */
export function decodePublicKey(key: string | Uint8Array): OcmfPublicKey {
  const bytes = typeof key === "string" ? decodeText(key) : key;
  if (bytes[0] === 0x30) {
    try {
      const spki = parseEcSpki(bytes);
      const curve = curveOfOid(spki.curveOidHex);
      if (curve === undefined) throw new ChargingError("BAD_INPUT", "public key on a curve OCMF does not name", { oid: spki.curveOidHex });
      return { curve, point: spki.point, raw: false };
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
      // Not an SPKI: fall through, a raw X‖Y may start with 0x30.
    }
  }
  if ([48, 64, 96].includes(bytes.length)) return { curve: undefined, point: Uint8Array.from([0x04, ...bytes]), raw: true };
  if ([49, 65, 97].includes(bytes.length) && bytes[0] === 0x04) return { curve: undefined, point: bytes, raw: true };
  throw new ChargingError("BAD_INPUT", "public key is neither SPKI DER nor a raw point", { length: bytes.length });
}
