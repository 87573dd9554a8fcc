/**
 * Progress of a day: per-phase lines with counts, or a cli-progress bar per phase when the
 * output is a terminal. Silent for tests.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** A phase begins; `total` steps follow (0: a single step). */
  phase(name: string, total?: number): void;
  tick(n?: number): void;
  /** The phase ends with a line of counts. */
  done(summary: string): void;
  close(): void;
}

export const silentProgress: Progress = { phase: () => {}, tick: () => {}, done: () => {}, close: () => {} };

/** Lines on `write` (a file or pipe), or bars when `tty`. */
export function consoleProgress(write: (line: string) => void, tty: boolean): Progress {
  let bar: cliProgress.SingleBar | undefined;
  let current = "";
  let started = 0;
  return {
    phase(name, total = 0) {
      current = name;
      started = Date.now();
      if (tty && total > 1) {
        bar = new cliProgress.SingleBar({ format: `${name.padEnd(22)} [{bar}] {value}/{total}`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(total, 0);
      }
    },
    tick(n = 1) {
      bar?.increment(n);
    },
    done(summary) {
      bar?.stop();
      bar = undefined;
      write(`• ${current.padEnd(22)} ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    },
    close() {
      bar?.stop();
      bar = undefined;
    },
  };
}
