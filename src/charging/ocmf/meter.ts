/**
 * A signing meter (EVSE or smart meter): signs its readings as OCMF records, secp256r1 by
 * default, one transaction at a time: a begin record, progress records, an end record, with a
 * pagination counter that never repeats. The signature is checked before a record is returned.
 */
import { toUtf8Bytes } from "ethers";
import { ChargingError } from "../errors.js";
import { OCMF_CURVES, type OcmfCurveName } from "./curves.js";
import { encodeDerSignature } from "./der.js";
import type { OcmfPayload, OcmfReading } from "./record.js";
import { verifyOcmf } from "./verify.js";

/** The OCMF method id of a curve (brainpool written as in the spec: `brainpool256r1`). */
export const methodOf = (curve: OcmfCurveName): string => `ECDSA-${curve}-SHA256`;

/**
 * Signs a payload: returns the record `OCMF|payload|{"SA":…,"SD":…}` (DER signature, hex). The
 * record is checked under `publicKey` (default: the key derived from `secretKey`; a meter passes
 * its own, derived once) before it is returned: a key that is not the secret's fails the check.
 */
export function signOcmf(payload: OcmfPayload, secretKey: Uint8Array, curveName: OcmfCurveName = "secp256r1", publicKey?: Uint8Array): string {
  const curve = OCMF_CURVES[curveName];
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== curve.size) {
    throw new ChargingError("BAD_INPUT", `secret key must be ${curve.size} bytes for ${curveName}`);
  }
  const payloadText = JSON.stringify(payload);
  const sig = curve.ecdsa.Signature.fromBytes(curve.ecdsa.sign(toUtf8Bytes(payloadText), secretKey, { lowS: false, format: "compact" }), "compact");
  const sd = Buffer.from(encodeDerSignature(sig.r, sig.s)).toString("hex").toUpperCase();
  const record = `OCMF|${payloadText}|${JSON.stringify({ SA: methodOf(curveName), SD: sd })}`;
  const check = verifyOcmf(record, publicKey ?? curve.ecdsa.getPublicKey(secretKey, false));
  if (!check.valid) throw new ChargingError("BAD_SIGNATURE", "own OCMF signature does not verify", { reason: check.reason });
  return record;
}

/** OCMF time with milliseconds and UTC offset, synchronised (`S`). */
export function formatOcmfTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-12-01T09:28:14.123Z
  return `${iso.slice(0, 19)},${iso.slice(20, 23)}+0000 S`;
}

export interface MeterIdentity {
  /** Meter serial (`MS`). */
  serial: string;
  /** Gateway (charger) identification (`GI`) and serial (`GS`). */
  gateway: string;
  gatewaySerial: string;
}

export class OcmfMeter {
  private page = 0;
  private open: { id: string; lastWh: number; lastAt: number } | undefined;
  /** Derived once: every record is checked under it before it leaves the meter. */
  private readonly ownKey: Uint8Array;

  constructor(
    readonly identity: MeterIdentity,
    private readonly secretKey: Uint8Array,
    readonly curve: OcmfCurveName = "secp256r1",
  ) {
    if (secretKey.length !== OCMF_CURVES[curve].size) throw new ChargingError("BAD_INPUT", `secret key must be ${OCMF_CURVES[curve].size} bytes`);
    this.ownKey = OCMF_CURVES[curve].ecdsa.getPublicKey(secretKey, false);
  }

  /** The meter's public key (uncompressed SEC1 point). */
  publicKey(): Uint8Array {
    return this.ownKey.slice();
  }

  begin(sessionId: string, at: number, wh: number): string {
    if (this.open !== undefined) throw new ChargingError("REFUSED", "a transaction is already open", { id: this.open.id });
    this.open = { id: sessionId, lastWh: wh, lastAt: at };
    return this.record("B", at, wh);
  }

  progress(at: number, wh: number): string {
    return this.record("T", at, this.advance(at, wh));
  }

  end(at: number, wh: number): string {
    const record = this.record("E", at, this.advance(at, wh));
    this.open = undefined;
    return record;
  }

  private advance(at: number, wh: number): number {
    const open = this.open;
    if (open === undefined) throw new ChargingError("REFUSED", "no open transaction");
    if (wh < open.lastWh || at < open.lastAt) throw new ChargingError("BAD_INPUT", "meter value and time must not go back", { wh, at });
    open.lastWh = wh;
    open.lastAt = at;
    return wh;
  }

  private record(tx: "B" | "T" | "E", at: number, wh: number): string {
    if (!Number.isFinite(wh) || wh < 0) throw new ChargingError("BAD_INPUT", "meter value must be a finite number ≥ 0", { wh });
    this.page += 1;
    const reading: OcmfReading = { TM: formatOcmfTime(at), TX: tx, RV: wh, RI: "1-b:1.8.0", RU: "Wh", ST: "G" };
    const payload: OcmfPayload = {
      FV: "1.0",
      GI: this.identity.gateway,
      GS: this.identity.gatewaySerial,
      GV: "1.0",
      PG: `T${this.page}`,
      MS: this.identity.serial,
      IS: false,
      IT: "NONE",
      ID: this.open!.id,
      RD: [reading],
    };
    return signOcmf(payload, this.secretKey, this.curve, this.ownKey);
  }
}
