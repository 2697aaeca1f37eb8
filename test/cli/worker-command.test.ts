import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/run-command.js";
import { workerCommand } from "../../src/cli/worker-command.js";
import type { WorkerCommandDeps } from "../../src/cli/worker-command.js";
import { dedupeKeyFor } from "../../src/queue/job.js";
import type { Job } from "../../src/queue/job.js";
import type { EnqueueRequest } from "../../src/queue/job-queue.js";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import { redisQueueKeys } from "../../src/queue/redis-keys.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { TEST_PRIVATE_KEY } from "../helpers/probot.js";
import { deleteQueueKeys, requireRedis, TEST_REDIS_URL, uniquePrefix, waitFor } from "../queue/redis-harness.js";
import { commandRecordKeys } from "./worker-command-records.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD = fileURLToPath(new URL("./worker-command-process.ts", import.meta.url));

function requestFor(issueNumber: number): EnqueueRequest {
  const deliveryId = `delivery-${issueNumber}-${Math.random().toString(36).slice(2)}`;
  const spec = makeJobSpec({ issueNumber, deliveryId });
  return { spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent) };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pw-worker-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An io whose output the test reads, and whose signal stands in for SIGTERM. */
async function harness(env: Record<string, string>) {
  const cwd = await tempDir();
  const out: string[] = [];
  const err: string[] = [];
  const stop = new AbortController();
  const io: CliIO = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    // No HTTP server unless a test asks for one: the default port 3001 may be
    // taken on a developer's machine or by another test file running alongside.
    env: { PLANWRIGHT_DATA_DIR: path.join(cwd, "data"), PLANWRIGHT_WORKER_PORT: "0", ...env },
    cwd,
    signal: stop.signal,
  };
  return { io, cwd, stop, stdout: () => out.join(""), stderr: () => err.join("") };
}

const CREDENTIALS = { APP_ID: "123", PRIVATE_KEY: TEST_PRIVATE_KEY };
const silent = pino({ level: "silent" });

async function redisQueue(): Promise<{ prefix: string; queue: RedisJobQueue; redis: Redis }> {
  const prefix = uniquePrefix("worker-cmd");
  const queue = await RedisJobQueue.connect({ url: TEST_REDIS_URL, prefix });
  const redis = new Redis(TEST_REDIS_URL);
  cleanups.push(async () => {
    await queue.close();
    redis.disconnect();
    await deleteQueueKeys(prefix);
  });
  return { prefix, queue, redis };
}

