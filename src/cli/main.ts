/** Entry point of the `v2g` command (bin/v2g.mjs) and of `npm run cli -- <command>`. */
import { consoleIo } from "./io.js";
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2), consoleIo);
// Done: a connection a node never answered must not keep the process alive. The timer does not
// hold the process itself, so a clean run exits at once without it.
setTimeout(() => process.exit(), 200).unref();
