import { defineConfig } from "vitest/config";

// Two layers, run separately by scripts/test.sh so each reports its own count:
//   unit: node, mocked browser APIs where needed (tests-js/unit)
//   page: real headless Chromium via playwright-core (tests-js/page)
export default defineConfig({
  test: {
    include: [process.env.VITEST_LAYER === "page" ? "tests-js/page/**/*.test.ts" : "tests-js/unit/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: process.env.VITEST_LAYER !== "page",
  },
});