describe("planwright worker: configuration", () => {
  it("refuses to start without REDIS_URL, and says why a separate worker needs it", async () => {
    const { io, stderr } = await harness(CREDENTIALS);

    const code = await workerCommand([], io, { log: silent, runnerFactory: () => Promise.reject(new Error("never built")) });

    expect(code).toBe(2);
    expect(stderr()).toContain("REDIS_URL: not set");
    expect(stderr()).toContain("never see the server's jobs");
    expect(stderr()).toContain("--allow-embedded");
    // It refused before opening a queue of its own.
    expect(existsSync(path.join(io.env.PLANWRIGHT_DATA_DIR!, "queue.db"))).toBe(false);
  });

  it("names every missing setting at once", async () => {
    const { io, stderr } = await harness({ PLANWRIGHT_CONCURRENCY: "0" });

    expect(await workerCommand([], io, { log: silent })).toBe(2);
    for (const name of ["APP_ID", "PRIVATE_KEY", "REDIS_URL", "PLANWRIGHT_CONCURRENCY"]) expect(stderr()).toContain(`${name}:`);
  });

  it("stops at startup when Redis is unreachable, with what to do", async () => {
    const { io, stderr } = await harness({ ...CREDENTIALS, REDIS_URL: "redis://:hunter2@127.0.0.1:1" });

    expect(await workerCommand([], io, { log: silent })).toBe(2);
    expect(stderr()).toMatch(
      /REDIS_URL redis:\/\/:\*\*\*@127\.0\.0\.1:1 is not reachable: connect ECONNREFUSED .*; start Redis or unset REDIS_URL to use the embedded queue/,
    );
    expect(stderr()).not.toContain("hunter2");
  });

  it("reads .env from its working directory over the environment, as npm start does", async () => {
    const { io, cwd, stderr } = await harness({ ...CREDENTIALS, REDIS_URL: TEST_REDIS_URL });
    await writeFile(path.join(cwd, ".env"), "REDIS_URL=redis://127.0.0.1:1\n");

    expect(await workerCommand([], io, { log: silent })).toBe(2);
    expect(stderr()).toContain("REDIS_URL redis://127.0.0.1:1 is not reachable");
  });

  it("rejects a bad --grace-seconds", async () => {
    const { io, stderr } = await harness(CREDENTIALS);

    expect(await workerCommand(["--grace-seconds", "soon"], io, { log: silent })).toBe(2);
    expect(stderr()).toContain('--grace-seconds must be a number of seconds from 0 to 3600, got "soon"');
  });

  it("with --allow-embedded, works the server's SQLite queue in PLANWRIGHT_DATA_DIR", async () => {
    const { io, stop, stdout, stderr } = await harness({ ...CREDENTIALS, PLANWRIGHT_CONCURRENCY: "1" });
    const dbPath = path.join(io.env.PLANWRIGHT_DATA_DIR!, "queue.db");
    const server = new SqliteJobQueue({ path: dbPath });
    cleanups.push(() => server.close());
    const { job } = await server.enqueue(requestFor(1));
    const ran: string[] = [];

    const exit = workerCommand(["--allow-embedded"], io, {
      log: silent,
      pollMs: 20,
      runnerFactory: async () => async (claimed) => {
        ran.push(claimed.id);
        return { state: "succeeded", message: "ran on the embedded queue" };
      },
    });
    const done = await waitFor("the job to succeed", async () => {
      const current = await server.get(job.id);
      return current?.state === "succeeded" ? current : undefined;
    });
    stop.abort();

    expect(await exit).toBe(0);
    expect(ran).toEqual([job.id]);
    expect(done.message).toBe("ran on the embedded queue");
    expect(stdout()).toContain(`1 job at a time from the embedded queue ${dbPath}`);
    expect(stderr()).toContain("planwright worker: stopped");
  });
});

describe("planwright worker: shutdown", () => {
  beforeAll(requireRedis);

  it("on SIGTERM takes no new job, lets the running one finish, and exits 0", async () => {
    const { prefix, queue, redis } = await redisQueue();
    const keys = commandRecordKeys(prefix);
    const running = (await queue.enqueue(requestFor(1))).job;
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, "--grace-seconds", "20"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? ROOT,
        ...CREDENTIALS,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        PLANWRIGHT_CONCURRENCY: "1",
        PLANWRIGHT_DATA_DIR: await tempDir(),
        PLANWRIGHT_WORKER_PORT: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });

    await waitFor(`the job to start\n${stdout}${stderr}`, async () => ((await redis.lrange(keys.started, 0, -1)).length > 0 ? true : undefined), 20_000);
    expect(stdout).toMatch(/planwright worker \S+: 1 job at a time from the Redis queue redis:\/\/127\.0\.0\.1:6379.* · shutdown grace 20 s/);
    child.kill("SIGTERM");
    await waitFor("the worker to acknowledge SIGTERM", () => (stderr.includes("stopping") ? true : undefined));
    const late = (await queue.enqueue(requestFor(2))).job;
    await redis.set(keys.gate, "open");

    expect(await exited).toBe(0);
    expect(await queue.get(running.id)).toMatchObject({ state: "succeeded", message: "finished after the gate opened" });
    expect(await queue.get(late.id)).toMatchObject({ state: "queued", attempts: 0 });
    expect(await redis.lrange(keys.started, 0, -1)).toEqual([running.id]);
    expect(stderr).toContain("planwright worker: stopped");
  });

  it("after the grace period stops an unfinished job without failing it and hands it to the next worker at once", async () => {
    const { prefix, queue } = await redisQueue();
    const { io, stop } = await harness({
      ...CREDENTIALS,
      REDIS_URL: TEST_REDIS_URL,
      PLANWRIGHT_CONCURRENCY: "1",
      PLANWRIGHT_LEASE_SECONDS: "2",
    });
    const { job } = await queue.enqueue(requestFor(1));
    let abortReason: unknown;
    const deps: WorkerCommandDeps = {
      log: silent,
      redisPrefix: prefix,
      pollMs: 20,
      // A job that only ends when told to, as a long agent run would.
      runnerFactory: async () => async (_job, { signal }) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        abortReason = signal.reason;
        return { state: "failed", message: "interrupted" };
      },
    };

    const exit = workerCommand(["--grace-seconds", "0.2"], io, deps);
    await waitFor("the job to start", async () => ((await queue.get(job.id))?.state === "running" ? true : undefined));
    stop.abort();

    expect(await exit).toBe(0);
    expect(abortReason).toMatchObject({ kind: "shutdown" });
    // Handed back: no worker, the interrupted claim not counted, and the next
    // claim takes it now rather than after the lease and the retry delay.
    expect(await queue.get(job.id)).toMatchObject({ state: "running", workerId: null, message: null, attempts: 0 });
    expect(await queue.claim("next-worker", 60_000)).toMatchObject({ id: job.id, attempts: 1, workerId: "next-worker" });
  });
});

