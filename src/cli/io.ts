/** Output and exit codes shared by every command of the CLI. */

/** Exit codes of the CLI (documented in `--help` and docs/evidence-bundle.md). */
export const ExitCode = {
  /** The command did what was asked and the result is good (e.g. a bundle verified). */
  Ok: 0,
  /** The command ran and the result is bad (e.g. a bundle with an invalid item). */
  NotOk: 1,
  /** Bad input: an argument, a file or the chain could not be used. */
  BadInput: 2,
  /** The thing asked for does not exist (e.g. no evidence for the session). */
  NotFound: 3,
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
