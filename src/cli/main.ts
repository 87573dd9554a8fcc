#!/usr/bin/env node
/** Entry point of `npm run cli -- <command>`; everything else lives in program.ts and commands/. */
import { consoleIo } from "./io.js";
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2), consoleIo);
// Done: a connection a node never answered must not keep the process alive. The timer does not
// hold the process itself, so a clean run exits at once without it.
setTimeout(() => process.exit(), 200).unref();
