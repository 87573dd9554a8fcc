/**
 * ECDSA verification of OCMF signatures (SHA-256 over the payload bytes) through Node's OpenSSL
 * (`node:crypto`): the same standard verdict as `@noble/curves` (no low-s rule, r and s checked
 * in range by the caller), some twenty times faster for secp256r1 on this hardware. Verification
 * handles public data only, so nothing here needs to be constant-time. A curve this Node's OpenSSL
 * does not know (or a key it will not import) is verified by `@noble/curves` instead, so the
 * verdict never depends on the build. Signing stays with `@noble/curves` (RFC 6979: a meter's
 * records repeat with its key and readings).
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import type { OcmfCurve } from "./curves.js";

/** DER of `OID 1.2.840.10045.2.1` (id-ecPublicKey). */
const EC_PUBLIC_KEY_OID = Buffer.from("06072a8648ce3d0201", "hex");
/** Imported keys kept at most; the map starts afresh beyond (a bound on memory). */
const MAX_KEYS = 4_096;

const keys = new Map<string, KeyObject | null>();

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

/** `SEQUENCE { SEQUENCE { id-ecPublicKey, curve OID }, BIT STRING point }` (the SPKI of a SEC1 point). */
export function ecSpki(curve: OcmfCurve, point: Uint8Array): Buffer {
  const algorithm = tlv(0x30, Buffer.concat([EC_PUBLIC_KEY_OID, tlv(0x06, Buffer.from(curve.oidHex, "hex"))]));
  return tlv(0x30, Buffer.concat([algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), point]))]));
}

/** The OpenSSL key of `point` on `curve`, or null when OpenSSL does not take it. */
function nativeKey(curve: OcmfCurve, point: Uint8Array): KeyObject | null {
  const id = `${curve.name}|${Buffer.from(point).toString("hex")}`;
  let key = keys.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: ecSpki(curve, point), format: "der", type: "spki" });
    } catch {
      key = null;
    }
    if (keys.size >= MAX_KEYS) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/** Whether signatures under `point` on `curve` are verified by OpenSSL (else by `@noble/curves`). */
export function verifiesNatively(curve: OcmfCurve, point: Uint8Array): boolean {
  return nativeKey(curve, point) !== null;
}

/**
 * True if `compact` (r ‖ s, each `curve.size` bytes, 1 ≤ r, s < n) is an ECDSA signature over
 * SHA-256(`payload`) by the key `point` (a SEC1 point already checked to be on `curve`).
 */
export function ecdsaVerify(curve: OcmfCurve, compact: Uint8Array, payload: Uint8Array, point: Uint8Array): boolean {
  const key = nativeKey(curve, point);
  if (key !== null) {
    try {
      return verify("sha256", payload, { key, dsaEncoding: "ieee-p1363" }, compact);
    } catch {
      // An OpenSSL that refuses the call itself: the portable verifier decides.
    }
  }
  return curve.ecdsa.verify(compact, payload, point, { lowS: false, format: "compact" });
}
