/** Typed errors of the local nodes (the embedded network served on loopback, `hardhat node`, Anvil). */
import { CodedError, ExitCode, type ExitCodeTable } from "../errors.js";

export type LocalNodeErrorCode =
  /** The requested port on 127.0.0.1 is taken by another process. */
  | "PORT_IN_USE"
  /** The node's program is not installed (e.g. Anvil's platform package is missing for this platform). */
  | "NOT_INSTALLED"
  /** The node exited or could not listen before it was ready; `details.output` holds its last output. */
  | "START_FAILED"
  /** The node did not answer `eth_chainId` in time. */
  | "START_TIMEOUT"
  /** The node answered, but not as a local development chain should (a wrong chain id, other accounts). */
  | "UNEXPECTED_NODE";

export class LocalNodeError extends CodedError<LocalNodeErrorCode> {
  override readonly name = "LocalNodeError";

  protected get exitCodes(): ExitCodeTable<LocalNodeErrorCode> {
    return { PORT_IN_USE: ExitCode.Unavailable, NOT_INSTALLED: ExitCode.Usage, START_FAILED: ExitCode.Unavailable, START_TIMEOUT: ExitCode.Unavailable, UNEXPECTED_NODE: ExitCode.Unavailable };
  }
}
