/**
 * The EvidenceLedger and ParticipantRegistry as ethers contracts (the committed ABIs), and failed
 * calls as `EvidenceError("CHAIN")` with the error's name and arguments (decoded by the chain
 * layer's one mapper, src/chain/decode.ts).
 */
import { Contract, Interface, type ContractRunner } from "ethers";
import { EvidenceLedgerAbi, ParticipantRegistryAbi } from "../chain/abi/index.js";
import { revertOf as chainRevertOf, toChainError } from "../chain/decode.js";
import { EvidenceError } from "./errors.js";

let errorsInterface: Interface | undefined;

/** The ledger's and the registry's ABIs together: every custom error a ledger call can raise. */
export function evidenceErrorsInterface(): Interface {
  errorsInterface ??= new Interface([
    ...EvidenceLedgerAbi,
    ...ParticipantRegistryAbi.filter((f) => f.type === "error"),
  ]);
  return errorsInterface;
}

export function ledgerAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, EvidenceLedgerAbi, runner);
}

export function registryAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, ParticipantRegistryAbi, runner);
}

/** Name and arguments of the custom error a failed call reverted with, if it can be decoded. */
export function revertOf(error: unknown): { name: string; args: unknown[] } | null {
  const revert = chainRevertOf(error);
  return revert?.name ? { name: revert.name, args: revert.args } : null;
}

/**
 * Wraps a failed chain call as `EvidenceError("CHAIN")` over the chain layer's typed error
 * (`toChainError`), with the decoded revert's name and arguments in its details.
 */
export function chainError(action: string, error: unknown): EvidenceError {
  if (error instanceof EvidenceError) return error;
  const mapped = toChainError(action, error);
  if (mapped.code === "REVERTED" && mapped.details.error) {
    return new EvidenceError("CHAIN", mapped.message, { action, error: mapped.details.error, args: mapped.details.args }, mapped);
  }
  const code = (error as { code?: unknown } | null)?.code;
  return new EvidenceError("CHAIN", `${action} failed`, { action, error: typeof code === "string" ? code : mapped.code }, mapped);
}
