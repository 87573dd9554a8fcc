/** The little DER this layer reads: SubjectPublicKeyInfo of an EC key and ECDSA-Sig-Value. */
import { CodedError, ExitCode, type ExitCodeTable } from "../../errors.js";

export interface Tlv {
  tag: number;
  /** Offset of the value's first byte. */
  start: number;
  /** Offset after the value. */
  end: number;
}

/** DER that this reader refuses (truncated, unsupported, not the expected structure): bad input. */
export class DerError extends CodedError<"DER"> {
  override readonly name = "DerError";

  constructor(message: string) {
    super("DER", message);
  }

  protected get exitCodes(): ExitCodeTable<"DER"> {
    return { DER: ExitCode.Usage };
  }
}

/** Reads one tag-length-value at `offset` (definite lengths only). `minimal` is false for a non-minimal length. */
export function readTlv(bytes: Uint8Array, offset: number): Tlv & { minimalLength: boolean } {
  if (offset + 2 > bytes.length) throw new DerError("truncated");
  const tag = bytes[offset]!;
  let len = bytes[offset + 1]!;
  let pos = offset + 2;
  let minimalLength = true;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || pos + n > bytes.length) throw new DerError("unsupported length");
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | bytes[pos + i]!;
    pos += n;
    if (len < 0x80 || (n > 1 && bytes[pos - n] === 0)) minimalLength = false;
  }
  if (pos + len > bytes.length) throw new DerError("truncated value");
  return { tag, start: pos, end: pos + len, minimalLength };
}

export interface EcSpki {
  /** DER of the named-curve OID's value, hex. */
  curveOidHex: string;
  /** The public point as encoded (0x04 ‖ X ‖ Y, or compressed). */
  point: Uint8Array;
}

const EC_PUBLIC_KEY_OID = "2a8648ce3d0201";
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Parses `SEQUENCE { SEQUENCE { OID ecPublicKey, OID curve }, BIT STRING point }`. */
export function parseEcSpki(bytes: Uint8Array): EcSpki {
  const outer = readTlv(bytes, 0);
  if (outer.tag !== 0x30 || outer.end !== bytes.length) throw new DerError("not a SEQUENCE");
  const alg = readTlv(bytes, outer.start);
  if (alg.tag !== 0x30) throw new DerError("no AlgorithmIdentifier");
  const keyOid = readTlv(bytes, alg.start);
  if (keyOid.tag !== 0x06 || hex(bytes.subarray(keyOid.start, keyOid.end)) !== EC_PUBLIC_KEY_OID) throw new DerError("not an EC key");
  const curveOid = readTlv(bytes, keyOid.end);
  if (curveOid.tag !== 0x06 || curveOid.end !== alg.end) throw new DerError("no named curve");
  const bits = readTlv(bytes, alg.end);
  if (bits.tag !== 0x03 || bits.end !== outer.end || bytes[bits.start] !== 0) throw new DerError("bad BIT STRING");
  return { curveOidHex: hex(bytes.subarray(curveOid.start, curveOid.end)), point: bytes.subarray(bits.start + 1, bits.end) };
}

export interface DerSignature {
  r: bigint;
  s: bigint;
  /** False when an integer or a length is not minimally encoded, or an integer's sign bit is set. */
  canonical: boolean;
}

function readUnsigned(bytes: Uint8Array, tlv: Tlv): { value: bigint; canonical: boolean } {
  const body = bytes.subarray(tlv.start, tlv.end);
  if (body.length === 0) throw new DerError("empty INTEGER");
  let canonical = true;
  if (body[0]! & 0x80) canonical = false; // negative in DER; read as unsigned
  if (body.length > 1 && body[0] === 0 && (body[1]! & 0x80) === 0) canonical = false; // a needless leading zero
  return { value: BigInt("0x" + hex(body)), canonical };
}

/** Parses `SEQUENCE { INTEGER r, INTEGER s }`, tolerating (and reporting) non-minimal encodings. */
export function parseDerSignature(bytes: Uint8Array): DerSignature {
  const seq = readTlv(bytes, 0);
  if (seq.tag !== 0x30 || seq.end !== bytes.length) throw new DerError("not a SEQUENCE");
  const rT = readTlv(bytes, seq.start);
  if (rT.tag !== 0x02) throw new DerError("r is not an INTEGER");
  const sT = readTlv(bytes, rT.end);
  if (sT.tag !== 0x02 || sT.end !== seq.end) throw new DerError("s is not an INTEGER");
  const r = readUnsigned(bytes, rT);
  const s = readUnsigned(bytes, sT);
  return { r: r.value, s: s.value, canonical: r.canonical && s.canonical && seq.minimalLength && rT.minimalLength && sT.minimalLength };
}

/** DER-encodes (r, s) minimally. */
export function encodeDerSignature(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint): number[] => {
    let h = v.toString(16);
    if (h.length % 2) h = "0" + h;
    const b = [...Buffer.from(h, "hex")];
    if (b[0]! & 0x80) b.unshift(0);
    return [0x02, b.length, ...b];
  };
  const body = [...int(r), ...int(s)];
  return Uint8Array.from([0x30, body.length, ...body]);
}
