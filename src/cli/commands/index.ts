/**
 * The CLI's commands. To add one, write `commands/<name>.ts` with a `run<Name>` function that
 * tests can call and a `register<Name>(program, ctx)`, then list it here. A command module loads
 * what its command needs inside `run<Name>` (dynamic imports), so `v2g --help` loads none of it.
 */
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { registerArbiter } from "./arbiter.js";
import { registerCdr } from "./cdr.js";
import { registerDeploy } from "./deploy.js";
import { registerDispute } from "./dispute.js";
import { registerNode } from "./node.js";
import { registerRegistry } from "./registry.js";
import { registerServices } from "./services.js";
import { registerSettlementBot } from "./settlementBot.js";
import { registerSupplier } from "./supplier.js";
import { registerVerify } from "./verify.js";

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly RegisterCommand[] = [
  registerNode,
  registerDeploy,
  registerRegistry,
  registerSupplier,
  registerCdr,
  registerSettlementBot,
  registerDispute,
  registerVerify,
  registerArbiter,
  registerServices,
];
