import { defineConfig } from "vitest/config";

// `npm run test:docker`: builds the image and runs docker-compose.yml against
// fakes on this machine. Needs a Docker engine; not part of `npm test`.
export default defineConfig({
  test: {
    include: ["test/docker/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
    pool: "forks",
    fileParallelism: false,
  },
});
