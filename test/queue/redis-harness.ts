import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { redisQueueKeyPattern } from "../../src/queue/redis-keys.js";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import type { JobQueueHarness, JobQueueHarnessOptions } from "./job-queue-contract.js";

/** CI (.ci/run) guarantees a Redis here; a developer may point the tests elsewhere. */
export const TEST_REDIS_URL = process.env.PLANWRIGHT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A prefix no other test (or a real planwright on the same Redis) uses. */
export function uniquePrefix(label: string): string {
  return `planwright-test:${label}:${randomUUID().slice(0, 8)}`;
}

/**
 * Fails (never skips) when Redis is down: a skipped suite would let the Redis
 * queue ship untested while CI looks green.
 */
export async function requireRedis(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  let reason: string | undefined;
  redis.on("error", (error: Error) => {
    reason ??= error.message;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `The Redis queue tests need a live Redis at ${TEST_REDIS_URL}, and it is not reachable ` +
        `(${reason ?? (error as Error).message}). Start one (redis-server --save "" --appendonly no) ` +
        `or set PLANWRIGHT_TEST_REDIS_URL; .ci/run starts one in CI.`,
    );
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deleteQueueKeys(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let deleted = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", redisQueueKeyPattern(prefix), "COUNT", 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== "0");
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The contract suite's factory for a RedisJobQueue at `url` under a fresh
 * prefix: handles without events (the contract needs none, and one connection
 * per handle keeps the suite light), all closed and the keys deleted at cleanup.
 */
export function redisContractFactory(
  label: string,
  connection: () => { url: string; cluster?: boolean },
): (options: JobQueueHarnessOptions) => Promise<JobQueueHarness> {
  return async ({ now, maxAttempts, retryBackoff }) => {
    const prefix = uniquePrefix(label);
    const { url, cluster } = connection();
    const handles: RedisJobQueue[] = [];
    const open = async (): Promise<RedisJobQueue> => {
      const handle = await RedisJobQueue.connect({ url, cluster: cluster ?? false, prefix, now, maxAttempts, retryBackoff, subscribe: false });
      handles.push(handle);
      return handle;
    };
    return {
      queue: await open(),
      reopen: open,
      cleanup: async () => {
        for (const handle of handles) await handle.close();
        // A cluster's keys go with the cluster; deleteQueueKeys scans one server only.
        if (!cluster) await deleteQueueKeys(prefix);
      },
    };
  };
}
