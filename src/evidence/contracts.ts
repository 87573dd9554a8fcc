/**
 * The EvidenceLedger and ParticipantRegistry as ethers contracts (the committed ABIs), and the
 * decoding of their custom errors into `EvidenceError("CHAIN")` with the error's name and arguments.
 */
import { Contract, Interface, isError, type ContractRunner } from "ethers";
import { EvidenceLedgerAbi, ParticipantRegistryAbi } from "../chain/abi/index.js";
import { ethersRevertOf } from "../chain/decode.js";
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
  return ethersRevertOf(error, evidenceErrorsInterface());
}

/** Wraps a failed chain call as `EvidenceError("CHAIN")`, with the decoded revert in its details. */
export function chainError(action: string, error: unknown): EvidenceError {
  if (error instanceof EvidenceError) return error;
  const revert = revertOf(error);
  if (revert) {
    const args = revert.args.map((a) => (typeof a === "bigint" ? a.toString() : a));
    return new EvidenceError(
      "CHAIN",
      `${action} reverted with ${revert.name}`,
      { action, error: revert.name, args },
      error,
    );
  }
  const code = isError(error, "CALL_EXCEPTION") ? "CALL_EXCEPTION" : ((error as { code?: string })?.code ?? "UNKNOWN");
  return new EvidenceError("CHAIN", `${action} failed`, { action, error: code }, error);
}
