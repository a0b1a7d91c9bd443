// One vitest run for every package; sources are resolved through the "@reprise/source" export condition.
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@reprise/source"] },
  ssr: { resolve: { conditions: ["@reprise/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
