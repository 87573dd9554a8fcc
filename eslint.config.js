// The TypeScript lint of `npm run lint`: ESLint's and typescript-eslint's recommended rules (not type-checked).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["artifacts/", "cache/", "node_modules/", "out/", "coverage/", "types/", "src/chain/abi/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.js", "**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: {
        console: "readonly", process: "readonly", Buffer: "readonly", URL: "readonly", fetch: "readonly",
        setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly",
        setImmediate: "readonly", AbortSignal: "readonly", AbortController: "readonly", TextEncoder: "readonly",
        TextDecoder: "readonly", structuredClone: "readonly", performance: "readonly", queueMicrotask: "readonly",
        globalThis: "readonly", crypto: "readonly", WebAssembly: "readonly", Response: "readonly", Request: "readonly",
        Headers: "readonly", document: "readonly", window: "readonly", NodeJS: "readonly",
      },
    },
    rules: {
      // Leaving fields out of a copy by destructuring them away (`const { a: _a, ...rest } = x`) is intended.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
);
