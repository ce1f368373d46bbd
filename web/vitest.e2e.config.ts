import { defineConfig } from "vitest/config";

// The browser test drives Debian's Chromium against a real, already running server.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
