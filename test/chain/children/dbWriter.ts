/**
 * Child process for the database crash tests. Commits batches of rows (one transaction each) and
 * prints `ack <batch>` after each COMMIT returned; then, by mode:
 *  - `kill`: opens a transaction, writes rows, prints `mid` and keeps writing until SIGKILLed;
 *  - `exit`: opens a transaction, writes rows and calls `process.exit(1)` inside it;
 *  - `stream`: keeps committing batches until SIGKILLed at a random moment.
 * Runs only as a script (`node --import tsx dbWriter.ts <db> <mode>`), never when imported.
 */
import { pathToFileURL } from "node:url";
import { BotDatabase } from "../../../src/chain/db.js";

export const ROWS_PER_BATCH = 100;
export const COMMITTED_BATCHES = 20;
export const CRASH_SCHEMA = [
  "CREATE TABLE rows (batch INTEGER NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (batch, seq)) STRICT",
];

function main(path: string, mode: "kill" | "exit" | "stream"): void {
  const db = BotDatabase.open(path);
  db.migrate("crash-test", CRASH_SCHEMA);
  const payload = "x".repeat(256);
  const insert = (batch: number, seq: number) => db.run("INSERT INTO rows (batch, seq, payload) VALUES (?, ?, ?)", batch, seq, payload);
  for (let batch = 0; ; batch++) {
    if (mode !== "stream" && batch === COMMITTED_BATCHES) {
      db.transaction(() => {
        for (let seq = 0; ; seq++) {
          if (seq < 200_000) insert(batch, seq);
          if (seq === 5_000) {
            if (mode === "exit") process.exit(1);
            process.stdout.write("mid\n");
          }
        }
      });
    }
    db.transaction(() => {
      for (let seq = 0; seq < ROWS_PER_BATCH; seq++) insert(batch, seq);
    });
    process.stdout.write(`ack ${batch}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]!, process.argv[3] as "kill" | "exit" | "stream");
}
