import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Probot, Server } from "probot";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHealthHandler } from "../../src/http/health-routes.js";
import type { HealthDependencies } from "../../src/http/health-routes.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { freePort } from "../helpers/free-port.js";
import { TEST_PRIVATE_KEY } from "../helpers/probot.js";

let dataDir: string;
let queue: SqliteJobQueue;
const servers: http.Server[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "pw-health-"));
  queue = new SqliteJobQueue({ path: ":memory:" });
});

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await queue.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Mounts the handler the way Probot's server does: first handler to return true wins, else 404. */
async function serve(overrides: Partial<HealthDependencies> = {}): Promise<string> {
  const handler = createHealthHandler({
    queue,
    dataDir,
    registry: createMetrics(new Registry(), { defaultMetrics: false }).registry,
    startedAt: Date.now(),
    ...overrides,
  });
  const server = http.createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404, { "Content-Type": "text/plain" }).end("not mine");
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface ErrorBody {
  error: { code: string; message: string };
}

describe("GET /healthz", () => {
  it("answers 200 with the process's uptime", async () => {
    const url = await serve({ startedAt: 1_000_000, now: () => 1_000_000 + 93_700 });
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ status: "ok", uptimeSeconds: 93 });
  });

  it("answers HEAD without a body and ignores a query string", async () => {
    const url = await serve();
    const head = await fetch(`${url}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const withQuery = await fetch(`${url}/healthz?probe=kubelet`);
    expect(withQuery.status).toBe(200);
  });
});

describe("GET /readyz", () => {
  it("is ready when the queue answers and the data directory takes a write, and leaves no probe file behind", async () => {
    const url = await serve();
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready" });
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("creates a missing data directory rather than calling it unready", async () => {
    const url = await serve({ dataDir: path.join(dataDir, "not", "yet") });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it("is not ready when the data directory cannot be written", async () => {
    // Root ignores permission bits, so a path under a regular file stands in for a read-only disk.
    const file = path.join(dataDir, "a-file");
    await writeFile(file, "not a directory");
    const url = await serve({ dataDir: path.join(file, "data") });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).toContain("data directory");
    expect(body.error.message).toContain("ENOTDIR");
    expect(body.error.message).toContain("PLANWRIGHT_DATA_DIR");
    expect(body.error.message).not.toContain("job queue");
  });

  it("is not ready when the queue fails, without showing the error's text", async () => {
    const warnings: string[] = [];
    const url = await serve({
      queue: { get: () => Promise.reject(new Error("connect ECONNREFUSED 10.1.2.3:6379 internal detail")) },
      log: { warn: (_obj, msg) => warnings.push(msg) },
    });
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).toMatch(/job queue failed/);
    expect(body.error.message).toContain("REDIS_URL");
    expect(body.error.message).not.toContain("10.1.2.3");
    expect(warnings).toContain("readyz: the job queue failed");
  });

  it("is not ready when the queue throws instead of rejecting", async () => {
    const url = await serve({
      queue: {
        get: () => {
          throw new Error("not connected");
        },
      },
    });
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
  });

  it("is not ready when the real queue has been closed", async () => {
    const url = await serve();
    await queue.close();
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/job queue failed/);
  });

  it("gives up on a queue that hangs and says how long it waited", async () => {
    const url = await serve({ queue: { get: () => new Promise(() => undefined) }, readyTimeoutMs: 150 });
    const started = Date.now();
    const res = await fetch(`${url}/readyz`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.status).toBe(503);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/did not answer within 0\.15 s/);
  });

  it("waits 2 s for the queue by default", async () => {
    const url = await serve({ queue: { get: () => new Promise(() => undefined) } });
    const started = Date.now();
    const res = await fetch(`${url}/readyz`);
    const waited = Date.now() - started;
    expect(res.status).toBe(503);
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(4_000);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/within 2 s/);
  });

  it("lists every failing check in one message", async () => {
    const file = path.join(dataDir, "a-file");
    await writeFile(file, "");
    const url = await serve({ queue: { get: () => Promise.reject(new Error("down")) }, dataDir: path.join(file, "x") });
    const body = (await (await fetch(`${url}/readyz`)).json()) as ErrorBody;
    expect(body.error.message).toMatch(/job queue failed.*data directory .* is not writable/s);
  });
});

describe("GET /metrics", () => {
  it("serves the registry's Prometheus text with its content type", async () => {
    const metrics = createMetrics(new Registry(), { countJobsByState: async () => ({ queued: 4 }) });
    metrics.tokens.add("claude-x", "cache_read", 1234);
    metrics.runDuration.observe("verify", 12);
    const url = await serve({ registry: metrics.registry });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(metrics.registry.contentType);
    const text = await res.text();
    expect(text).toContain('planwright_tokens_total{model="claude-x",kind="cache_read"} 1234');
    expect(text).toContain('planwright_jobs{state="queued"} 4');
    expect(text).toContain('planwright_run_phase_duration_seconds_sum{phase="verify"} 12');
    for (const name of ["planwright_cost_usd_total", "planwright_webhook_duration_seconds", "planwright_errors_total", "process_resident_memory_bytes"]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it("answers 500 in the error shape when the registry fails", async () => {
    const url = await serve({
      registry: { contentType: "text/plain; version=0.0.4; charset=utf-8", metrics: () => Promise.reject(new Error("secret detail")) },
    });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe("metrics_failed");
    expect(body.error.message).not.toContain("secret detail");
  });
});

describe("GET /metrics with PLANWRIGHT_METRICS_TOKEN", () => {
  const token = "s3cret-metrics-token-0123456789";

  it("stays open when no token is configured", async () => {
    const url = await serve();
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("# TYPE planwright_jobs");
  });

  it("answers 401 with a bearer challenge and the error shape when no credentials are sent", async () => {
    const url = await serve({ metricsToken: token });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="planwright-metrics"');
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.message).toContain("PLANWRIGHT_METRICS_TOKEN");
    expect(body.error.message).toContain("Authorization: Bearer");
    expect(body.error.message).not.toContain(token);
  });

  it.each([
    ["a wrong token", `Bearer ${token}x`],
    ["a token of another length", "Bearer short"],
    ["the token with another scheme", `Basic ${token}`],
    ["the bare token", token],
    ["an empty bearer", "Bearer "],
  ])("answers 401 for %s, never echoing what was sent", async (_case, authorization) => {
    const warnings: string[] = [];
    const url = await serve({ metricsToken: token, log: { warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`) } });
    const res = await fetch(`${url}/metrics`, { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="planwright-metrics"');
    const text = await res.text();
    expect(((JSON.parse(text) as ErrorBody).error.code)).toBe("unauthorized");
    expect(text).not.toContain(token);
    expect(warnings.join("\n")).not.toContain(token);
  });

  it("serves the metrics for the right token, with the scheme in any case", async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    metrics.costUsd.add("claude-x", 2.25);
    const url = await serve({ registry: metrics.registry, metricsToken: token });
    for (const scheme of ["Bearer", "bearer"]) {
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `${scheme} ${token}` } });
      expect(res.status, scheme).toBe(200);
      expect(res.headers.get("content-type")).toBe(metrics.registry.contentType);
      expect(await res.text()).toContain('planwright_cost_usd_total{model="claude-x"} 2.25');
    }
  });

  it("asks HEAD for the token too", async () => {
    const url = await serve({ metricsToken: token });
    expect((await fetch(`${url}/metrics`, { method: "HEAD" })).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { method: "HEAD", headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it("keeps /healthz and /readyz open: orchestrator probes send no credentials", async () => {
    const url = await serve({ metricsToken: token });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("www-authenticate")).toBeNull();
  });
});

describe("routing", () => {
  it.each(["/healthz", "/readyz", "/metrics"])("answers 405 with Allow for POST %s", async (route) => {
    const url = await serve();
    const res = await fetch(`${url}${route}`, { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe("method_not_allowed");
    expect(body.error.message).toContain(route);
    expect(body.error.message).toContain("POST");
  });

  it("leaves every other path to the next handler", async () => {
    const url = await serve();
    for (const route of ["/", "/ping", "/healthz/extra", "/api/github/webhooks"]) {
      const res = await fetch(`${url}${route}`);
      expect(res.status, route).toBe(404);
      expect(await res.text()).toBe("not mine");
    }
  });

  it("works inside Probot's server through addHandler, next to Probot's own routes", async () => {
    const port = await freePort();
    const log = pino({ level: "silent" });
    const server = new Server({
      host: "127.0.0.1",
      port,
      log,
      Probot: Probot.defaults({ appId: 123, privateKey: TEST_PRIVATE_KEY, secret: "s3cret-for-test", log }),
    });
    const registry = createMetrics(new Registry(), { defaultMetrics: false }).registry;
    await server.load((_app, { addHandler }) => {
      addHandler(createHealthHandler({ queue, dataDir, registry, startedAt: Date.now() }));
    });
    await server.start();
    try {
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
      expect((await fetch(`${url}/ping`)).status).toBe(200);
      expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
