import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Two layers, run separately by scripts/test.sh so each reports its own count:
//   unit: node, mocked browser APIs where needed (tests-js/unit)
//   page: real headless Chromium via playwright-core (tests-js/page)
// The unit layer loads pkg-debug/ (scripts/build.sh with BUILD_DEBUG_PKG=1):
// the shipped wasm plus debugPanic, which the trap-recovery tests call.
const page = process.env.VITEST_LAYER === "page";
export default defineConfig({
  resolve: {
    alias: page
      ? []
      : [
          { find: /^\.\.\/pkg\/runtime_wasm\.js$/, replacement: fileURLToPath(new URL("./pkg-debug/runtime_wasm.js", import.meta.url)) },
          // go-net-wasm/wasip2 is for pages: its streams are preview2-shim's browser io.
          { find: /^@bytecodealliance\/preview2-shim\/io$/, replacement: fileURLToPath(new URL("./node_modules/@bytecodealliance/preview2-shim/dist/browser/io.js", import.meta.url)) },
        ],
  },
  test: {
    include: [page ? "tests-js/page/**/*.test.ts" : "tests-js/unit/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: !page,
  },
});
