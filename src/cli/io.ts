/** Output of the CLI's commands and the exit-code table they share. */

/** The exit-code table of every command (src/errors.ts; docs/cli.md and `v2g --help` show it). */
export { ExitCode } from "../errors.js";
import type { ExitCode } from "../errors.js";
export type ExitCodeValue = ExitCode;

/** Where commands write: the console in production, a buffer in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const consoleIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : text + "\n"),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : text + "\n"),
};

/** An `io` that records everything, for tests and embedding. */
export function bufferIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}