describe("planwright worker: /healthz, /readyz and /metrics", () => {
  beforeAll(requireRedis);

  /** The URL the summary line prints, once the worker has printed it. */
  function healthUrlIn(stdout: () => string): Promise<string> {
    return waitFor(`the startup summary\n${stdout()}`, () => /\/metrics on (http:\/\/\S+)/.exec(stdout())?.[1]);
  }

  async function refusal(url: string): Promise<unknown> {
    try {
      await fetch(url);
    } catch (error) {
      return (error as { cause?: { code?: unknown } }).cause?.code;
    }
    return "answered";
  }

  it("serves the probes and the runs' metrics on localhost until the pool has stopped", async () => {
    const { prefix, queue } = await redisQueue();
    const { io, stop, stdout, stderr } = await harness({ ...CREDENTIALS, REDIS_URL: TEST_REDIS_URL, PLANWRIGHT_CONCURRENCY: "1" });
    const { job } = await queue.enqueue(requestFor(1));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));

    const exit = workerCommand(["--grace-seconds", "20"], io, {
      log: silent,
      redisPrefix: prefix,
      pollMs: 20,
      healthPort: "ephemeral",
      // Records what the pipeline would, then holds the job so shutdown has something to wait for.
      runnerFactory: async ({ metrics }) => async () => {
        metrics.tokens.add("claude-test", "output", 42);
        metrics.runDuration.observe("agent", 3);
        await gate;
        return { state: "succeeded", message: "done" };
      },
    });
    const url = await healthUrlIn(stdout);
    // HOST is unset, so it binds where Probot's server would: localhost.
    expect(url).toMatch(/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/);
    await waitFor("the job to start", async () => ((await queue.get(job.id))?.state === "running" ? true : undefined));

    const healthz = await fetch(`${url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(healthz.headers.get("content-type")).toContain("application/json");
    expect(await healthz.json()).toMatchObject({ status: "ok", uptimeSeconds: expect.any(Number) });
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({ status: "ready" });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('planwright_tokens_total{model="claude-test",kind="output"} 42');
    expect(text).toContain('planwright_run_phase_duration_seconds_count{phase="agent"} 1');
    expect(text).toContain('planwright_jobs{state="running"} 1');
    for (const name of ["planwright_errors_total", "planwright_cost_usd_total", "planwright_webhook_duration_seconds"]) {
      expect(text).toContain(`# HELP ${name} `);
    }

    stop.abort();
    await waitFor("the worker to acknowledge the stop", () => (stderr().includes("stopping") ? true : undefined));
    // The job is still finishing: what it records must still be scrapable.
    const whileStopping = await fetch(`${url}/metrics`);
    expect(whileStopping.status).toBe(200);
    await whileStopping.text();
    openGate();

    expect(await exit).toBe(0);
    expect(await queue.get(job.id)).toMatchObject({ state: "succeeded" });
    expect(await refusal(`${url}/healthz`)).toBe("ECONNREFUSED");
  });

  it("wants PLANWRIGHT_METRICS_TOKEN as a bearer token for /metrics, and leaves the probes open", async () => {
    const token = "0123456789abcdef-worker-token";
    const { prefix } = await redisQueue();
    const { io, stop, stdout } = await harness({ ...CREDENTIALS, REDIS_URL: TEST_REDIS_URL, PLANWRIGHT_METRICS_TOKEN: token });

    const exit = workerCommand([], io, {
      log: silent,
      redisPrefix: prefix,
      healthPort: "ephemeral",
      runnerFactory: async () => async () => ({ state: "succeeded", message: "never runs" }),
    });
    const url = await healthUrlIn(stdout);
    try {
      const anonymous = await fetch(`${url}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");
      expect(await anonymous.text()).not.toContain("planwright_");
      const wrong = await fetch(`${url}/metrics`, { headers: { Authorization: "Bearer not-the-token-at-all" } });
      expect(wrong.status).toBe(401);
      await wrong.text();
      const authorized = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      expect(authorized.status).toBe(200);
      expect(await authorized.text()).toContain("# HELP planwright_errors_total ");
      for (const probe of ["/healthz", "/readyz"]) {
        const response = await fetch(`${url}${probe}`);
        expect(response.status, probe).toBe(200);
        await response.json();
      }
    } finally {
      stop.abort();
    }
    expect(await exit).toBe(0);
  });

  it("refuses to start on a port already taken, naming PLANWRIGHT_WORKER_PORT, and leaves nothing open", async () => {
    const { prefix, queue, redis } = await redisQueue();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as AddressInfo).port;
    const { job } = await queue.enqueue(requestFor(1));
    const channel = redisQueueKeys(prefix).enqueuedChannel;
    // This test's own queue listens too.
    const subscribers = async () => (await redis.pubsub("NUMSUB", channel))[1];
    const before = await subscribers();
    const { io, stderr } = await harness({
      ...CREDENTIALS,
      REDIS_URL: TEST_REDIS_URL,
      HOST: "127.0.0.1",
      PLANWRIGHT_WORKER_PORT: String(port),
    });

    const code = await workerCommand([], io, {
      log: silent,
      redisPrefix: prefix,
      pollMs: 20,
      runnerFactory: async () => async () => ({ state: "succeeded", message: "must not run" }),
    });

    expect(code).toBe(2);
    expect(stderr()).toContain(`PLANWRIGHT_WORKER_PORT: port ${port} is already in use on 127.0.0.1`);
    expect(stderr()).toContain("set PLANWRIGHT_WORKER_PORT to another port, or to 0");
    // No job taken, and the queue closed: its event subscription is gone from Redis.
    expect(await queue.get(job.id)).toMatchObject({ state: "queued", attempts: 0 });
    expect(await subscribers()).toBe(before);
  });

  it("with PLANWRIGHT_WORKER_PORT=0 serves no HTTP, and says so", async () => {
    const { prefix } = await redisQueue();
    const { io, stop, stdout } = await harness({ ...CREDENTIALS, REDIS_URL: TEST_REDIS_URL, PLANWRIGHT_WORKER_PORT: "0" });

    const exit = workerCommand([], io, {
      log: silent,
      redisPrefix: prefix,
      runnerFactory: async () => async () => ({ state: "succeeded", message: "never runs" }),
    });
    await waitFor("the startup summary", () => (stdout().includes("planwright worker ") ? true : undefined));
    stop.abort();

    expect(await exit).toBe(0);
    expect(stdout()).toContain("· no HTTP server (PLANWRIGHT_WORKER_PORT=0)");
    expect(stdout()).not.toContain("/metrics on");
  });
});
