import { Redis } from "ioredis";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dedupeKeyFor, serialKeyFor } from "../../src/queue/job.js";
import type { EnqueueRequest } from "../../src/queue/job-queue.js";
import { RedisConnectionError, RedisJobQueue, REDIS_SCHEMA_VERSION } from "../../src/queue/redis-job-queue.js";
import type { RedisJobQueueOptions } from "../../src/queue/redis-job-queue.js";
import { redisQueueKeys } from "../../src/queue/redis-keys.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { describeJobQueueContract } from "./job-queue-contract.js";
import { deleteQueueKeys, redisContractFactory, requireRedis, TEST_REDIS_URL, uniquePrefix, waitFor } from "./redis-harness.js";

beforeAll(requireRedis);

describeJobQueueContract("RedisJobQueue", redisContractFactory("contract", () => ({ url: TEST_REDIS_URL })));

function requestFor(issueNumber: number, options: { deliveryId?: string; serial?: boolean } = {}): EnqueueRequest {
  const deliveryId = options.deliveryId ?? `delivery-${issueNumber}-${Math.random().toString(36).slice(2)}`;
  const spec = makeJobSpec({ issueNumber, deliveryId });
  return {
    spec,
    deliveryId,
    dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent),
    ...(options.serial ? { serialKey: serialKeyFor(spec.repository.fullName, issueNumber) } : {}),
  };
}

