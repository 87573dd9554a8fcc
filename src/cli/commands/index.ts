/**
 * The CLI's commands. To add one, write `commands/<name>.ts` with a `run<Name>` function that
 * tests can call and a `register<Name>(program, ctx)`, then list it here.
 */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { registerBundle } from "./bundle.js";
import { registerServices } from "./services.js";
import { registerSettlementBot } from "./settlementBot.js";
import { registerVerify } from "./verify.js";

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly RegisterCommand[] = [registerVerify, registerBundle, registerSettlementBot, registerServices];
