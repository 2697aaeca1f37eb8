import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHealthHandler } from "../../src/http/health-routes.js";
import { startHealthServer } from "../../src/http/start-health-server.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";

let dataDir: string;
let queue: SqliteJobQueue;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "pw-health-server-"));
  queue = new SqliteJobQueue({ path: ":memory:" });
});

afterEach(async () => {
  await queue.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface ErrorBody {
  error: { code: string; message: string };
}

describe("startHealthServer", () => {
  it("serves the routes on their own port for a worker, 404 in the error shape for the rest", async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    metrics.costUsd.add("claude-x", 1.5);
    const handler = createHealthHandler({ queue, dataDir, registry: metrics.registry, startedAt: Date.now() });
    const health = await startHealthServer(handler, { port: 0, host: "127.0.0.1" });
    try {
      expect(health.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${health.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${health.url}/metrics`)).text()).toContain('planwright_cost_usd_total{model="claude-x"} 1.5');
      const other = await fetch(`${health.url}/api/github/webhooks`, { method: "POST" });
      expect(other.status).toBe(404);
      expect(((await other.json()) as ErrorBody).error.code).toBe("not_found");
    } finally {
      await health.close();
    }
  });

  it("fails to start on a port that is taken", async () => {
    const handler = createHealthHandler({ queue, dataDir, registry: new Registry(), startedAt: Date.now() });
    const first = await startHealthServer(handler, { port: 0, host: "127.0.0.1" });
    try {
      const port = Number(new URL(first.url).port);
      await expect(startHealthServer(handler, { port, host: "127.0.0.1" })).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await first.close();
    }
  });
});
