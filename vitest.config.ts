import { defineConfig } from "vitest/config";

// One runner for the whole workspace. Unit tests live beside the code as `*.test.ts`;
// cross-package and browser tests live in `tests/`.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "shared", include: ["shared/src/**/*.test.ts"] } },
      { test: { name: "runner", include: ["runner/src/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        test: {
          name: "tests",
          include: ["tests/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