describe("RedisJobQueue", () => {
  const opened: RedisJobQueue[] = [];
  const prefixes: string[] = [];
  const open = async (options: Omit<RedisJobQueueOptions, "url"> = {}) => {
    const prefix = options.prefix ?? uniquePrefix("redis");
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    const queue = await RedisJobQueue.connect({ url: TEST_REDIS_URL, ...options, prefix });
    opened.push(queue);
    return queue;
  };

  afterEach(async () => {
    for (const queue of opened.splice(0)) await queue.close();
    for (const prefix of prefixes.splice(0)) await deleteQueueKeys(prefix);
  });

  it("keeps every key under its prefix, inside one cluster hash slot", async () => {
    const prefix = uniquePrefix("keys");
    const queue = await open({ prefix });
    await queue.enqueue(requestFor(1, { serial: true }));
    await queue.claim("worker-a", 30_000);
    await queue.enqueue(requestFor(2));

    const admin = new Redis(TEST_REDIS_URL);
    try {
      const keys = await admin.keys(`{${prefix}}:*`);
      expect(keys.length).toBeGreaterThan(5);
      expect(keys.every((key) => key.startsWith(`{${prefix}}:`))).toBe(true);
      // Nothing outside the hash tag: a stray key would break scripts on Redis Cluster.
      expect(await admin.keys(`${prefix}*`)).toEqual([]);
    } finally {
      admin.disconnect();
    }
    await queue.close();
    expect(await deleteQueueKeys(prefix)).toBeGreaterThan(5);
  });

  it("judges leases and retry delays by Redis's clock when no clock is given", async () => {
    const queue = await open({ retryBackoff: { baseMs: 300, maxMs: 300 } });
    const { job } = await queue.enqueue(requestFor(1));
    const before = Date.now();
    const claimed = await queue.claim("worker-a", 200);
    const after = Date.now();
    // Redis runs on this host, so its clock and ours agree to well within a second.
    expect(claimed?.leaseExpiresAt).toBeGreaterThan(before + 200 - 1000);
    expect(claimed?.leaseExpiresAt).toBeLessThan(after + 200 + 1000);
    expect(await queue.claim("worker-b", 200)).toBeUndefined();

    const reclaimed = await waitFor("the 200 ms lease and 300 ms retry delay to pass", async () => (await queue.claim("worker-b", 200)) ?? undefined);
    expect(reclaimed).toMatchObject({ id: job.id, attempts: 2, workerId: "worker-b" });
    expect(reclaimed?.startedAt).toBeGreaterThanOrEqual((claimed?.leaseExpiresAt ?? 0) + 300);
  });

  it("hears enqueues and stop requests made through another connection", async () => {
    const prefix = uniquePrefix("events");
    const listener = await open({ prefix });
    const other = await open({ prefix });
    const enqueued: string[] = [];
    const cancelled: string[] = [];
    listener.onEnqueued((id) => enqueued.push(id));
    listener.onCancel((id) => cancelled.push(id));

    const { job } = await other.enqueue(requestFor(1));
    await waitFor("the enqueue event", () => (enqueued.includes(job.id) ? true : undefined), 2000);
    await other.claim("worker-a", 30_000);
    await other.cancel(job.id, "@octocat");
    await waitFor("the cancel event", () => (cancelled.includes(job.id) ? true : undefined), 2000);

    expect(enqueued).toEqual([job.id]);
    expect(cancelled).toEqual([job.id]);
    expect(await listener.get(job.id)).toMatchObject({ state: "running", cancelRequestedBy: "octocat" });
  });

  it("publishes no cancel event for a queued job: it is simply never handed out", async () => {
    const prefix = uniquePrefix("events");
    const listener = await open({ prefix });
    const cancelled: string[] = [];
    listener.onCancel((id) => cancelled.push(id));
    const running = await listener.enqueue(requestFor(1));
    const waiting = await listener.enqueue(requestFor(2));
    expect((await listener.claim("worker-a", 30_000))?.id).toBe(running.job.id);
    await listener.cancel(waiting.job.id, "octocat"); // still queued: ends at once, no event
    await listener.cancel(running.job.id, "octocat"); // running: flagged, and the event tells its worker

    await waitFor("the cancel event", () => (cancelled.length > 0 ? true : undefined), 2000);
    // Events arrive in publish order, so one for the queued job would have come first.
    expect(cancelled).toEqual([running.job.id]);
    expect((await listener.get(waiting.job.id))?.state).toBe("cancelled");
  });

  it("lists jobs newest first, optionally by state", async () => {
    const queue = await open();
    const first = await queue.enqueue(requestFor(1));
    const second = await queue.enqueue(requestFor(2));
    const third = await queue.enqueue(requestFor(3));
    await queue.claim("worker-a", 30_000);

    expect((await queue.list()).map((job) => job.id)).toEqual([third.job.id, second.job.id, first.job.id]);
    expect((await queue.list({ state: "queued", limit: 1 })).map((job) => job.id)).toEqual([third.job.id]);
    expect((await queue.list({ state: "running" })).map((job) => job.id)).toEqual([first.job.id]);
  });

  it("survives Redis forgetting its scripts (a restart without persistence of the script cache)", async () => {
    const queue = await open();
    await queue.enqueue(requestFor(1));
    const admin = new Redis(TEST_REDIS_URL);
    try {
      await admin.script("FLUSH");
    } finally {
      admin.disconnect();
    }

    expect((await queue.enqueue(requestFor(2))).outcome).toBe("enqueued");
    expect(await queue.claim("worker-a", 30_000)).toMatchObject({ state: "running" });
  });

  it("refuses data written by a newer layout", async () => {
    const prefix = uniquePrefix("schema");
    prefixes.push(prefix);
    const admin = new Redis(TEST_REDIS_URL);
    try {
      await admin.set(redisQueueKeys(prefix).schema, String(REDIS_SCHEMA_VERSION + 1));
    } finally {
      admin.disconnect();
    }

    await expect(RedisJobQueue.connect({ url: TEST_REDIS_URL, prefix })).rejects.toThrow(/newer planwright/);
  });

  it("warns at startup when Redis would lose the queue on a restart", async () => {
    const admin = new Redis(TEST_REDIS_URL);
    let persistent: boolean;
    try {
      const [, save] = (await admin.config("GET", "save")) as [string, string];
      const [, appendonly] = (await admin.config("GET", "appendonly")) as [string, string];
      persistent = save !== "" || appendonly === "yes";
    } finally {
      admin.disconnect();
    }
    const warnings: string[] = [];
    const log = { warn: (objOrMsg: object | string, msg?: string) => warnings.push(typeof objOrMsg === "string" ? objOrMsg : (msg ?? "")) };

    await open({ log });

    // The test Redis runs without persistence (.ci/run starts it so); either way the warning must match the server.
    expect(warnings.some((w) => w.includes("a Redis restart loses every queued and running job"))).toBe(!persistent);
  });

  it("reports why it could not connect", async () => {
    const error = await RedisJobQueue.connect({ url: "redis://127.0.0.1:1", connectTimeoutMs: 1000 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RedisConnectionError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });
});
