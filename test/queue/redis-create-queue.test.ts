import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../../src/config/env.js";
import { ConfigurationError } from "../../src/errors.js";
import { createQueue } from "../../src/queue/create-queue.js";
import type { CreatedQueue } from "../../src/queue/create-queue.js";
import { dedupeKeyFor } from "../../src/queue/job.js";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { deleteQueueKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from "./redis-harness.js";

beforeAll(requireRedis);

describe("createQueue", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const dataDir = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "pw-create-queue-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const opened = (queue: CreatedQueue): CreatedQueue => {
    cleanups.push(() => queue.close());
    return queue;
  };

  it("opens the embedded SQLite queue at <data dir>/queue.db when REDIS_URL is unset", async () => {
    const dir = await dataDir();
    const queue = opened(await createQueue(loadEnv({ PLANWRIGHT_DATA_DIR: dir })));

    expect(queue.kind).toBe("sqlite");
    const spec = makeJobSpec({ deliveryId: "d-1" });
    const { job } = await queue.enqueue({ spec, deliveryId: "d-1", dedupeKey: dedupeKeyFor("octo-org/widgets", 42, spec.agent) });
    // Another handle on the file sees the job: it really is <data dir>/queue.db.
    const other = new SqliteJobQueue({ path: path.join(dir, "queue.db") });
    cleanups.push(() => other.close());
    expect((await other.get(job.id))?.id).toBe(job.id);
  });

  it("connects to Redis when REDIS_URL is set, under the given prefix", async () => {
    const prefix = uniquePrefix("create");
    cleanups.push(() => deleteQueueKeys(prefix));
    const queue = opened(await createQueue(loadEnv({ REDIS_URL: TEST_REDIS_URL, PLANWRIGHT_DATA_DIR: await dataDir() }), { redisPrefix: prefix }));

    expect(queue.kind).toBe("redis");
    expect(queue).toBeInstanceOf(RedisJobQueue);
    const spec = makeJobSpec({ deliveryId: "d-2" });
    const { job } = await queue.enqueue({ spec, deliveryId: "d-2", dedupeKey: dedupeKeyFor("octo-org/widgets", 42, spec.agent) });
    const other = await RedisJobQueue.connect({ url: TEST_REDIS_URL, prefix, subscribe: false });
    cleanups.push(() => other.close());
    expect((await other.get(job.id))?.id).toBe(job.id);
  });

  it("stops with a ConfigurationError saying what to do when Redis is unreachable", async () => {
    const env = loadEnv({ REDIS_URL: "redis://user:s3cret@127.0.0.1:1/2", PLANWRIGHT_DATA_DIR: await dataDir() });

    const error = await createQueue(env, { connectTimeoutMs: 1000 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^REDIS_URL redis:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1\/2 is not reachable: connect ECONNREFUSED 127\.0\.0\.1:1; start Redis or unset REDIS_URL to use the embedded queue$/,
    );
    expect((error as Error).message).not.toContain("s3cret");
  });
});
