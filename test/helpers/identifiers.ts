/**
 * Plaintext identifiers used by the tests (vehicle, user, contract and charger ids). They may
 * only reach the chain salted; the event audit checks that no event holds one of them in any
 * recognisable form.
 */
import { keccak256, randomBytes, hexlify, sha256, toUtf8Bytes, encodeBytes32String, concat } from "ethers";

export const PLAINTEXT_IDS = [
  "WVWZZZ1KZAW000001", // a vehicle identification number
  "WBA8E9G51GNT00042",
  "alice@example.org", // a user
  "bob@example.org",
  "DE*S2B*C0000000042*7", // an e-mobility contract id
  "DE*S2A*E000123*1", // an EVSE id
] as const;

/** A fresh salted identifier for a plaintext id: keccak256(salt ‖ id). */
export function saltedId(plain: string, salt: Uint8Array = randomBytes(32)): string {
  return keccak256(concat([salt, toUtf8Bytes(plain)]));
}

/** The recognisable forms of a plaintext id that must never appear on-chain. */
export function forbiddenForms(plain: string): string[] {
  const utf8 = toUtf8Bytes(plain);
  const forms = [hexlify(utf8), keccak256(utf8), sha256(utf8)];
  if (utf8.length <= 31) forms.push(encodeBytes32String(plain));
  return forms.map((f) => f.toLowerCase());
}
