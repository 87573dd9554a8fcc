/**
 * Registration of signing keys with proof of possession and consent (ParticipantRegistry
 * `addSigningKey`). The new key signs the EIP-712 `KeyBinding` (registry, chain id, participant,
 * key, validity), so nobody registers a key it does not hold; when the registrar enrols the key,
 * the participant consents by signing the same binding with its account or one of its current keys.
 * `registerSigningKey` is the one way this code base adds a key.
 */
import {
  getAddress,
  TypedDataEncoder,
  type ContractRunner,
  type Signer,
  type TransactionReceipt,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { chainError, registryAt } from "./contracts.js";
import { EvidenceError } from "./errors.js";

export const REGISTRY_DOMAIN_NAME = "V2G Participant Registry";
export const REGISTRY_DOMAIN_VERSION = "1";

/** A key bound to a participant for `[validFrom, validUntil)`. */
export interface KeyBinding {
  participant: string;
  key: string;
  validFrom: bigint;
  validUntil: bigint;
}

export const KEY_BINDING_TYPES: Record<string, TypedDataField[]> = {
  KeyBinding: [
    { name: "participant", type: "address" },
    { name: "key", type: "address" },
    { name: "validFrom", type: "uint40" },
    { name: "validUntil", type: "uint40" },
  ],
};

/** The registry's EIP-712 domain: binds a key binding to one chain and one registry. */
export function registryDomain(chainId: bigint | number, registry: string): TypedDataDomain {
  return { name: REGISTRY_DOMAIN_NAME, version: REGISTRY_DOMAIN_VERSION, chainId: BigInt(chainId), verifyingContract: registry };
}

/** The digest the key (proof of possession) and the consenting participant sign. */
export function keyBindingDigest(domain: TypedDataDomain, binding: KeyBinding): string {
  return TypedDataEncoder.hash(domain, KEY_BINDING_TYPES, binding);
}

/** `signer`'s signature over `binding`: the key's proof of possession, or the participant's consent. */
export function signKeyBinding(signer: Signer, domain: TypedDataDomain, binding: KeyBinding): Promise<string> {
  return signer.signTypedData(domain, KEY_BINDING_TYPES, binding);
}

/** A ParticipantRegistry contract connected to the caller (any ethers contract of it). */
export interface KeyRegistryContract {
  readonly runner: ContractRunner | null;
  getAddress(): Promise<string>;
}

export interface RegisterKeyOptions {
  /** Who consents when the caller is not the participant: its account, or one of its keys valid now. */
  consent?: Signer;
}

/**
 * Registers `key` for `binding.participant`, valid in `[validFrom, validUntil)`, through
 * `registry` as connected (to the participant itself, or to the registrar with `options.consent`).
 * The key signs its binding here. Waits for the transaction; a revert is `EvidenceError("CHAIN")`
 * with the registry's custom error, a missing consent `EvidenceError("BAD_INPUT")`.
 */
export async function registerSigningKey(
  registry: KeyRegistryContract,
  key: Signer,
  binding: Omit<KeyBinding, "key">,
  options: RegisterKeyOptions = {},
): Promise<TransactionReceipt> {
  const caller = registry.runner as Signer | null;
  if (!caller || typeof caller.getAddress !== "function" || !caller.provider) {
    throw new EvidenceError("BAD_INPUT", "the registry must be connected to a signer with a provider");
  }
  const full: KeyBinding = {
    participant: getAddress(binding.participant),
    key: getAddress(await key.getAddress()),
    validFrom: binding.validFrom,
    validUntil: binding.validUntil,
  };
  const self = getAddress(await caller.getAddress()) === full.participant;
  if (!self && !options.consent) {
    throw new EvidenceError("BAD_INPUT", "the registrar needs the participant's consent to bind a key", {
      participant: full.participant,
    });
  }
  const { chainId } = await caller.provider.getNetwork();
  const address = await registry.getAddress();
  const domain = registryDomain(chainId, address);
  const keyProof = await signKeyBinding(key, domain, full);
  const consent = self ? "0x" : await signKeyBinding(options.consent!, domain, full);
  try {
    const contract = registryAt(address, caller);
    const tx = await contract.addSigningKey!(full.participant, full.key, full.validFrom, full.validUntil, keyProof, consent);
    const receipt = (await tx.wait()) as TransactionReceipt | null;
    if (!receipt || receipt.status !== 1) throw new EvidenceError("CHAIN", "addSigningKey failed", { txHash: tx.hash });
    return receipt;
  } catch (error) {
    throw chainError("addSigningKey", error);
  }
}
