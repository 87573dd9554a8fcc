/** PKCS#8 DER of an EC secret key with the curve OID inside the inner ECPrivateKey (what @road-labs/ocmf-crypto-noble reads). */
import { OCMF_CURVES, type OcmfCurveName } from "../../../src/charging/ocmf/curves.js";

const tlv = (tag: number, body: number[]): number[] => {
  if (body.length < 0x80) return [tag, body.length, ...body];
  return [tag, 0x81, body.length, ...body];
};

export function pkcs8(curveName: OcmfCurveName, secret: Uint8Array): Uint8Array {
  const oid = [...Buffer.from(OCMF_CURVES[curveName].oidHex, "hex")];
  const curveOid = tlv(0x06, oid);
  const ecPrivateKey = tlv(0x30, [...tlv(0x02, [1]), ...tlv(0x04, [...secret]), ...tlv(0xa0, curveOid)]);
  const algorithm = tlv(0x30, [...tlv(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), ...curveOid]);
  return Uint8Array.from(tlv(0x30, [...tlv(0x02, [0]), ...algorithm, ...tlv(0x04, ecPrivateKey)]));
}
