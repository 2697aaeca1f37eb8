import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The Docker tests need a Docker engine and build the image: `npm run test:docker`.
    exclude: [...configDefaults.exclude, "test/docker/**"],
    // Real git repos, real processes and a real HTTP server: give them room,
    // but keep a hung test from stalling CI forever.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Probot reads these at construction; tests pass explicit values instead.
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
    pool: "forks",
  },
});
