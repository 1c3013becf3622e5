import { defineConfig } from "vitest/config";
import { nodeAliases } from "./scripts/package-names.js";

export default defineConfig({
  // `resolute`, `resolute/sdk`, … resolve to the sources here, as tsconfig.json's paths do for tsc and esbuild.
  resolve: { alias: nodeAliases() },
  test: {
    include: ["test/**/*.test.ts"],
    // Worker tests each start workerd; on a 2-core machine running files one at a time is faster
    // and keeps timing-sensitive tests honest.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
