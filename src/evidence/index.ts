/** Public API of the evidence layer. */
export * from "./anchor.js";
export * from "./bundle.js";
export * from "./chainView.js";
export * from "./codec.js";
export * from "./contracts.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./merkle.js";
export type * from "./messages.js";
export * from "./sign.js";
export * from "./store.js";
export * from "./storeBatches.js";
export { STORE_SCHEMA_VERSION } from "./storeDb.js";
export * from "./types.js";
export * from "./verify.js";
