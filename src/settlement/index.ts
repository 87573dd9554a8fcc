/** Public API of the settlement bot. */
export * from "./bot.js";
export * from "./cdrTree.js";
export * from "./config.js";
export * from "./context.js";
export * from "./errors.js";
export * from "./exchange.js";
export * from "./loop.js";
export * from "./package.js";
export * from "./reasons.js";
export * from "./status.js";
export * from "./verifyClaim.js";
export { SETTLEMENT_MIGRATIONS } from "./botStore.js";
export { claimIdOf } from "./periods.js";
export { DONE_ERRORS } from "./contracts.js";
