/**
 * The curves of the OCMF signature methods (`SA`), all ECDSA with SHA-256:
 * secp192r1, secp192k1, secp256r1, secp256k1, secp384r1, brainpool256r1, brainpool384r1.
 * Names are accepted with and without the `P` of the brainpool curves
 * (`ECDSA-brainpoolP256r1-SHA256`, as real meters send, and `ECDSA-brainpool256r1-SHA256`).
 */
import { ecdsa, weierstrass, type ECDSA } from "@noble/curves/abstract/weierstrass.js";
import { brainpoolP256r1, brainpoolP384r1 } from "@noble/curves/misc.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";

export type OcmfCurveName = "secp192r1" | "secp192k1" | "secp256r1" | "secp256k1" | "secp384r1" | "brainpool256r1" | "brainpool384r1";

export interface OcmfCurve {
  name: OcmfCurveName;
  /** ECDSA over the curve with SHA-256 as the message hash (no low-s rule: meters do not apply one). */
  ecdsa: ECDSA;
  /** Byte length of a field element and of a scalar (r, s). */
  size: number;
  /** DER bytes of the curve's named-curve OID (as in an SPKI). */
  oidHex: string;
}

const secp192r1 = weierstrass({
  p: 0xfffffffffffffffffffffffffffffffeffffffffffffffffn,
  a: 0xfffffffffffffffffffffffffffffffefffffffffffffffcn,
  b: 0x64210519e59c80e70fa7e9ab72243049feb8deecc146b9b1n,
  n: 0xffffffffffffffffffffffff99def836146bc9b1b4d22831n,
  Gx: 0x188da80eb03090f67cbf20eb43a18800f4ff0afd82ff1012n,
  Gy: 0x07192b95ffc8da78631011ed6b24cdd573f977a11e794811n,
  h: 1n,
});
const secp192k1 = weierstrass({
  p: 0xfffffffffffffffffffffffffffffffffffffffeffffee37n,
  a: 0n,
  b: 3n,
  n: 0xfffffffffffffffffffffffe26f2fc170f69466a74defd8dn,
  Gx: 0xdb4ff10ec057e9ae26b07d0280b7f4341da5d1b1eae06c7dn,
  Gy: 0x9b2f2f6d9c5628a7844163d015be86344082aa88d95e2f9dn,
  h: 1n,
});

const make = (name: OcmfCurveName, point: ECDSA["Point"], size: number, oidHex: string): OcmfCurve => ({
  name,
  ecdsa: ecdsa(point, sha256, { lowS: false }),
  size,
  oidHex,
});

export const OCMF_CURVES: Readonly<Record<OcmfCurveName, OcmfCurve>> = {
  secp192r1: make("secp192r1", secp192r1, 24, "2a8648ce3d030101"),
  secp192k1: make("secp192k1", secp192k1, 24, "2b8104001f"),
  secp256r1: make("secp256r1", p256.Point, 32, "2a8648ce3d030107"),
  secp256k1: make("secp256k1", secp256k1.Point, 32, "2b8104000a"),
  secp384r1: make("secp384r1", p384.Point, 48, "2b81040022"),
  brainpool256r1: make("brainpool256r1", brainpoolP256r1.Point, 32, "2b2403030208010107"),
  brainpool384r1: make("brainpool384r1", brainpoolP384r1.Point, 48, "2b240303020801010b"),
};

/** The default signature method when a record leaves `SA` out. */
export const DEFAULT_SIGNATURE_METHOD = "ECDSA-secp256r1-SHA256";

/** The curve of a signature method id, or undefined when the method is not one of OCMF's. */
export function curveOfMethod(method: string): OcmfCurve | undefined {
  const m = /^ECDSA-(secp192r1|secp192k1|secp256r1|secp256k1|secp384r1|brainpoolP?256r1|brainpoolP?384r1)-SHA256$/.exec(method);
  if (m === null) return undefined;
  const name = m[1]!.replace("brainpoolP", "brainpool") as OcmfCurveName;
  return OCMF_CURVES[name];
}

export function curveOfOid(oidHex: string): OcmfCurve | undefined {
  return Object.values(OCMF_CURVES).find((c) => c.oidHex === oidHex.toLowerCase());
}
