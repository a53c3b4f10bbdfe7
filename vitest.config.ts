import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Many tests spawn the CLI or train on real data; a loaded 2-core machine needs the margin.
    testTimeout: 30_000,
  },
});
