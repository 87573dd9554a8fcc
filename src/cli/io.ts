/** Output of the CLI's commands and the exit-code table they share. */

/**
 * Exit codes of every command (the table in docs/cli.md and `v2g --help`):
 * 0 ok; 1 the command ran and the answer is "no" (a bundle invalid, a check failed); 2 usage
 * (a bad argument, config or input file); 3 unavailable (a node or service unreachable or timed
 * out: retry later); 4 refused (the chain or a service refused: a revert, not authorised);
 * 5 not found (session, claim, digest, file unknown); 10 internal (a bug). A long-running
 * command stopped by SIGTERM or SIGINT that shut down cleanly exits 0.
 */
export const ExitCode = {
  Ok: 0,
  Negative: 1,
  Usage: 2,
  Unavailable: 3,
  Refused: 4,
  NotFound: 5,
  Internal: 10,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

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
