#!/usr/bin/env node
/** Entry point of `npm run cli -- <command>`; everything else lives in program.ts and commands/. */
import { consoleIo } from "./io.js";
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2), consoleIo);
